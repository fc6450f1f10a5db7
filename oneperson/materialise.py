"""The store's per-person tables kept in the warehouse, refreshed each night only for the persons
whose rows may have changed.

A 1% nightly increment changes the store rows of a few percent of persons; recomputing every
person's facts, identities, links and findings each night made the publish a pass over the whole
warehouse (103 s of a 10M-record increment). Here those relations are tables (`record_links`,
`findings_current`, `pub_<table>`), and a nightly publish deletes and recomputes the rows of the
persons in `publish_scope`:

* persons the link step marked (`persons_dirty`: both the old and the new id of every profile
  whose person changed, from the registry's difference; matching/person_ids.py);
* the persons of the profiles that records changed since the last publish left or joined
  (`unpublished_profiles`, written by standardise), and the old and new persons of every record a
  reviewer's decision names.

Every rule, fact and link probability of the store is a function of one person's records and
links, so the rows of persons outside that scope are unchanged; `tests/test_materialise.py` checks
that the refreshed tables equal a full recompute. A full refresh runs instead when the tables are
missing, when the coverage years changed (missing_enrollment is evaluated for every year), and
when the definitions changed (a new release's SQL or model: `definition_fingerprint`).
Both pending lists (persons_dirty, unpublished_profiles) are emptied in the publish's transaction,
so a failed publish leaves them for the next run.
"""

from __future__ import annotations

import hashlib
import logging
from functools import cache

import duckdb

from matching.model import MODEL_VERSION
from oneperson.sqltext import quote
from oneperson.warehouse import SQL, create_table, tables_present, temp_relation
from schemas.store import STORE_TABLES, StoreTable

log = logging.getLogger(__name__)

# The store tables computed per person from record_links (sql/store/30_store_tables.sql fresh_*).
PER_PERSON = tuple(model for model in STORE_TABLES if model.per_person)
KEPT = ("record_links", "findings_current", *(f"pub_{model.table}" for model in PER_PERSON))


def storage_order(model: type[StoreTable]) -> tuple[str, ...]:
    """The order a pub_<table> is kept in: its partition first, then its sort order. Each
    partition's rows are then together, and the publisher writes each with a filter that DuckDB
    answers from the row groups' min/max, in order, without DuckDB's partitioned writer or a sort
    (oneperson/store.py `_write_kept`)."""
    return (*model.partition_by, *model.sort_by)


@cache  # the files of this installation: read once per process, not twice per publish
def definition_fingerprint() -> str:
    """What the kept tables were computed by: the store and rules SQL and the model version, and
    the order they are kept in."""
    digest = hashlib.sha256(MODEL_VERSION.encode())
    for model in PER_PERSON:
        digest.update(f"{model.table}:{','.join(storage_order(model))}\0".encode())
    for folder in ("store", "findings"):
        for path in sorted((SQL / folder).glob("*.sql")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def refresh_mode(con: duckdb.DuckDBPyConnection) -> str:
    """`incremental` when the kept tables can be refreshed person by person, else `full` (and why)."""
    con.execute("""CREATE TABLE IF NOT EXISTS publish_state (definition VARCHAR, coverage_years INTEGER[]);
        CREATE TABLE IF NOT EXISTS persons_dirty (person_id VARCHAR);
        CREATE TABLE IF NOT EXISTS unpublished_profiles (profile_id VARCHAR);
        CREATE TABLE IF NOT EXISTS pub_runs (table_name VARCHAR PRIMARY KEY, rows_appended BIGINT)""")
    present = tables_present(con, *KEPT)
    if missing := [t for t in KEPT if t not in present]:
        return f"full: first refresh ({', '.join(missing[:3])} not kept yet)"
    state = con.execute("SELECT definition, coverage_years FROM publish_state").fetchall()
    if not state or state[0][0] != definition_fingerprint():
        return "full: the store's definitions changed"
    years = con.execute("SELECT list(coverage_year ORDER BY coverage_year) FROM coverage_years").fetchall()
    years = years[0][0]
    if list(state[0][1] or []) != list(years or []):
        return "full: the coverage years changed"
    return "incremental"


def _run(con: duckdb.DuckDBPyConnection, name: str) -> None:
    con.execute((SQL / "store" / name).read_text(encoding="utf-8"))


# A nightly refresh appends its rows (in storage order) after the table's sorted body, and the
# publisher writes the table in that order rather than sorting it again (10M person_records:
# 3.2 s against 5.4 s). Each night's rows are one more sorted run, so a lookup by person_id reads
# one more row group per night; once the runs hold this share of the rows, the table is sorted
# whole again (and its deleted rows dropped), as a full refresh does.
RESORT_SHARE = 0.10


def _keep(
    con: duckdb.DuckDBPyConnection, table: str, fresh: str, full: bool, order_by: tuple[str, ...] = ()
) -> bool:
    """Replace `table` (full) or its rows of the persons in scope (incremental) by `fresh`.
    Returns whether `table` is now wholly in `order_by` order (made or sorted again here); else it
    is its sorted body and the nights' sorted runs (`pub_runs` counts their rows)."""
    order = f" ORDER BY {', '.join(quote(c) for c in order_by)}" if order_by else ""
    if not full:
        con.execute(f"DELETE FROM {table} WHERE person_id IN (SELECT person_id FROM publish_scope)")
        appended = con.execute(f"INSERT INTO {table} SELECT * FROM {fresh}{order}").fetchall()[0][0]
        if not order_by:
            return False
        (runs,) = con.execute(
            """INSERT INTO pub_runs VALUES (?, ?) ON CONFLICT (table_name)
            DO UPDATE SET rows_appended = rows_appended + excluded.rows_appended RETURNING rows_appended""",
            [table, appended],
        ).fetchall()[0]
        if runs <= RESORT_SHARE * con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]:
            return False
        fresh = table  # sort it whole again
    create_table(con, table, f"SELECT * FROM {fresh}{order}")
    con.execute("UPDATE pub_runs SET rows_appended = 0 WHERE table_name = ?", [table])
    return True


