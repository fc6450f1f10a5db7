"""Read column lists, header aliases and Arrow/polars types back from the contract models.

Nothing outside `schemas/` lists a source's columns by hand: it asks this module.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from functools import cache

import polars as pl
import pyarrow as pa
from pydantic import BaseModel

from schemas.fields import Kind


@dataclass(frozen=True)
class Column:
    name: str
    zh: str | None
    kind: Kind
    required: bool
    py_type: type  # the annotation without Optional: str, int, date, Decimal, list, an enum ...
    enum: type[StrEnum] | None
    item_type: type | None = None  # for list[...] columns
    nullable: bool = True  # the annotation admits None


def _unwrap(annotation: object) -> tuple[type, type | None]:
    """(base type, list item type) of an annotation, Optional removed."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _unwrap(args[0])
    if origin is list:
        (item,) = typing.get_args(annotation)
        return list, _unwrap(item)[0]
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    return annotation, None  # type: ignore[return-value]


def _admits_none(annotation: object) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in typing.get_args(
        annotation
    )


def _infer_kind(py_type: type, declared: Kind) -> Kind:
    if declared is not Kind.TEXT:
        return declared
    if isinstance(py_type, type) and issubclass(py_type, StrEnum):
        from schemas.codes import Scheme, Sex

        return {Sex: Kind.SEX, Scheme: Kind.SCHEME}.get(py_type, Kind.CODE)
    return {date: Kind.DATE, int: Kind.YEAR, Decimal: Kind.AMOUNT}.get(py_type, Kind.TEXT)


@cache
def columns(model: type[BaseModel]) -> tuple[Column, ...]:
    """The model's columns in declaration order."""
    out = []
    for name, field in model.model_fields.items():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        py_type, item = _unwrap(field.annotation)
        declared = Kind(extra.get("kind", Kind.TEXT))
        enum = py_type if isinstance(py_type, type) and issubclass(py_type, StrEnum) else None
        out.append(
            Column(
                name=name,
                zh=extra.get("zh"),  # type: ignore[arg-type]
                kind=_infer_kind(py_type, declared),
                required=field.is_required(),
                py_type=py_type,
                enum=enum,
                item_type=item,
                nullable=_admits_none(field.annotation),
            )
        )
    return tuple(out)


def column_names(model: type[BaseModel]) -> list[str]:
    return [c.name for c in columns(model)]


def required_columns(model: type[BaseModel]) -> list[str]:
    return [c.name for c in columns(model) if c.required]


@cache
def header_aliases(model: type[BaseModel]) -> dict[str, str]:
    """Every accepted header (English or Chinese) -> English column name."""
    table: dict[str, str] = {}
    for c in columns(model):
        table[c.name] = c.name
        if c.zh:
            table[c.zh] = c.name
    return table


def _arrow_type(py_type: type, item: type | None) -> pa.DataType:
    if py_type is list:
        return pa.list_(_arrow_type(item or str, None))
    if isinstance(py_type, type) and issubclass(py_type, StrEnum):
        return pa.string()
    return {
        str: pa.string(),
        int: pa.int64(),
        float: pa.float64(),
        bool: pa.bool_(),
        date: pa.date32(),
        datetime: pa.timestamp("us", tz="UTC"),
        Decimal: pa.decimal128(14, 2),
    }[py_type]


@cache
def arrow_schema(model: type[BaseModel]) -> pa.Schema:
    """Arrow schema of a model's canonical (typed) form."""
    return pa.schema(
        [pa.field(c.name, _arrow_type(c.py_type, c.item_type), nullable=c.nullable) for c in columns(model)]
    )


def polars_schema(model: type[BaseModel]) -> pl.Schema:
    """polars schema of a model's canonical (typed) form."""
    empty = pl.from_arrow(arrow_schema(model).empty_table())
    assert isinstance(empty, pl.DataFrame)
    return empty.schema


def raw_string_schema(model: type[BaseModel]) -> pl.Schema:
    """Every column as text: the raw layer, read exactly as delivered."""
    return pl.Schema({c.name: pl.String for c in columns(model)})
