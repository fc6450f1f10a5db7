"""The CONTRACT §2 findings on linked persons, with stable ids and first-seen snapshots.

The rules engine (oneperson/rules.py, sql/findings/) reads one relation per source with
`person` and `link_probability`; here they are the current records joined to their persons
(sql/store/10_record_links.sql). Then sql/store/ builds the store tables as views.
"""

from __future__ import annotations

import duckdb

from oneperson.rules import compute_findings
from oneperson.warehouse import SQL
from schemas.sources import SOURCES


def _run(con: duckdb.DuckDBPyConnection, name: str) -> None:
    con.execute((SQL / "store" / name).read_text(encoding="utf-8"))


def linked_sources(con: duckdb.DuckDBPyConnection) -> None:
    """One view per source as the rules engine expects: current records + person + link_probability."""
    _run(con, "10_record_links.sql")
    for source in SOURCES:
        con.execute(f"""CREATE OR REPLACE TEMP VIEW {source} AS
            SELECT c.*, l.person_id AS person, l.link_probability
            FROM current_{source} AS c
            JOIN record_links AS l ON l.source = '{source}' AND l.record_key = c.record_key""")
    con.execute("""CREATE OR REPLACE TEMP VIEW coverage_years AS
        SELECT DISTINCT coverage_year::INTEGER AS coverage_year FROM current_enrollment
        UNION SELECT DISTINCT coverage_year::INTEGER FROM current_tax""")


def build_findings(con: duckdb.DuckDBPyConnection, snapshot_id: str) -> int:
    """Compute findings for this snapshot, update their history, define the store_* views."""
    linked_sources(con)
    compute_findings(con)  # creates the rules_* views, rules_findings last
    con.execute(f"SET VARIABLE snapshot_id = '{snapshot_id}'")
    _run(con, "20_findings_history.sql")
    _run(con, "30_store_tables.sql")
    return con.execute("SELECT count(*) FROM findings_current").fetchall()[0][0]
