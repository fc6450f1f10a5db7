"""ID-number standardisation as DuckDB SQL macros (sql/standardise/id_number.sql), for set work.

The macros mirror the scalar Python reference in matching.id_numbers and run vectorised inside
DuckDB (no Python UDFs). After `install_id_macros(con)`, any SELECT can use e.g.

    SELECT id_std(id_number), id_issue(id_number), id_repair_kind(id_number) FROM enrollment

Region validation reads the table `division_codes(code, province)`: every current and historical
division code (matching.divisions.known_codes()) with its 2-digit province code.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from matching.divisions import known_codes
from oneperson.warehouse import tables_present

MACRO_FILE = Path(__file__).parents[1] / "sql" / "standardise" / "id_number.sql"
DIVISION_TABLE = "division_codes"


def division_codes_frame() -> pl.DataFrame:
    """Every division code that has existed, sorted, with its province code (first 2 digits)."""
    codes = pl.Series("code", sorted(known_codes()), dtype=pl.String)
    return pl.DataFrame({"code": codes, "province": codes.str.slice(0, 2)})


def install_id_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create `division_codes` if it does not exist, then (re)create the id_* macros in `con`."""
    if not tables_present(con, DIVISION_TABLE):
        con.execute(f"CREATE TABLE {DIVISION_TABLE} (code VARCHAR PRIMARY KEY, province VARCHAR)")
        con.register("_division_codes_frame", division_codes_frame().to_arrow())
        try:
            con.execute(f"INSERT INTO {DIVISION_TABLE} SELECT code, province FROM _division_codes_frame")
        finally:
            con.unregister("_division_codes_frame")
    con.execute(MACRO_FILE.read_text(encoding="utf-8"))
