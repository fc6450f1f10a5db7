"""Turn a source's clean record frame into what a clerk typed, vectorised.

`apply_clerk_errors(frame, source, rates, seed)` takes the generator's clean record frame (one row
per record; every column of the source model in its typed form, plus `record_key`, `person_key`,
`batch_index`) and returns the same rows, in the same order, with every model column written as
text the way a department sends it (CONTRACT §1 "Value formats"), plus a log with one row per
error applied (`source, record_key, field, error_kind`; error_kind = a `ClerkErrorRates` field).

What is varied (each record independently, with the rate of `rates`):
- id_number: at most one "digit" error (id_typo, id_transposition, id_legacy_15, id_missing);
  cosmetic ones (id_lowercase_x, id_fullwidth, id_spaces) combine freely with them.
- name: name_homophone (one given-name character, never the surname, never a minority name),
  name_traditional (whole name through OpenCC s2t, when that changes it), name_dot_variant
  (minority names: '·' typed otherwise or dropped), name_spaces (a space or U+3000 inside).
- dates: date_variant (YYYYMMDD, YYYY/MM/DD or YYYY/M/D instead of ISO).
- sex: '1'/'2', with sex_variant '男'/'女' or 'M'/'F'.
- scheme and other codes: canonical value, with code_word a Chinese (or for scheme English) word.
- years as digits, amounts with two decimals; stray_spaces: one non-null value of the record
  gets a leading or trailing space.

Rates that only make sense for some records are shares of the records where the error is possible:
id_lowercase_x of IDs ending in X, id_legacy_15 of persons born 1900-1999 (sequence 996-999
excluded: upgrading those 15-digit numbers inserts the century 18), name_dot_variant of minority
names, name_homophone of names with a given-name character that has a homophone (among the frame's
characters), name_traditional of names with a character that has a traditional form. The four
digit errors take disjoint slices of one uniform draw, so each keeps its own rate (their sum must
stay below 1). id_missing never empties a required ID column (public_security): that row would be
unreadable, which is the malformed-rows generator's business, not a clerk error.

Only errors on identity fields are logged (id_number, name, sex, birth_date): those are what
standardisation must undo and what the evaluation measures recall on. Format variants of other
columns (dates, codes, stray spaces) are applied but not logged.

Randomness: every (field, error kind) draws from its own stream
`numpy.random.default_rng([seed, stable_int(source), stable_int(field), stable_int(kind)])`, so the
output depends only on the seed, the source and the frame, and adding a column or an error kind
does not shift the errors of the others. Nothing loops over rows in Python; loops run over unique
names or characters, over columns, or over a handful of variants.
"""

from __future__ import annotations

import hashlib
import unicodedata
from enum import StrEnum
from functools import cache

import numpy as np
import polars as pl

from generator.config import ClerkErrorRates
from generator.names import COMPOUND_SURNAMES, MIDDLE_DOT
from schemas.codes import CHINESE, Sex, spellings
from schemas.derive import Column, columns
from schemas.fields import Kind
from schemas.sources import SOURCES

# How a minority name's separator is mistyped ('' = dropped); CONTRACT §1 lists these forms.
DOT_VARIANTS = ("\u2022", "\uff0e", ".", "\u30fb", "")
SPACES = (" ", "\u3000")  # inner spaces a clerk types: ASCII or ideographic
DATE_VARIANT_FORMATS = ("%Y%m%d", "%Y/%m/%d", "%Y/%-m/%-d")
ISO_FORMAT = "%Y-%m-%d"
ID_DIGIT_ERRORS = ("id_typo", "id_transposition", "id_legacy_15", "id_missing")  # mutually exclusive
# Every error kind; the log is sorted by row, then by this order.
ERROR_KINDS = tuple(ClerkErrorRates.model_fields)
LOG_SCHEMA = pl.Schema(
    {"source": pl.String, "record_key": pl.String, "field": pl.String, "error_kind": pl.String}
)


