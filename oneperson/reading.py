"""Read one landing file into a DuckDB staging table of raw text, with physical line numbers.

CSV goes through DuckDB's reader (strict field counts, RFC 4180 quoting, rejects recorded with
their line); Parquet through DuckDB's Parquet reader. GB18030 and gzip are undone in Python
first, because DuckDB's own encodings extension would have to be downloaded.

The staging table has one VARCHAR column per contract column present in the file (English
names), `extra` (a JSON object of unknown columns), `_line` and `_reason` (NULL for rows that
were read; the field-count problem for rows that were not, whose values are NULL and whose
`_raw` holds the line as delivered).
"""

from __future__ import annotations

import csv
import gzip
import itertools
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from oneperson.sqltext import literal, quote
from schemas.derive import columns, header_aliases
from schemas.sources import SourceRecord

_ids = itertools.count()


class UnreadableFile(Exception):
    """The file as a whole cannot be read: its batch fails, naming the file."""


@dataclass(frozen=True)
class StagedFile:
    table: str  # temp table in the connection
    rows_read: int  # data rows, readable or not (= what a manifest counts)
    columns: tuple[str, ...]  # contract columns present, in file order
    extra_columns: tuple[str, ...]  # headers the contract does not know
    encoding: str


def decode(raw: bytes, path: Path) -> tuple[str, str]:
    """(text, encoding): UTF-8 with or without BOM, else GB18030 (which includes GBK)."""
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"{path}: neither UTF-8 nor GB18030 text (byte {exc.start})") from exc


def map_header(header: list[str], model: type[SourceRecord], path: Path) -> tuple[list[str], list[str]]:
    """Column name for each header cell (contract name, or `extra:<header>`), and the unknown headers."""
    aliases = header_aliases(model)
    names, extras = [], []
    for cell in header:
        cell = cell.strip().lstrip("\ufeff")
        name = aliases.get(cell)
        if name is None:
            name = f"extra:{cell}"
            extras.append(cell)
        if name in names:
            raise UnreadableFile(f"{path}: column {cell!r} appears twice in the header")
        names.append(name)
    known = [n for n in names if not n.startswith("extra:")]
    if not known:
        raise UnreadableFile(f"{path}: no {model.source} column in the header {header!r}")
    missing = [f"{c.name} ({c.zh})" for c in columns(model) if c.required and c.name not in known]
    if missing:
        raise UnreadableFile(f"{path}: header lacks required column(s): {', '.join(missing)}")
    return names, extras


def read_into(con: duckdb.DuckDBPyConnection, path: Path, model: type[SourceRecord]) -> StagedFile:
    """Stage one file. Raises UnreadableFile when the file as a whole cannot be read."""
    if path.name.endswith(".parquet"):
        return _read_parquet(con, path, model)
    if path.name.endswith(".csv") or path.name.endswith(".csv.gz"):
        return _read_csv(con, path, model)
    raise UnreadableFile(f"{path}: not a .csv, .csv.gz or .parquet file")


def _read_csv(con: duckdb.DuckDBPyConnection, path: Path, model: type[SourceRecord]) -> StagedFile:
    raw = path.read_bytes()
    if path.name.endswith(".gz"):
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise UnreadableFile(f"{path}: not a readable gzip file ({exc})") from exc
    text, encoding = decode(raw, path)
    if not text.strip():
        raise UnreadableFile(f"{path}: empty file (no header)")
    first_line = text.split("\n", 1)[0].rstrip("\r")
    header = next(csv.reader([first_line]))
    names, extras = map_header(header, model, path)
    n = next(_ids)
    table, rejects = f"stage_{n}", f"rejects_{n}"
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".csv", newline="", delete=True) as tmp:
        tmp.write(text)
        tmp.flush()
        cols = "{" + ", ".join(f"{literal(c)}: 'VARCHAR'" for c in names) + "}"
        con.execute(
            f"""CREATE TEMP TABLE {table}_read AS
            SELECT *, row_number() OVER () AS _ordinal FROM read_csv({literal(tmp.name)},
                header = true, delim = ',', quote = '"', escape = '"', columns = {cols},
                auto_detect = false, strict_mode = true, null_padding = false, parallel = false,
                store_rejects = true, rejects_table = '{rejects}', rejects_scan = '{rejects}_scan')"""
        )
    # DuckDB may report one reject per missing column: one row per line is what was delivered.
    reject_rows = con.execute(
        f"""SELECT line, arg_min(error_type, column_idx), arg_min(error_message, column_idx),
                   arg_min(csv_line, column_idx)
            FROM {rejects} GROUP BY line ORDER BY line"""
    ).fetchall()
    n_read = con.execute(f"SELECT count(*) FROM {table}_read").fetchall()[0][0]
    # A physical line per record is the rule; a quoted value may hold a line break, which shifts
    # the lines of the records after it. Count those so line numbers stay physical.
    physical_lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    embedded = physical_lines != 1 + n_read + len(reject_rows)
    _attach_lines(con, table, names, reject_rows, embedded)
    con.execute(
        f"DROP TABLE {table}_read; DROP TABLE IF EXISTS {rejects}; DROP TABLE IF EXISTS {rejects}_scan"
    )
    return StagedFile(
        table,
        n_read + len(reject_rows),
        tuple(c for c in names if not c.startswith("extra:")),
        tuple(extras),
        encoding,
    )


