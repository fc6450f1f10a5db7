"""Check a generated world against the contract: the generator's own acceptance test.

Reads every landing file row by row through the pydantic source models (slow but independent
of the pipeline's vectorised ingest, which is what makes it a useful cross-check), and checks
that exactly the rows recorded in truth/malformed.parquet are unreadable, that manifests count
data rows, that the final state's record keys are the truth's, and that truth tables conform
to schemas/truth.py.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
from pydantic import ValidationError

from schemas.derive import arrow_schema
from schemas.findings import FindingType
from schemas.sources import SOURCES
from schemas.truth import TRUTH_TABLES, TruthFinding, TruthMalformed, TruthRecord


@dataclass
class SourceCheck:
    source: str
    files: int = 0
    rows: int = 0
    valid: int = 0
    malformed_found: int = 0
    malformed_expected: int = 0


@dataclass
class WorldReport:
    sources: list[SourceCheck] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    finding_types: int = 0


def decode_csv(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("gb18030")


def read_rows(path: Path) -> list[tuple[int, dict[str, object] | None]]:
    """(line, row) for every data row; row is None when the field count is wrong."""
    if path.name.endswith(".parquet"):
        return [(i + 2, row) for i, row in enumerate(pq.read_table(path).to_pylist())]
    raw = path.read_bytes()
    if path.name.endswith(".gz"):
        raw = gzip.decompress(raw)
    reader = csv.reader(io.StringIO(decode_csv(raw), newline=""))
    header = next(reader)
    return [
        (i + 2, dict(zip(header, values, strict=True)) if len(values) == len(header) else None)
        for i, values in enumerate(reader)
    ]


def check_world(world: Path) -> WorldReport:
    report = WorldReport()
    truth = world / "truth"
    for model in TRUTH_TABLES:
        path = truth / model.file
        if not path.exists():
            report.problems.append(f"missing truth table {path}")
            continue
        schema = pq.read_schema(path)
        expected = arrow_schema(model)
        if schema.names != expected.names or [f.type for f in schema] != [f.type for f in expected]:
            report.problems.append(f"{path} does not match schemas/truth.py {model.__name__}")
    if report.problems:
        return report
    malformed = pl.read_parquet(truth / TruthMalformed.file)
    expected_bad = {
        (r["source"], r["batch"], r["file_name"], r["line"]) for r in malformed.iter_rows(named=True)
    }
    found_bad: set[tuple[str, str, str, int]] = set()
    final: dict[str, dict[str, str]] = {}
    for source, model in SOURCES.items():
        check = SourceCheck(source, malformed_expected=sum(1 for b in expected_bad if b[0] == source))
        seen_hashes: set[str] = set()
        state: dict[str, str] = {}
        folder = world / "landing" / source
        for batch in sorted(p.name for p in folder.iterdir()) if folder.exists() else []:
            manifest_path = folder / batch / "manifest.json"
            manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {"files": []}
            counts = {f["name"]: f["rows"] for f in manifest["files"]}
            for path in sorted(p for p in (folder / batch).iterdir() if p.name != "manifest.json"):
                check.files += 1
                rows = read_rows(path)
                check.rows += len(rows)
                if path.name in counts and counts[path.name] != len(rows):
                    report.problems.append(
                        f"{path}: manifest says {counts[path.name]} rows, file has {len(rows)}"
                    )
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                redelivered = digest in seen_hashes
                seen_hashes.add(digest)
                for line, row in rows:
                    try:
                        if row is None:
                            raise ValueError("wrong field count")
                        record = model.model_validate(row)
                    except (ValidationError, ValueError):
                        found_bad.add((source, batch, path.name, line))
                        check.malformed_found += 1
                        continue
                    check.valid += 1
                    if not redelivered:
                        state[record.record_key()] = batch
        final[source] = state
        report.sources.append(check)
    if found_bad != expected_bad:
        report.problems.append(
            f"unreadable rows differ from truth/malformed: {len(found_bad - expected_bad)} "
            f"unexpected, {len(expected_bad - found_bad)} missed "
            f"(e.g. {sorted(found_bad ^ expected_bad)[:3]})"
        )
    records = pl.read_parquet(truth / TruthRecord.file)
    for source, state in final.items():
        truth_keys = set(records.filter(pl.col("source") == source)["record_key"].to_list())
        if truth_keys != set(state):
            report.problems.append(
                f"{source}: final-state record keys differ from truth/records "
                f"({len(set(state) - truth_keys)} extra, {len(truth_keys - set(state))} missing)"
            )
    findings = pl.read_parquet(truth / TruthFinding.file)
    present = set(findings["finding_type"].unique().to_list())
    report.finding_types = len(present)
    missing = [t.value for t in FindingType if t.value not in present]
    if missing:
        report.problems.append(f"finding types absent from truth: {missing}")
    return report
