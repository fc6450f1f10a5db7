"""The warehouse: one DuckDB file holding the raw, current and standardised layers.

Table shapes of the per-source layers are generated from the contract models; bookkeeping tables
are in sql/ingest/00_bookkeeping.sql.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from oneperson.sqltext import quote
from oneperson.validation import sql_type
from schemas.derive import columns
from schemas.sources import SOURCES

SQL = Path(__file__).resolve().parents[1] / "sql"
DEFAULT_WAREHOUSE = Path("warehouse") / "oneperson.duckdb"


def machine_settings() -> dict[str, str]:
    """DuckDB memory limit and threads from this machine (60% of RAM, every core)."""
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        memory = f"{int(pages * page_size * 0.6 / 2**20)}MB"
    except (ValueError, OSError):
        memory = "4GB"
    return {"memory_limit": memory, "threads": str(os.cpu_count() or 1)}


# The keys a night joins and filters by, stored uncompressed. Profile and cluster ids are 32
# hex characters and person ids 21: too long for DuckDB to inline, so it would compress them with
# FSST (about half the size) and decompress every value at every scan. Most of a nightly
# increment is such scans, over whole tables, for the rows of tonight's few keys (a semi join of
# 10M std_identity rows with 1% of the profiles: 0.58 s compressed, 0.15 s not). A 10M-record
# warehouse grows by about a third (docs/scale.md). DuckDB sets a column's compression only where
# the table is defined (no ALTER, and not in CREATE TABLE AS), so every warehouse table with such
# a column is made by `create_table` or by a CREATE TABLE that names `UNCOMPRESSED`.
KEY_COLUMNS = frozenset(
    {"profile_id", "unique_id", "unique_id_l", "unique_id_r", "other_id", "cluster_id", "component_id",
     "new_cluster_id", "person_id"}
)
UNCOMPRESSED = "USING COMPRESSION uncompressed"


def column_definitions(con: duckdb.DuckDBPyConnection, query: str) -> str:
    """The column list of a CREATE TABLE for `query`'s result, with its keys uncompressed."""
    return ", ".join(
        f"{quote(name)} {type_}" + (f" {UNCOMPRESSED}" if name in KEY_COLUMNS and type_ == "VARCHAR" else "")
        for name, type_, *_ in con.execute(f"DESCRIBE {query}").fetchall()
    )


def create_table(con: duckdb.DuckDBPyConnection, name: str, query: str, replace: bool = True) -> None:
    """CREATE [OR REPLACE] TABLE `name` AS `query`, with its key columns uncompressed (KEY_COLUMNS).
    A table replaced is built beside the old one and then swapped in, so `query` may read it;
    with `replace` off an existing table is left as it is (CREATE TABLE IF NOT EXISTS)."""
    exists = bool(tables_present(con, name))
    if exists and not replace:
        return
    target = f"{name}__new" if exists else name
    con.execute(f"CREATE OR REPLACE TABLE {quote(target)} ({column_definitions(con, query)})")
    con.execute(f"INSERT INTO {quote(target)} {query}")
    if exists:
        con.execute(f"DROP TABLE {quote(name)}; ALTER TABLE {quote(target)} RENAME TO {quote(name)}")


def tables_present(con: duckdb.DuckDBPyConnection, *names: str) -> set[str]:
    """Which of these warehouse tables exist (temporary ones are not the warehouse's)."""
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT temporary AND list_contains(?, table_name)",
        [list(names)],
    ).fetchall()
    return {name for (name,) in rows}


def temp_relation(con: duckdb.DuckDBPyConnection, name: str, query: str, materialised: bool) -> None:
    """A temp view `name` over `query`, or (`materialised`) a temp table of it: on a refresh of a
    few persons a relation read several times is computed once, where a full refresh reads it once
    or twice as a view. One connection may do both kinds of refresh, so the other kind goes first."""
    for (kind,) in con.execute(
        "SELECT 'VIEW' FROM duckdb_views() WHERE view_name = ? AND temporary "
        "UNION ALL SELECT 'TABLE' FROM duckdb_tables() WHERE table_name = ? AND temporary",
        [name, name],
    ).fetchall():
        con.execute(f"DROP {kind} temp.{name}")
    con.execute(f"CREATE TEMP {'TABLE' if materialised else 'VIEW'} {name} AS {query}")


_IN_TRANSACTION: set[int] = set()  # connections inside a `transaction` block


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """All of the block or none of it, even if the process dies midway (DuckDB's WAL).

    Inside another `transaction` block on the same connection it joins the outer one (DuckDB has
    no savepoints, and a failed BEGIN would abort the outer transaction), so a step that is atomic
    on its own stays atomic as part of a larger step."""
    if id(con) in _IN_TRANSACTION:
        yield  # the outer block commits or rolls back
        return
    con.execute("BEGIN TRANSACTION")
    _IN_TRANSACTION.add(id(con))
    try:
        yield
    except BaseException:
        _IN_TRANSACTION.discard(id(con))
        con.execute("ROLLBACK")
        raise
    _IN_TRANSACTION.discard(id(con))
    con.execute("COMMIT")


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the warehouse with every table in place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), config=machine_settings())
    con.execute((SQL / "ingest" / "00_bookkeeping.sql").read_text(encoding="utf-8"))
    for source, model in SOURCES.items():
        cols = columns(model)
        raw = ", ".join(f"{quote(c.name)} VARCHAR" for c in cols)
        con.execute(f"""CREATE TABLE IF NOT EXISTS raw_{source} ({raw}, extra JSON, _record_key VARCHAR,
            _batch VARCHAR, _file VARCHAR, _line BIGINT, _run_id VARCHAR)""")
        current = ", ".join(f"{quote(c.name)} {sql_type(c)}" for c in cols)
        con.execute(f"""CREATE TABLE IF NOT EXISTS current_{source} (record_key VARCHAR, {current},
            _batch VARCHAR, _file VARCHAR, _line BIGINT)""")
    return con


# Below this share of changed records, a run's steps share one DuckDB instance (`held_open`).
SMALL_CHANGE = 0.10


def small_change(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the records changed and not yet standardised are at most SMALL_CHANGE of the
    current records: a nightly increment, not a first build or a large backfill."""
    changed = con.execute("SELECT count(*) FROM changed_records").fetchall()[0][0]
    current = sum(con.execute(f"SELECT count(*) FROM current_{s}").fetchall()[0][0] for s in SOURCES)
    return changed <= SMALL_CHANGE * current


@contextmanager
def held_open(
    path: Path, hold: Callable[[duckdb.DuckDBPyConnection], bool] = lambda con: True
) -> Iterator[None]:
    """Keep a connection to the warehouse open through the block when `hold` says so of it
    (`small_change`), so that the steps' own connections (`connect`: the same settings) are to one
    DuckDB instance and share its buffer pool: the tables one step read, the next finds in memory,
    where each step opened the warehouse anew and read them from disk again (a 10M-record
    increment: 28.7–35.6 s against 37.1–37.8 s, peak 6.6 GiB against 5.2). Not for a first build
    or a large backfill: the pool would keep what every step read, up to DuckDB's memory limit,
    where a step's close frees it. `hold` is asked on the connection it would hold: opening the
    warehouse once more to ask it would cost a night one more open of the file."""
    con = connect(path)
    try:
        if not hold(con):
            con.close()
        yield
    finally:
        con.close()
