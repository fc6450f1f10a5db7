"""The CONTRACT §2 findings, computed by one DuckDB SQL rules engine (sql/findings/*.sql).

The engine is shared by the world generator (records joined on true person keys: the answer key)
and by the pipeline (records joined on linked person ids), so it only ever reads a `person`
column and never asks where it came from.

The caller prepares, in the connection, one table or view per source (`enrollment`, `tax`,
`public_security`, `education`, `civil_affairs`: the current version of each record, columns
named and typed as in schemas/sources.py, plus `record_key`, `person` and `link_probability`)
and `coverage_years(coverage_year INTEGER)`, the years to evaluate.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

SQL_DIR = Path(__file__).parents[1] / "sql" / "findings"
FINDINGS_VIEW = "rules_findings"
FINDINGS_COLUMNS = (
    "finding_type",
    "person",
    "coverage_year",
    "record_keys",
    "min_match_probability",
    "keep_record_key",
    "resolution_rule",
)


def sql_files() -> list[Path]:
    """The rules engine's SQL files, in the order they must run (file name order)."""
    return sorted(SQL_DIR.glob("*.sql"))


def create_views(con: duckdb.DuckDBPyConnection) -> None:
    """Create (or replace) the engine's temp views in `con`; they read the caller's tables lazily."""
    for path in sql_files():
        con.execute(path.read_text(encoding="utf-8"))


def compute_findings(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
    """All findings, one row per (person, coverage_year, finding_type), sorted by those columns.

    Columns: finding_type, person, coverage_year, record_keys (sorted, distinct),
    min_match_probability, keep_record_key and resolution_rule (duplicate_* findings only).
    """
    create_views(con)
    columns = ", ".join(FINDINGS_COLUMNS)
    return con.sql(f"SELECT {columns} FROM {FINDINGS_VIEW} ORDER BY person, coverage_year, finding_type")
