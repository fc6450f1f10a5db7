"""Field metadata shared by every contract model: Chinese header name and value kind.

A contract field is declared once, e.g. `name: str = col("姓名", Kind.NAME)`; column lists,
header aliases, Arrow/polars types and validation rules are all read back from these
declarations by `schemas.derive`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field


class Kind(StrEnum):
    """How a raw value is read and standardised."""

    TEXT = "text"
    ID_NUMBER = "id_number"  # resident ID as typed: repaired and validated, never rejected
    NAME = "name"  # Chinese name as typed: normalised for matching, never rejected
    DATE = "date"
    SEX = "sex"
    SCHEME = "scheme"
    CODE = "code"  # one of an enum's values (statuses, stages, assistance types)
    REGION = "region"  # 6-digit GB/T 2260 division code
    YEAR = "year"
    AMOUNT = "amount"


_UNSET: Any = ...


def col(zh: str, kind: Kind = Kind.TEXT, *, default: Any = _UNSET, description: str = "") -> Any:
    """Declare a contract column. Required unless a default is given (None for optional columns)."""
    extra = {"zh": zh, "kind": kind.value}
    if default is _UNSET:
        return Field(description=description or zh, json_schema_extra=extra)
    return Field(default=default, description=description or zh, json_schema_extra=extra)


def opt(zh: str, kind: Kind = Kind.TEXT, *, description: str = "") -> Any:
    """An optional contract column (empty = null)."""
    return col(zh, kind, default=None, description=description)