def _attach_lines(
    con: duckdb.DuckDBPyConnection, table: str, names: list[str], rejects: list[tuple], embedded: bool
) -> None:
    """Build the staging table: read records with their physical line, plus one row per rejected line.

    Written by hand: DuckDB's CSV reader numbers only rejected rows, and by record (header = 1).
    Read record k (1-based) has record number 1 + k + (rejects before it); its physical line adds
    the line breaks inside earlier read records. A rejected record's physical line likewise adds
    the line breaks of the read records before it.
    """
    breaks = (
        " + ".join(
            f"coalesce(length({quote(c)}) - length(replace({quote(c)}, chr(10), '')), 0)" for c in names
        )
        if embedded
        else "0"
    )
    if not rejects and not embedded:  # the common case: record k is on line k + 1
        con.execute(f"""CREATE TEMP TABLE {table} AS SELECT * EXCLUDE (_ordinal), 1 + _ordinal AS _line,
            NULL::VARCHAR AS _reason, NULL::VARCHAR AS _raw FROM {table}_read""")
        return
    con.execute(f"CREATE TEMP TABLE {table}_rej (record BIGINT, kind VARCHAR, message VARCHAR, raw VARCHAR)")
    if rejects:
        con.executemany(f"INSERT INTO {table}_rej VALUES (?, ?, ?, ?)", rejects)
    con.execute(f"""CREATE TEMP TABLE {table}_num AS
        WITH gaps AS (SELECT record - row_number() OVER (ORDER BY record) + 1 AS q FROM {table}_rej),
        numbered AS (
            SELECT *, 1 + _ordinal + (SELECT count(*) FROM gaps WHERE q <= 1 + _ordinal) AS _record,
                   {breaks} AS _breaks
            FROM {table}_read)
        SELECT *, coalesce(sum(_breaks) OVER (ORDER BY _ordinal ROWS BETWEEN UNBOUNDED PRECEDING
                                                               AND 1 PRECEDING), 0) AS _breaks_before
        FROM numbered""")
    con.execute(f"""CREATE TEMP TABLE {table} AS
        SELECT * EXCLUDE (_ordinal, _record, _breaks, _breaks_before), _record + _breaks_before AS _line,
               NULL::VARCHAR AS _reason, NULL::VARCHAR AS _raw
        FROM {table}_num""")
    con.execute(f"""INSERT INTO {table} (_line, _reason, _raw)
        SELECT r.record + coalesce((SELECT sum(_breaks) FROM {table}_num AS n WHERE n._record < r.record), 0),
               CASE WHEN r.kind LIKE '%COLUMNS%' THEN 'wrong field count: ' ELSE 'unreadable row: ' END
                   || r.message,
               trim(r.raw, chr(13) || chr(10))
        FROM {table}_rej AS r""")
    con.execute(f"DROP TABLE {table}_num; DROP TABLE {table}_rej")


def _read_parquet(con: duckdb.DuckDBPyConnection, path: Path, model: type[SourceRecord]) -> StagedFile:
    try:
        header = [
            r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet({literal(str(path))})").fetchall()
        ]
    except duckdb.Error as exc:
        raise UnreadableFile(f"{path}: not a readable Parquet file ({exc})") from exc
    names, extras = map_header(header, model, path)
    table = f"stage_{next(_ids)}"
    # Typed columns become text as a clerk would write them: DATE -> YYYY-MM-DD, DECIMAL -> 380.00.
    select = ", ".join(f"{quote(h)}::VARCHAR AS {quote(n)}" for h, n in zip(header, names, strict=True))
    con.execute(f"""CREATE TEMP TABLE {table} AS
        SELECT {select}, file_row_number + 2 AS _line, NULL::VARCHAR AS _reason, NULL::VARCHAR AS _raw
        FROM read_parquet({literal(str(path))}, file_row_number = true)""")
    n = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    return StagedFile(
        table, n, tuple(c for c in names if not c.startswith("extra:")), tuple(extras), "parquet"
    )
