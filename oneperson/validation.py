"""Turn a staged file's raw text into canonical typed values, or a reason why a row cannot be read.

The SQL is generated from the contract models (schemas/), so a column, code spelling or required
flag is declared once. A required field that is empty or unparsable makes the row unreadable
(quarantined); an optional field that does not parse is set to NULL and counted, while the raw
layer keeps what was sent.
"""

from __future__ import annotations

from enum import StrEnum

from oneperson.sqltext import literal, quote
from schemas.codes import spellings
from schemas.derive import Column, columns
from schemas.fields import Kind
from schemas.sources import SourceRecord
from schemas.values import DATE_FORMATS

# Trim ASCII and ideographic spaces; the empty string is null (CONTRACT §1).
_TRIM = "nullif(trim({c}, ' \t\r\n\u3000'), '')"


def trimmed(column: str) -> str:
    return _TRIM.format(c=quote(column))


def _code_case(value: str, enum: type[StrEnum]) -> str:
    arms = " ".join(
        f"WHEN {literal(spelling)} THEN {literal(member.value) if member else 'NULL'}"
        for spelling, member in spellings(enum).items()
    )
    return f"CASE lower({value}) {arms} ELSE NULL END"


def typed_expr(column: Column, value: str) -> str:
    """SQL turning the trimmed text `value` into the column's canonical value (NULL if it does not parse)."""
    if column.kind is Kind.DATE:
        tries = ", ".join(f"try_strptime({value}, {literal(f)})" for f in DATE_FORMATS)
        return f"CAST(coalesce({tries}) AS DATE)"
    if column.kind in (Kind.SEX, Kind.SCHEME, Kind.CODE):
        return _code_case(value, column.enum)  # type: ignore[arg-type]
    if column.kind is Kind.REGION:
        return f"CASE WHEN regexp_full_match({value}, '\\d{{6}}') THEN {value} END"
    if column.kind is Kind.YEAR:
        return f"CASE WHEN regexp_full_match({value}, '\\d{{4}}') THEN CAST({value} AS INTEGER) END"
    if column.kind is Kind.AMOUNT:
        return (
            f"CASE WHEN TRY_CAST({value} AS DECIMAL(14, 2)) >= 0 THEN TRY_CAST({value} AS DECIMAL(14, 2)) END"
        )
    return value


def sql_type(column: Column) -> str:
    return {Kind.DATE: "DATE", Kind.YEAR: "INTEGER", Kind.AMOUNT: "DECIMAL(14, 2)"}.get(
        column.kind, "VARCHAR"
    )


def validated_select(model: type[SourceRecord], staged_table: str, present: tuple[str, ...]) -> str:
    """SELECT over a staged file adding, per contract column, its trimmed text (`t_<name>`) and its
    canonical value (`v_<name>`), plus `_why` (why the row cannot be read, or NULL) and `_nulled`
    (optional columns whose value did not parse and was set to NULL)."""
    trims, typed, reasons, nulled = [], [], [], []
    for c in columns(model):
        text = quote("t_" + c.name)
        trims.append(f"{trimmed(c.name) if c.name in present else 'NULL::VARCHAR'} AS {text}")
        value = typed_expr(c, text)
        if c.name == "payer_type":  # the contract's one default: self
            value = f"coalesce({value}, 'self')"
        typed.append(f"CAST({value} AS {sql_type(c)}) AS {quote('v_' + c.name)}")
        unparsed = f"{text} IS NOT NULL AND ({value}) IS NULL"
        if c.kind is Kind.SEX:  # 0 and 9 parse to NULL on purpose: sex unknown
            unparsed += f" AND lower({text}) NOT IN ('0', '9')"
        label = f"{c.name} ({c.zh})"
        if c.required:
            reasons.append(
                f"CASE WHEN {text} IS NULL THEN {literal('missing required field ' + label)} "
                f"WHEN {unparsed} THEN {literal(f'unreadable {c.kind.value} in {label}: ')} || {text} END"
            )
        elif c.kind not in (Kind.TEXT, Kind.ID_NUMBER, Kind.NAME):
            nulled.append(f"CASE WHEN {unparsed} THEN {literal(c.name)} END")
    reason = "nullif(concat_ws('; ', " + ", ".join(reasons) + "), '')"
    nulled_list = (
        f"list_filter([{', '.join(nulled)}]::VARCHAR[], lambda x: x IS NOT NULL)"
        if nulled
        else "[]::VARCHAR[]"
    )
    return f"""WITH trimmed AS (SELECT *, {", ".join(trims)} FROM {staged_table})
        SELECT *, coalesce(_reason, {reason}) AS _why, {nulled_list} AS _nulled, {", ".join(typed)}
        FROM trimmed"""


def record_key_sql(model: type[SourceRecord]) -> str:
    """The record_key rule (schemas KEY_PARTS) over the canonical `v_` columns."""
    parts = []
    for field, width in model.KEY_PARTS:
        text = f"CAST({quote('v_' + field)} AS VARCHAR)"
        parts.append(f"substr({text}, 1, {width})" if width else text)
    return "concat_ws('|', " + ", ".join(parts) + ")"