def scope(con: duckdb.DuckDBPyConnection, full: bool) -> int | None:
    """Define `registry_in_scope` and `identity_in_scope` and, after record_links is kept,
    `links_in_scope`: every person, or those of publish_scope. Returns the persons in scope (None:
    every person)."""
    if not full:
        _run(con, "05_publish_scope.sql")
    # read by identity_in_scope and record_links: on a refresh, found once (a pass over the registry)
    temp_relation(
        con,
        "registry_in_scope",
        "SELECT * FROM person_registry" + ("" if full else " SEMI JOIN publish_scope USING (person_id)"),
        materialised=not full,
    )
    _run(con, "28_identity_in_scope.sql")
    temp_relation(con, "identity_in_scope", "SELECT * FROM identity_rows_in_scope", materialised=not full)
    return None if full else con.execute("SELECT count(*) FROM publish_scope").fetchall()[0][0]


def keep_record_links(con: duckdb.DuckDBPyConnection, full: bool) -> None:
    """record_links, and `links_in_scope` (its rows of the persons in scope), which each source
    joins (findings.linked_sources). On a refresh those rows are exactly the fresh ones, since
    `_keep` deletes every row of a person in scope and inserts the fresh rows, all of persons in
    scope: so the fresh rows are computed once, as a temp table, and kept from it (finding them
    again in record_links was a pass over 10M rows, 0.4 s a night)."""
    _run(con, "10_record_links.sql")
    if full:
        _keep(con, "record_links", "fresh_record_links", full)
        temp_relation(con, "links_in_scope", "SELECT * FROM record_links", materialised=False)
    else:
        temp_relation(con, "links_in_scope", "SELECT * FROM fresh_record_links", materialised=True)
        _keep(con, "record_links", "links_in_scope", full)


def keep_findings(con: duckdb.DuckDBPyConnection, full: bool, snapshot_id: str) -> None:
    """findings_current from the rules engine's findings of the persons in scope (the rules_*
    views must exist), then the findings history moved to this snapshot."""
    _run(con, "20_findings_history.sql")
    _keep(con, "findings_current", "fresh_findings", full)
    con.execute("SET VARIABLE snapshot_id = ?", [snapshot_id])
    _run(con, "25_findings_history.sql")


def keep_store_tables(con: duckdb.DuckDBPyConnection, full: bool) -> dict[str, bool]:
    """pub_<table> for the per-person tables, in `storage_order`; store_<table> (what the publisher
    writes, as kept) reads them. Returns each table and whether it is wholly sorted (else a
    sorted body and the nights' sorted runs)."""
    _run(con, "30_store_tables.sql")
    kept = {}
    for model in PER_PERSON:
        table = f"pub_{model.table}"
        kept[model.table] = _keep(con, table, f"fresh_{model.table}", full, storage_order(model))
        con.execute(f"CREATE OR REPLACE VIEW store_{model.table} AS SELECT * FROM {table}")
    return kept


def mark_published(con: duckdb.DuckDBPyConnection) -> None:
    """The kept tables are now current: empty the pending lists, remember what computed them."""
    con.execute("DELETE FROM unpublished_profiles; DELETE FROM persons_dirty; DELETE FROM publish_state")
    con.execute(
        "INSERT INTO publish_state SELECT ?, list(coverage_year ORDER BY coverage_year) FROM coverage_years",
        [definition_fingerprint()],
    )