def stable_int(text: str) -> int:
    """A 64-bit integer of a string that is the same in every process (unlike hash())."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def _logged(column: Column) -> bool:
    """Identity fields: errors on them go to the log."""
    return column.kind in (Kind.ID_NUMBER, Kind.NAME, Kind.SEX) or column.name == "birth_date"


class _Run:
    """State of one call: random streams, the row count and the error log being collected."""

    def __init__(self, frame: pl.DataFrame, source: str, seed: int) -> None:
        self.n = frame.height
        self.source = source
        self.seed = int(seed)
        self.record_key = frame["record_key"]
        self.logs: list[pl.DataFrame] = []

    def rng(self, field: str, kind: str) -> np.random.Generator:
        return np.random.default_rng(
            [self.seed, stable_int(self.source), stable_int(field), stable_int(kind)]
        )

    def draw(self, field: str, kind: str, rate: float) -> tuple[np.random.Generator, np.ndarray]:
        """(the stream, a per-row mask 'this row is hit at this rate') for one field and kind."""
        rng = self.rng(field, kind)
        if rate <= 0:
            return rng, np.zeros(self.n, dtype=bool)
        return rng, rng.random(self.n) < rate

    def log(self, field: str, kind: str, rows: np.ndarray, logged: bool = True) -> None:
        if not logged or rows.size == 0:
            return
        self.logs.append(
            pl.DataFrame(
                {
                    "_row": rows.astype(np.int64),
                    "_ord": np.full(rows.size, ERROR_KINDS.index(kind), dtype=np.int16),
                    "record_key": self.record_key.gather(rows),
                }
            ).with_columns(field=pl.lit(field), error_kind=pl.lit(kind))
        )

    def error_log(self) -> pl.DataFrame:
        if not self.logs:
            return pl.DataFrame(schema=LOG_SCHEMA)
        return (
            pl.concat(self.logs)
            .sort("_row", "_ord", maintain_order=True)
            .select(pl.lit(self.source).alias("source"), "record_key", "field", "error_kind")
            .cast(dict(LOG_SCHEMA))  # type: ignore[arg-type]
        )


def _rows(mask: np.ndarray) -> np.ndarray:
    return np.flatnonzero(mask)


def _mask(series: pl.Series) -> np.ndarray:
    """A boolean Series as a numpy mask, null = False."""
    return series.fill_null(False).to_numpy()


def _scatter(series: pl.Series, rows: np.ndarray, values: pl.Series | list | np.ndarray) -> pl.Series:
    if rows.size == 0:
        return series
    out = series.clone()
    out.scatter(rows, values)
    return out


def _choice(rng: np.random.Generator, options: tuple[str, ...], size: int) -> np.ndarray:
    return np.asarray(options, dtype=object)[rng.integers(0, len(options), size)]


# ---------------------------------------------------------------------------------------------
# ID numbers
# ---------------------------------------------------------------------------------------------
_FULLWIDTH = {c: chr(ord(c) + 0xFEE0) for c in "0123456789Xx"}


def _id_matrix(values: pl.Series) -> np.ndarray:
    """(m, 18) uint8 matrix of the ASCII codes of m valid 18-character IDs."""
    raw = values.cast(pl.Binary).to_numpy().astype("S18")
    return raw.view(np.uint8).reshape(-1, 18).copy()


def _id_strings(matrix: np.ndarray, width: int) -> pl.Series:
    return pl.Series(
        np.ascontiguousarray(matrix).view(f"S{width}").ravel().astype(f"U{width}"), dtype=pl.String
    )


def _id_numbers(
    run: _Run, series: pl.Series, field: str, rates: ClerkErrorRates, logged: bool, required: bool
) -> pl.Series:
    s = series.cast(pl.String)
    valid = _mask(s.str.contains(r"^\d{17}[\dX]$"))
    year = s.str.slice(6, 4).cast(pl.Int32, strict=False)
    seq = s.str.slice(14, 3)
    legacy_ok = valid & _mask(year.is_between(1900, 1999) & ~seq.is_in(["996", "997", "998", "999"]))
    # One uniform draw decides the digit error; disjoint intervals keep each kind's own rate.
    rng_kind = run.rng(field, "id_digit_error")
    u = rng_kind.random(run.n)
    bounds = np.cumsum([getattr(rates, k) for k in ID_DIGIT_ERRORS])
    kind_index = np.searchsorted(bounds, u, side="right")  # len(ID_DIGIT_ERRORS) = none
    digit = {k: kind_index == i for i, k in enumerate(ID_DIGIT_ERRORS)}
    digit["id_typo"] &= valid
    digit["id_transposition"] &= valid
    digit["id_legacy_15"] &= legacy_ok
    # A required ID column (public_security) is never emptied: that row would be unreadable.
    digit["id_missing"] &= s.is_not_null().to_numpy() & (not required)

    rows = _rows(digit["id_typo"])
    if rows.size:
        rng = run.rng(field, "id_typo")
        m = _id_matrix(s.gather(rows))
        pos = rng.integers(0, 17, rows.size)
        shift = rng.integers(1, 10, rows.size)  # a different digit: the check character catches it
        r = np.arange(rows.size)
        m[r, pos] = 48 + (m[r, pos] - 48 + shift) % 10
        s = _scatter(s, rows, _id_strings(m, 18))
        run.log(field, "id_typo", rows, logged)

    rows = _rows(digit["id_transposition"])
    if rows.size:
        rng = run.rng(field, "id_transposition")
        m = _id_matrix(s.gather(rows))
        differs = m[:, :16] != m[:, 1:17]  # swapping equal digits would change nothing
        key = np.where(differs, rng.random(differs.shape), -1.0)
        pos = key.argmax(axis=1)
        ok = differs.any(axis=1)
        r = np.arange(rows.size)
        left = m[r, pos].copy()
        m[r, pos] = np.where(ok, m[r, pos + 1], left)
        m[r, pos + 1] = np.where(ok, left, m[r, pos + 1])
        rows, m = rows[ok], m[ok]
        s = _scatter(s, rows, _id_strings(m, 18))
        run.log(field, "id_transposition", rows, logged)

    rows = _rows(digit["id_legacy_15"])
    if rows.size:
        m = _id_matrix(s.gather(rows))
        legacy = m[:, [*range(6), *range(8, 17)]]  # region + YYMMDD + sequence: century and check dropped
        s = _scatter(s, rows, _id_strings(legacy, 15))
        run.log(field, "id_legacy_15", rows, logged)

    rows = _rows(digit["id_missing"])
    if rows.size:
        s = _scatter(s, rows, pl.Series([None] * rows.size, dtype=pl.String))
        run.log(field, "id_missing", rows, logged)

    present = _mask(s.is_not_null())
    _, hit = run.draw(field, "id_lowercase_x", rates.id_lowercase_x)
    rows = _rows(hit & present & _mask(s.str.ends_with("X")))
    if rows.size:
        s = _scatter(s, rows, s.gather(rows).str.to_lowercase())
        run.log(field, "id_lowercase_x", rows, logged)

    _, hit = run.draw(field, "id_fullwidth", rates.id_fullwidth)
    rows = _rows(hit & present)
    if rows.size:
        s = _scatter(s, rows, s.gather(rows).str.replace_many(_FULLWIDTH))
        run.log(field, "id_fullwidth", rows, logged)

    rng, hit = run.draw(field, "id_spaces", rates.id_spaces)
    rows = _rows(hit & present)
    if rows.size:
        # After the region code, after the birth date, or both; each a space or U+3000.
        where = rng.integers(0, 3, rows.size)
        sp1 = np.where(where != 1, _choice(rng, SPACES, rows.size), "")
        sp2 = np.where(where != 0, _choice(rng, SPACES, rows.size), "")
        sub = pl.DataFrame({"v": s.gather(rows), "sp1": sp1.astype(str), "sp2": sp2.astype(str)})
        birth_end = pl.when(pl.col("v").str.len_chars() == 15).then(12).otherwise(14)
        spaced = sub.select(
            pl.concat_str(
                pl.col("v").str.slice(0, 6),
                "sp1",
                pl.col("v").str.slice(6, birth_end - 6),
                "sp2",
                pl.col("v").str.slice(birth_end),
            )
        ).to_series()
        s = _scatter(s, rows, spaced)
        run.log(field, "id_spaces", rows, logged)
    return s


# ---------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------
@cache
def _s2t():  # type: ignore[no-untyped-def]
    from opencc import OpenCC

    return OpenCC("s2t")


def _is_han(ch: str) -> bool:
    return len(ch) == 1 and unicodedata.name(ch, "").startswith(
        ("CJK UNIFIED", "CJK COMPATIBILITY IDEOGRAPH")
    )


def _homophones(chars: list[str]) -> pl.DataFrame:
    """Flat table (char, k, repl, n): the k-th of the n other characters with the same toneless pinyin."""
    from pypinyin import Style, lazy_pinyin

    by_sound: dict[str, list[str]] = {}
    for ch in sorted(chars):
        (sound,) = lazy_pinyin(ch, style=Style.NORMAL)
        if sound != ch:  # pypinyin returns what it cannot read unchanged
            by_sound.setdefault(sound, []).append(ch)
    rows: list[tuple[str, int, str, int]] = []
    for group in by_sound.values():
        for ch in group:
            others = [o for o in group if o != ch]
            rows.extend((ch, k, o, len(others)) for k, o in enumerate(others))
    return pl.DataFrame(
        rows, schema={"char": pl.String, "k": pl.Int64, "repl": pl.String, "n": pl.Int64}, orient="row"
    )


def _name_homophone(
    run: _Run, s: pl.Series, field: str, rate: float, minority: np.ndarray
) -> tuple[np.ndarray, pl.Series]:
    """(rows changed, their new names)."""
    rng, hit = run.draw(field, "name_homophone", rate)
    rows = _rows(hit & ~minority & s.is_not_null().to_numpy())
    nothing = (rows[:0], pl.Series([], dtype=pl.String))
    if rows.size == 0:
        return nothing
    chars = (
        s.unique().drop_nulls().str.split("").explode().unique().drop_nulls().to_list()
    )  # the table is built from every character of the frame's names, once
    table = _homophones([c for c in chars if _is_han(c)])
    if table.is_empty():
        return nothing
    counts = table.select("char", "n").unique("char")
    sub = pl.DataFrame({"row": rows, "name": s.gather(rows)}).with_columns(
        given_from=pl.when(pl.col("name").str.slice(0, 2).is_in(sorted(COMPOUND_SURNAMES)))
        .then(2)
        .otherwise(1),
        char=pl.col("name").str.split(""),
    )
    sub = sub.with_columns(pos=pl.int_ranges(pl.col("char").list.len())).explode("char", "pos")
    sub = sub.filter(pl.col("pos") >= pl.col("given_from")).join(
        counts, on="char", how="inner", maintain_order="left"
    )
    if sub.is_empty():
        return nothing
    # One eligible given-name character per row, at random, then one of its homophones at random.
    sub = (
        sub.with_columns(key=pl.Series(rng.random(sub.height)))
        .sort("row", "key")
        .unique("row", keep="last", maintain_order=True)
    )
    sub = sub.with_columns(
        k=pl.Series(np.floor(rng.random(sub.height) * sub["n"].to_numpy()).astype(np.int64))
    )
    sub = sub.join(table.select("char", "k", "repl"), on=["char", "k"], how="left", maintain_order="left")
    new = sub.select(
        pl.concat_str(
            pl.col("name").str.slice(0, pl.col("pos")), "repl", pl.col("name").str.slice(pl.col("pos") + 1)
        )
    ).to_series()
    return sub["row"].to_numpy(), new


def _names(run: _Run, series: pl.Series, field: str, rates: ClerkErrorRates, logged: bool) -> pl.Series:
    s = series.cast(pl.String)
    present = s.is_not_null().to_numpy()
    minority = _mask(s.str.contains(MIDDLE_DOT, literal=True))

    rows, new = _name_homophone(run, s, field, rates.name_homophone, minority)
    s = _scatter(s, rows, new)
    run.log(field, "name_homophone", rows, logged)

    _, hit = run.draw(field, "name_traditional", rates.name_traditional)
    rows = _rows(hit & present)
    if rows.size:
        chars = s.gather(rows).str.split("").explode().unique().drop_nulls().to_list()
        convertible = [c for c in chars if _s2t().convert(c) != c]
        if convertible:
            rows = rows[_mask(s.gather(rows).str.contains_any(convertible))]
            old = s.gather(rows)
            uniq = old.unique().to_list()
            table = {name: _s2t().convert(name) for name in uniq}  # loop over unique names only
            new = old.replace_strict(table, return_dtype=pl.String)
            changed = _mask(new != old)
            rows = rows[changed]
            s = _scatter(s, rows, new.filter(pl.Series(changed)))
            run.log(field, "name_traditional", rows, logged)

    rng, hit = run.draw(field, "name_dot_variant", rates.name_dot_variant)
    rows = _rows(hit & minority)
    if rows.size:
        which = rng.integers(0, len(DOT_VARIANTS), rows.size)
        old = s.gather(rows)
        new = old.clone()
        for i, variant in enumerate(DOT_VARIANTS):
            sel = np.flatnonzero(which == i)
            if sel.size:
                new.scatter(sel, old.gather(sel).str.replace_all(MIDDLE_DOT, variant, literal=True))
        s = _scatter(s, rows, new)
        run.log(field, "name_dot_variant", rows, logged)

    rng, hit = run.draw(field, "name_spaces", rates.name_spaces)
    rows = _rows(hit & present & _mask(s.str.len_chars() >= 2))
    if rows.size:
        old = s.gather(rows)
        length = old.str.len_chars().to_numpy()
        pos = 1 + np.floor(rng.random(rows.size) * (length - 1)).astype(np.int64)
        sub = pl.DataFrame({"v": old, "pos": pos, "sp": _choice(rng, SPACES, rows.size).astype(str)})
        new = sub.select(
            pl.concat_str(pl.col("v").str.slice(0, pl.col("pos")), "sp", pl.col("v").str.slice(pl.col("pos")))
        ).to_series()
        s = _scatter(s, rows, new)
        run.log(field, "name_spaces", rows, logged)
    return s


# ---------------------------------------------------------------------------------------------
# Dates, codes, numbers
# ---------------------------------------------------------------------------------------------
def _dates(run: _Run, series: pl.Series, field: str, rates: ClerkErrorRates, logged: bool) -> pl.Series:
    d = series.cast(pl.Date)
    s = d.dt.to_string(ISO_FORMAT)
    rng, hit = run.draw(field, "date_variant", rates.date_variant)
    rows = _rows(hit & d.is_not_null().to_numpy())
    if rows.size:
        which = rng.integers(0, len(DATE_VARIANT_FORMATS), rows.size)
        old = d.gather(rows)
        new = old.dt.to_string(ISO_FORMAT)
        for i, fmt in enumerate(DATE_VARIANT_FORMATS):
            sel = np.flatnonzero(which == i)
            if sel.size:
                new.scatter(sel, old.gather(sel).dt.to_string(fmt))
        s = _scatter(s, rows, new)
        run.log(field, "date_variant", rows, logged)
    return s


def _sex_spellings() -> tuple[dict[str, str], list[dict[str, str]]]:
    """(canonical -> digit, [canonical -> Chinese word, canonical -> letter]) read from schemas.codes."""
    table = spellings(Sex)
    digit, zh, letter = {}, {}, {}
    for member in Sex:
        keys = [k for k, v in table.items() if v is member]
        digit[member.value] = next(k for k in keys if k.isdigit())
        zh[member.value] = next(k for k in keys if not k.isascii())
        letter[member.value] = next(k for k in keys if k.isascii() and k.isalpha() and len(k) == 1).upper()
    return digit, [zh, letter]


def _sex(run: _Run, series: pl.Series, field: str, rates: ClerkErrorRates, logged: bool) -> pl.Series:
    digit, variants = _sex_spellings()
    canon = series.cast(pl.String)
    s = canon.replace_strict(digit, return_dtype=pl.String)
    rng, hit = run.draw(field, "sex_variant", rates.sex_variant)
    rows = _rows(hit & canon.is_not_null().to_numpy())
    if rows.size:
        which = rng.integers(0, len(variants), rows.size)
        old = canon.gather(rows)
        new = old.clone()
        for i, table in enumerate(variants):
            sel = np.flatnonzero(which == i)
            if sel.size:
                new.scatter(sel, old.gather(sel).replace_strict(table, return_dtype=pl.String))
        s = _scatter(s, rows, new)
        run.log(field, "sex_variant", rows, logged)
    return s


def code_words(enum: type[StrEnum]) -> dict[str, tuple[str, ...]]:
    """canonical value -> the words a clerk may type instead: the Chinese word of CHINESE and, for
    codes whose spellings include one (scheme: employee/resident), an English word."""
    table = spellings(enum)
    zh = CHINESE.get(enum, {})
    words: dict[str, tuple[str, ...]] = {}
    for member in enum:
        alt = [zh[member.value]] if member.value in zh else []
        alt += sorted(
            k
            for k, v in table.items()
            if v is member and k != member.value.casefold() and k.isascii() and k.isalpha()
        )
        words[member.value] = tuple(alt)
    return words


def _codes(run: _Run, series: pl.Series, column: Column, rates: ClerkErrorRates, logged: bool) -> pl.Series:
    assert column.enum is not None
    s = series.cast(pl.String)
    words = code_words(column.enum)
    rng, hit = run.draw(column.name, "code_word", rates.code_word)
    has_word = _mask(s.is_in([v for v, w in words.items() if w]))
    rows = _rows(hit & has_word)
    if rows.size:
        old = s.gather(rows)
        n_words = old.replace_strict({v: len(w) for v, w in words.items()}, return_dtype=pl.Int64).to_numpy()
        k = np.floor(rng.random(rows.size) * n_words).astype(np.int64)
        flat = {f"{v}\x00{i}": word for v, w in words.items() for i, word in enumerate(w)}
        keys = (
            pl.DataFrame({"v": old, "k": k})
            .select(pl.concat_str("v", pl.lit("\x00"), pl.col("k")))
            .to_series()
        )
        s = _scatter(s, rows, keys.replace_strict(flat, return_dtype=pl.String))
        run.log(column.name, "code_word", rows, logged)
    return s


def _amounts(series: pl.Series) -> pl.Series:
    """'%.2f' of each amount, vectorised through integer cents."""
    df = pl.DataFrame({"c": (series.cast(pl.Float64) * 100).round(0).cast(pl.Int64)})
    return df.select(
        pl.concat_str(
            pl.when(pl.col("c") < 0).then(pl.lit("-")).otherwise(pl.lit("")),
            (pl.col("c").abs() // 100).cast(pl.String),
            pl.lit("."),
            (pl.col("c").abs() % 100).cast(pl.String).str.zfill(2),
        )
    ).to_series()


def _stray_spaces(run: _Run, typed: dict[str, pl.Series], cols: list[Column], rate: float) -> None:
    rng, hit = run.draw("*", "stray_spaces", rate)
    rows = _rows(hit)
    if rows.size == 0:
        return
    present = np.column_stack([typed[c.name].gather(rows).is_not_null().to_numpy() for c in cols])
    key = np.where(present, rng.random(present.shape), -1.0)
    chosen = key.argmax(axis=1)
    ok = present.any(axis=1)
    leading = rng.random(rows.size) < 0.5
    for j, c in enumerate(cols):
        sel = ok & (chosen == j)
        if not sel.any():
            continue
        target = rows[sel]
        sub = pl.DataFrame({"v": typed[c.name].gather(target), "lead": leading[sel]})
        new = sub.select(
            pl.when("lead").then(pl.lit(" ") + pl.col("v")).otherwise(pl.col("v") + pl.lit(" "))
        ).to_series()
        typed[c.name] = _scatter(typed[c.name], target, new)
        run.log(c.name, "stray_spaces", target, _logged(c))


# ---------------------------------------------------------------------------------------------
def apply_clerk_errors(
    frame: pl.DataFrame, source: str, rates: ClerkErrorRates, seed: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(the frame with every model column as typed text, the error log).

    Rows keep their order; nulls stay null; `record_key`, `person_key`, `batch_index` and any
    other non-model column are returned untouched. The log has one row per error applied to an
    identity field: source, record_key, field, error_kind (a `ClerkErrorRates` field name).
    """
    model = SOURCES[source]
    cols = list(columns(model))
    missing = [name for name in [c.name for c in cols] + ["record_key"] if name not in frame.columns]
    if missing:
        raise ValueError(f"{source} record frame lacks columns: {missing}")
    run = _Run(frame, source, seed)
    typed: dict[str, pl.Series] = {}
    for c in cols:
        series, logged = frame[c.name], _logged(c)
        if c.kind is Kind.ID_NUMBER:
            out = _id_numbers(run, series, c.name, rates, logged, c.required)
        elif c.kind is Kind.NAME:
            out = _names(run, series, c.name, rates, logged)
        elif c.kind is Kind.DATE:
            out = _dates(run, series, c.name, rates, logged)
        elif c.kind is Kind.SEX:
            out = _sex(run, series, c.name, rates, logged)
        elif c.kind in (Kind.SCHEME, Kind.CODE):
            out = _codes(run, series, c, rates, logged)
        elif c.kind is Kind.YEAR:
            out = series.cast(pl.Int64).cast(pl.String)
        elif c.kind is Kind.AMOUNT:
            out = _amounts(series)
        else:
            out = series.cast(pl.String)
        typed[c.name] = out.alias(c.name)
    _stray_spaces(run, typed, cols, rates.stray_spaces)
    result = frame.with_columns(list(typed.values()))
    return result, run.error_log()


__all__ = ["ERROR_KINDS", "apply_clerk_errors", "code_words", "stable_int"]
