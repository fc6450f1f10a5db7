"""The landing zone (CONTRACT §1): which batches exist, which are new, and their manifests."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb

from schemas.sources import SOURCES

BATCH_NAME = re.compile(r"^\d{8}(-[0-9A-Za-z_]+)?$")
DATA_SUFFIXES = (".csv", ".csv.gz", ".parquet")


@dataclass(frozen=True)
class Batch:
    source: str
    name: str
    path: Path

    @property
    def extracted_on(self) -> date:
        """The extract date the batch is named by (`YYYYMMDD[-suffix]`)."""
        return datetime.strptime(self.name[:8], "%Y%m%d").date()

    @property
    def files(self) -> list[Path]:
        """Every file of the batch but the manifest, in name order (unknown kinds included: they fail)."""
        return sorted(
            p
            for p in self.path.iterdir()
            if p.is_file() and p.name != "manifest.json" and not p.name.startswith(".")
        )

    def manifest(self) -> dict[str, int] | None:
        """File name -> stated data-row count, or None without a manifest."""
        path = self.path / "manifest.json"
        if not path.exists():
            return None
        try:
            doc = json.loads(path.read_text(encoding="utf-8-sig"))
            return {str(f["name"]): int(f["rows"]) for f in doc["files"]}
        except (ValueError, KeyError, TypeError) as exc:
            raise ManifestError(
                f'{path}: not a manifest of the form {{"files": [{{"name", "rows"}}]}} ({exc})'
            ) from exc


class ManifestError(Exception):
    pass


def discover(landing: Path) -> dict[str, list[Batch]]:
    """Every batch folder per source, in name order (the order batches must be applied in)."""
    if not landing.is_dir():
        raise FileNotFoundError(f"landing zone {landing} does not exist")
    found: dict[str, list[Batch]] = {}
    for source in SOURCES:
        folder = landing / source
        names = (
            sorted(p.name for p in folder.iterdir() if p.is_dir() and BATCH_NAME.match(p.name))
            if folder.is_dir()
            else []
        )
        found[source] = [Batch(source, n, folder / n) for n in names]
    return found


def applied_batches(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    rows = con.execute("SELECT DISTINCT source, batch FROM batch_log WHERE status = 'applied'").fetchall()
    return {(s, b) for s, b in rows}


def pending(
    con: duckdb.DuckDBPyConnection, landing: Path, as_of: date | None = None
) -> dict[str, list[Batch]]:
    """Per source, the batches not yet applied, in order; with `as_of`, only those extracted by then
    (a backfill rebuilds the store as it was on that day)."""
    done = applied_batches(con)
    return {
        s: [b for b in batches if (s, b.name) not in done and (as_of is None or b.extracted_on <= as_of)]
        for s, batches in discover(landing).items()
    }


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
