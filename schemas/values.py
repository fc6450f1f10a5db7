"""Parsing of single raw values as CONTRACT §1 "Value formats" allows them.

Used by the pydantic models (one row at a time: tests, tools, small files). The vectorised
ingest implements the same formats in SQL and derives its code tables from `schemas.codes`.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from schemas.codes import spellings

# The four date formats of CONTRACT §1: YYYY-MM-DD, YYYYMMDD, YYYY/MM/DD, YYYY/M/D.
# As strptime patterns, for bulk parsers (DuckDB's %m/%d also read one digit: YYYY/M/D).
DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d")
_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})-(\d{2})|(\d{2})(\d{2})|/(\d{1,2})/(\d{1,2}))$")
REGION_RE = re.compile(r"^\d{6}$")
YEAR_RE = re.compile(r"^\d{4}$")


def blank_to_none(value: object) -> object:
    """Strip stray spaces from strings; the empty string means null."""
    if isinstance(value, str):
        value = value.strip().strip("\u3000")
        return value or None
    return value


def parse_date(value: object) -> date | None:
    value = blank_to_none(value)
    if value is None or isinstance(value, date):
        return value
    match = _DATE_RE.match(str(value))
    if not match:
        raise ValueError(f"not a date in an accepted format (YYYY-MM-DD, YYYYMMDD, YYYY/M/D): {value!r}")
    g = match.groups()
    year = int(g[0])
    month, day = next((int(a), int(b)) for a, b in ((g[1], g[2]), (g[3], g[4]), (g[5], g[6])) if a)
    return date(year, month, day)


def parse_code(enum: type[StrEnum], value: object) -> StrEnum | None:
    value = blank_to_none(value)
    if value is None or isinstance(value, enum):
        return value
    table = spellings(enum)
    key = str(value).casefold()
    if key not in table:
        allowed = ", ".join(sorted(k for k in table if k))
        raise ValueError(f"unknown {enum.__name__} code {value!r} (accepted: {allowed})")
    return table[key]


def parse_region(value: object) -> str | None:
    value = blank_to_none(value)
    if value is None:
        return None
    text = str(value)
    if not REGION_RE.match(text):
        raise ValueError(f"region code must be 6 digits (GB/T 2260): {value!r}")
    return text


def parse_year(value: object) -> int | None:
    value = blank_to_none(value)
    if value is None:
        return None
    text = str(value)
    if not YEAR_RE.match(text):
        raise ValueError(f"year must be 4 digits: {value!r}")
    return int(text)


def parse_amount(value: object) -> Decimal | None:
    value = blank_to_none(value)
    if value is None:
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"amount is not a number: {value!r}") from exc
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"amount must be a non-negative number: {value!r}")
    return amount
