"""Comparing published snapshots in tests: their tables' rows, and their files' bytes."""

import hashlib
from pathlib import Path

import duckdb

from oneperson.store import read_parquet_sql
from schemas.store import STORE_TABLES


def snapshot_tables(snapshot: Path, ignore_run_ids: bool = False) -> dict[str, list[tuple]]:
    """Every store table's rows, sorted. With `ignore_run_ids`, the run id of an id change is left
    out: it names the run that made it, not the data (runs on two stores differ there)."""
    con = duckdb.connect()
    out = {}
    for m in STORE_TABLES:
        exclude = " EXCLUDE (run_id)" if ignore_run_ids and m.table == "person_id_changes" else ""
        out[m.table] = con.execute(
            f"SELECT *{exclude} FROM {read_parquet_sql(snapshot, m)} ORDER BY ALL"
        ).fetchall()
    return out


def file_digest(folder: Path) -> dict[str, str]:
    """Every file under `folder` and its sha256; hidden files (the store's lock files) aside."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }
