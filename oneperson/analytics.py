"""Analyst access: DuckDB views over the current snapshot's tables (persons, findings, ...)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from oneperson.store import current_snapshot, read_parquet_sql
from schemas.store import STORE_TABLES


class NoSnapshot(Exception):
    pass


def open_current(store: Path, restricted: bool = False) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with one view per analytics table (and restricted ones if asked and allowed)."""
    snapshot = current_snapshot(store)
    if snapshot is None:
        raise NoSnapshot(f"{store}: nothing published yet (no CURRENT); run `oneperson run` first")
    con = duckdb.connect()
    for model in STORE_TABLES:
        if model.zone == "analytics" or restricted:
            con.execute(f"CREATE VIEW {model.table} AS SELECT * FROM {read_parquet_sql(snapshot, model)}")
    return con
