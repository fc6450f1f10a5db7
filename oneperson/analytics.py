"""Analyst access: DuckDB views over the current snapshot's tables (persons, findings, ...), and
over every kept snapshot for trends (`snapshots`, `findings_by_snapshot`)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from oneperson.sqltext import literal
from oneperson.store import current_snapshot, published_snapshots, read_parquet_sql
from schemas.store import STORE_TABLES, Finding


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
    _across_snapshots(con, store, snapshot)
    return con


def _across_snapshots(con: duckdb.DuckDBPyConnection, store: Path, current: Path) -> None:
    """`snapshots` (one row per kept snapshot, from its manifest) and `findings_by_snapshot` (the
    findings of every kept snapshot, with its snapshot_id): trends without opening folders by hand."""
    kept = published_snapshots(store)
    manifests = ", ".join(literal(str(p / "manifest.json")) for p in kept)
    con.execute(f"""CREATE VIEW snapshots AS
        SELECT snapshot_id, created_at::TIMESTAMPTZ AS created_at, run_id, model_version, code_version,
               snapshot_id = {literal(current.name)} AS is_current
        FROM read_json([{manifests}], columns = {{snapshot_id: 'VARCHAR', created_at: 'VARCHAR',
             run_id: 'VARCHAR', model_version: 'VARCHAR', code_version: 'VARCHAR'}})""")
    con.execute(f"""CREATE VIEW findings_by_snapshot AS
        SELECT regexp_extract(filename, '[/\\\\]snapshots[/\\\\]([^/\\\\]+)[/\\\\]', 1) AS snapshot_id,
               * EXCLUDE (filename)
        FROM {read_parquet_sql(kept, Finding, filename=True)}""")
