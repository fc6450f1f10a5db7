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


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


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
        cols = "{" + ", ".join(f"{_sql_str(c)}: 'VARCHAR'" for c in names) + "}"
        con.execute(
            f"""CREATE TEMP TABLE {table}_read AS
            SELECT *, row_number() OVER () AS _ordinal FROM read_csv({_sql_str(tmp.name)},
                header = true, delim = ',', quote = '"', escape = '"', columns = {cols},
                auto_detect = false, strict_mode = true, null_padding = false, parallel = false,
                store_rejects = true, rejects_table = '{rejects}', rejects_scan = '{rejects}_scan')"""
        )
    reject_rows = con.execute(
        f"SELECT line, error_type, error_message, csv_line FROM {rejects} ORDER BY line"
    ).fetchall()
    n_read = con.execute(f"SELECT count(*) FROM {table}_read").fetchall()[0][0]
    # A physical line per record is the rule; a quoted value may hold a line break, which shifts
    # the lines of the records after it. Count those so line numbers stay physical.
    physical_lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    embedded = physical_lines != 1 + n_read + len(reject_rows)
    _attach_lines(con, table, names, [r[0] for r in reject_rows], embedded)
    con.execute(f"DROP TABLE {table}_read")
    _stage_rejects(con, table, names, reject_rows)
    con.execute(f"DROP TABLE IF EXISTS {rejects}; DROP TABLE IF EXISTS {rejects}_scan")
    return StagedFile(
        table,
        n_read + len(reject_rows),
        tuple(c for c in names if not c.startswith("extra:")),
        tuple(extras),
        encoding,
    )


def _attach_lines(
    con: duckdb.DuckDBPyConnection, table: str, names: list[str], reject_lines: list[int], embedded: bool
) -> None:
    """Physical line of every read record, from its ordinal, its line breaks and the rejects' lines.

    Record k (1-based) would sit on line 1 + k + (line breaks inside earlier records) if nothing
    had been rejected; each rejected line before it pushes it down by one. Written by hand: DuckDB's
    CSV reader reports lines only for rejected rows.
    """
    breaks = (
        " + ".join(
            f"coalesce(length({quote(c)}) - length(replace({quote(c)}, chr(10), '')), 0)" for c in names
        )
        if embedded
        else "0"
    )
    con.execute(f"CREATE TEMP TABLE {table}_q AS SELECT unnest(?::BIGINT[]) AS line", [reject_lines])
    con.execute(f"""CREATE TEMP TABLE {table} AS
        WITH provisional AS (
            SELECT *, 1 + _ordinal + coalesce(sum({breaks}) OVER (ORDER BY _ordinal
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS _p
            FROM {table}_read),
        rejected AS (SELECT line - row_number() OVER (ORDER BY line) + 1 AS q FROM {table}_q)
        SELECT * EXCLUDE (_ordinal, _p),
               _p + (SELECT count(*) FROM rejected WHERE q <= _p) AS _line,
               NULL::VARCHAR AS _reason, NULL::VARCHAR AS _raw
        FROM provisional""")
    con.execute(f"DROP TABLE {table}_q")


def _stage_rejects(
    con: duckdb.DuckDBPyConnection, table: str, names: list[str], rejects: list[tuple]
) -> None:
    """Rows the CSV reader could not split into the header's fields: reason and raw text only."""
    if not rejects:
        return
    con.executemany(
        f"INSERT INTO {table} (_line, _reason, _raw) VALUES (?, ?, ?)",
        [
            (
                line,
                f"wrong field count: {message}" if "COLUMNS" in kind else f"unreadable row: {message}",
                csv_line.strip("\r\n"),
            )
            for line, kind, message, csv_line in rejects
        ],
    )


def _read_parquet(con: duckdb.DuckDBPyConnection, path: Path, model: type[SourceRecord]) -> StagedFile:
    try:
        header = [
            r[0]
            for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet({_sql_str(str(path))})").fetchall()
        ]
    except duckdb.Error as exc:
        raise UnreadableFile(f"{path}: not a readable Parquet file ({exc})") from exc
    names, extras = map_header(header, model, path)
    table = f"stage_{next(_ids)}"
    # Typed columns become text as a clerk would write them: DATE -> YYYY-MM-DD, DECIMAL -> 380.00.
    select = ", ".join(f"{quote(h)}::VARCHAR AS {quote(n)}" for h, n in zip(header, names, strict=True))
    con.execute(f"""CREATE TEMP TABLE {table} AS
        SELECT {select}, file_row_number + 2 AS _line, NULL::VARCHAR AS _reason, NULL::VARCHAR AS _raw
        FROM read_parquet({_sql_str(str(path))}, file_row_number = true)""")
    n = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    return StagedFile(
        table, n, tuple(c for c in names if not c.startswith("extra:")), tuple(extras), "parquet"
    )


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
