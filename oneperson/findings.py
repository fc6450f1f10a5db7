"""The CONTRACT §2 findings on linked persons, with stable ids and first-seen snapshots.

The rules engine (oneperson/rules.py, sql/findings/) reads one relation per source with
`person` and `link_probability`; here they are the current records joined to their persons
(sql/store/10_record_links.sql), for the persons whose rows this publish refreshes
(oneperson/materialise.py). Then sql/store/ keeps the store tables.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import duckdb

from oneperson import materialise
from oneperson.rules import compute_findings
from oneperson.warehouse import temp_relation
from schemas.sources import SOURCES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Refresh:
    mode: str  # "incremental", or "full: <why>"
    persons_refreshed: int | None  # None: every person
    findings: int
    # the store tables kept in storage order, and whether each is wholly sorted (materialise.py)
    kept: dict[str, bool] = field(default_factory=dict)


def coverage_years(con: duckdb.DuckDBPyConnection) -> None:
    """The years every person is evaluated for: those of any enrollment or payment."""
    con.execute("""CREATE OR REPLACE TEMP VIEW coverage_years AS
        SELECT DISTINCT coverage_year::INTEGER AS coverage_year FROM current_enrollment
        UNION SELECT DISTINCT coverage_year::INTEGER FROM current_tax""")


def linked_sources(con: duckdb.DuckDBPyConnection, materialised: bool = False) -> None:
    """One relation per source as the rules engine expects: current records + person +
    link_probability (of the persons in links_in_scope). `materialised`: temp tables rather than
    views, for a refresh of a few persons (the rules read each source several times; as views,
    each read joined the whole source again: 13 s of a 10M-record increment)."""
    for source in SOURCES:
        temp_relation(
            con,
            source,
            f"""SELECT c.*, l.person_id AS person, l.link_probability
            FROM current_{source} AS c
            JOIN links_in_scope AS l ON l.source = '{source}' AND l.record_key = c.record_key""",
            materialised,
        )


def refresh_store(con: duckdb.DuckDBPyConnection, snapshot_id: str) -> Refresh:
    """Refresh the kept links, findings (and their history) and store tables for this snapshot."""
    coverage_years(con)
    mode = materialise.refresh_mode(con)
    full = mode != "incremental"
    persons = materialise.scope(con, full)
    materialise.keep_record_links(con, full)
    linked_sources(con, materialised=not full)
    compute_findings(con)  # creates the rules_* views, rules_findings last
    materialise.keep_findings(con, full, snapshot_id)
    kept = materialise.keep_store_tables(con, full)
    materialise.mark_published(con)
    findings = con.execute("SELECT count(*) FROM findings_current").fetchall()[0][0]
    log.info("store refresh %s: %s persons", mode, "every" if persons is None else f"{persons:,}")
    return Refresh(mode, persons, findings, kept)


def build_findings(con: duckdb.DuckDBPyConnection, snapshot_id: str) -> int:
    """Compute findings for this snapshot, update their history, keep the store tables; returns
    the findings count."""
    return refresh_store(con, snapshot_id).findings
