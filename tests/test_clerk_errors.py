"""generator.clerk_errors: clean record frames -> what a clerk typed, plus the error log."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest
from pypinyin import Style, lazy_pinyin

from generator.clerk_errors import COMPOUND_SURNAMES, ERROR_KINDS, apply_clerk_errors
from generator.config import ClerkErrorRates
from matching.id_numbers import check_character, cosmetic_repair, has_valid_check, upgrade_15
from schemas.derive import columns
from schemas.fields import Kind
from schemas.sources import SOURCES

# Given names share sounds on purpose (明鸣铭, 伟玮炜, 芳方, 静敬, 华桦, 杰洁) so homophones exist.
NAMES = (
    "张伟", "王芳", "李明", "刘洋", "陈静", "杨华", "欧阳明华", "司马鸣", "诸葛玮", "赵铭",
    "黄敬", "周方", "吴杰", "徐洁", "孙桦", "马炜", "阿依古丽·买买提", "艾力·吐尔逊",
)  # fmt: skip
REGIONS = ("110105", "440524", "510104", "320102", "410102")
IDENTITY = ("id_number", "name", "sex", "birth_date")


def make_frame(source: str, n: int, seed: int = 0) -> pl.DataFrame:
    """A clean record frame as the generator makes it: typed columns read from the source model."""
    rng = np.random.default_rng(seed)
    births = [date(1930, 1, 1) + timedelta(days=int(d)) for d in rng.integers(0, 90 * 365, n)]
    # Force X check characters into about a third of the IDs by retrying sequences.
    ids = []
    for i, b in enumerate(births):
        for seq in range(int(rng.integers(0, 990)), 1000):
            body = f"{REGIONS[i % len(REGIONS)]}{b:%Y%m%d}{seq:03d}"
            check = check_character(body)
            if check == "X" or i % 3:
                break
        ids.append(body + check)
    data: dict[str, pl.Series] = {}
    for c in columns(SOURCES[source]):
        if c.kind is Kind.ID_NUMBER:
            values: list = ids
        elif c.kind is Kind.NAME:
            values = [NAMES[j] for j in rng.integers(0, len(NAMES), n)]
        elif c.name == "birth_date":
            values = births
        elif c.kind is Kind.DATE:
            values = [date(2020, 1, 1) + timedelta(days=int(d)) for d in rng.integers(0, 2000, n)]
        elif c.enum is not None:
            members = [m.value for m in c.enum]
            values = [members[j] for j in rng.integers(0, len(members), n)]
        elif c.kind is Kind.REGION:
            values = [REGIONS[j] for j in rng.integers(0, len(REGIONS), n)]
        elif c.kind is Kind.YEAR:
            values = rng.integers(2024, 2027, n).tolist()
        elif c.kind is Kind.AMOUNT:
            values = np.round(rng.uniform(0, 5000, n), 2).tolist()
        else:
            values = [f"{c.name[:2].upper()}{i:07d}" for i in range(n)]
        dtype = {Kind.DATE: pl.Date, Kind.YEAR: pl.Int32, Kind.AMOUNT: pl.Float64}.get(c.kind, pl.String)
        s = pl.Series(c.name, values, dtype=dtype)
        if c.nullable and c.kind is not Kind.ID_NUMBER:
            s = s.scatter(np.flatnonzero(rng.random(n) < 0.1), None)
        data[c.name] = s
    key_parts = [pl.col(f).cast(pl.String).str.slice(0, w) for f, w in SOURCES[source].KEY_PARTS]
    return pl.DataFrame(data).with_columns(
        record_key=pl.concat_str(key_parts, separator="|"),
        person_key=pl.format("P{}", pl.int_range(pl.len())),
        batch_index=pl.lit(0, dtype=pl.Int32),
    )


HIGH = ClerkErrorRates(**{k: 0.1 for k in ClerkErrorRates.model_fields})


@pytest.fixture(scope="module")
def big() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    clean = make_frame("enrollment", 50_000, seed=1)
    typed, log = apply_clerk_errors(clean, "enrollment", HIGH, seed=7)
    return clean, typed, log


@pytest.fixture(scope="module")
def small() -> dict[str, tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]]:
    rates = ClerkErrorRates(**{k: 0.2 for k in ClerkErrorRates.model_fields})
    out = {}
    for i, source in enumerate(SOURCES):
        clean = make_frame(source, 1500, seed=10 + i)
        out[source] = (clean, *apply_clerk_errors(clean, source, rates, seed=3))
    return out


def _kinds(log: pl.DataFrame, kind: str) -> pl.Series:
    return log.filter(pl.col("error_kind") == kind)["record_key"]


def _by_key(clean: pl.DataFrame, typed: pl.DataFrame, keys: pl.Series, col: str) -> list[tuple]:
    sel = clean.select("record_key", col).join(
        typed.select("record_key", pl.col(col).alias("typed")), on="record_key"
    )
    return sel.filter(pl.col("record_key").is_in(keys.implode())).select(col, "typed").rows()


def test_shape_types_and_passthrough(small):
    for source, (clean, typed, log) in small.items():
        assert typed.columns == clean.columns
        assert typed.height == clean.height
        for c in columns(SOURCES[source]):
            assert typed[c.name].dtype == pl.String
            assert typed[c.name].is_null().to_list() == clean[c.name].is_null().to_list() or (
                c.kind is Kind.ID_NUMBER
            )
        for col in ("record_key", "person_key", "batch_index"):
            assert typed[col].equals(clean[col])
        assert log.schema == pl.Schema(
            {"source": pl.String, "record_key": pl.String, "field": pl.String, "error_kind": pl.String}
        )
        assert set(log["error_kind"]) <= set(ERROR_KINDS)
        assert set(log["field"]) <= set(IDENTITY)
        assert (log["source"] == source).all()


def test_deterministic():
    clean = make_frame("tax", 3000, seed=5)
    a = apply_clerk_errors(clean, "tax", HIGH, seed=11)
    b = apply_clerk_errors(clean, "tax", HIGH, seed=11)
    c = apply_clerk_errors(clean, "tax", HIGH, seed=12)
    assert a[0].equals(b[0]) and a[1].equals(b[1])
    assert not a[0].equals(c[0])


def test_every_typed_row_validates_and_parses_back(small):
    for source, (clean, typed, _) in small.items():
        model = SOURCES[source]
        cols = columns(model)
        for clean_row, typed_row in zip(
            clean.iter_rows(named=True), typed.iter_rows(named=True), strict=True
        ):
            record = model.model_validate({c.name: typed_row[c.name] for c in cols})
            assert record.record_key() == clean_row["record_key"]
            for c in cols:
                value, expected = getattr(record, c.name), clean_row[c.name]
                if c.kind in (Kind.DATE, Kind.YEAR, Kind.REGION, Kind.TEXT):
                    assert value == expected, (c.name, typed_row[c.name])
                elif c.enum is not None:
                    if expected is None and c.name == "payer_type":
                        continue  # the contract's default fills in
                    assert (value.value if value is not None else None) == expected, (
                        c.name,
                        typed_row[c.name],
                    )
                elif c.kind is Kind.AMOUNT:
                    assert value is None if expected is None else float(value) == pytest.approx(expected)


def test_rates_are_honoured(big):
    clean, typed, log = big
    n = clean.height
    counts = log.group_by("error_kind").len().rows()
    counts = dict(counts)
    ends_x = clean["id_number"].str.ends_with("X").sum()
    minority = clean["name"].str.contains("·", literal=True).sum()
    born_19xx = clean["birth_date"].dt.year().is_between(1900, 1999).sum()
    notnull_sex = clean["sex"].is_not_null().sum()
    notnull_birth = clean["birth_date"].is_not_null().sum()
    base = {
        "id_typo": n, "id_transposition": n, "id_missing": n, "id_fullwidth": n * 0.9, "id_spaces": n * 0.9,
        "id_legacy_15": born_19xx, "id_lowercase_x": ends_x * 0.9, "name_dot_variant": minority,
        "name_homophone": n - minority, "name_spaces": n, "sex_variant": notnull_sex,
        "date_variant": notnull_birth,
    }  # fmt: skip
    for kind, denominator in base.items():
        assert counts.get(kind, 0) / denominator == pytest.approx(0.1, abs=0.012), kind
    # stray spaces: one per hit row, over all columns; only identity columns are logged.
    assert 0 < counts["stray_spaces"] < 0.1 * n
    assert 0 < counts["name_traditional"] <= 0.11 * n
    # Not logged: code words and date variants of non-identity columns, but they happen.
    assert typed["status"].is_in(["正常参保", "暂停", "终止"]).mean() == pytest.approx(0.1, abs=0.012)
    enrolled = typed["enrolled_on"].drop_nulls()
    assert (~enrolled.str.strip_chars().str.contains("-")).mean() == pytest.approx(0.1, abs=0.012)


def test_digit_errors_are_exclusive_and_cosmetic_ones_combine(big):
    _, _, log = big
    ids = log.filter(pl.col("field") == "id_number")
    digit = ids.filter(
        pl.col("error_kind").is_in(["id_typo", "id_transposition", "id_legacy_15", "id_missing"])
    )
    assert digit["record_key"].is_unique().all()
    cosmetic = ids.filter(pl.col("error_kind").is_in(["id_fullwidth", "id_spaces", "id_lowercase_x"]))
    assert digit["record_key"].is_in(cosmetic["record_key"].implode()).any()


def test_id_errors(big):
    clean, typed, log = big
    for original, raw in _by_key(clean, typed, _kinds(log, "id_typo"), "id_number"):
        repaired = cosmetic_repair(raw)
        assert len(repaired) == 18 and repaired != original and not has_valid_check(repaired)
        assert sum(a != b for a, b in zip(repaired, original, strict=True)) == 1
    for original, raw in _by_key(clean, typed, _kinds(log, "id_transposition"), "id_number"):
        repaired = cosmetic_repair(raw)
        assert not has_valid_check(repaired)
        diff = [i for i in range(18) if repaired[i] != original[i]]
        assert len(diff) == 2 and diff[1] == diff[0] + 1 and diff[1] < 17
        assert repaired[diff[0]] == original[diff[1]] and repaired[diff[1]] == original[diff[0]]
    legacy = _by_key(clean, typed, _kinds(log, "id_legacy_15"), "id_number")
    assert legacy
    for original, raw in legacy:
        repaired = cosmetic_repair(raw)
        assert len(repaired) == 15 and upgrade_15(repaired) == original
    for original, raw in _by_key(clean, typed, _kinds(log, "id_missing"), "id_number"):
        assert original is not None and raw is None
    digit_keys = log.filter(
        pl.col("error_kind").is_in(["id_typo", "id_transposition", "id_legacy_15", "id_missing"])
    )["record_key"]
    cosmetic_only = log.filter(
        pl.col("error_kind").is_in(["id_lowercase_x", "id_fullwidth", "id_spaces"])
        & ~pl.col("record_key").is_in(digit_keys.implode())
    )["record_key"].unique()
    pairs = _by_key(clean, typed, cosmetic_only, "id_number")
    assert len(pairs) > 1000
    for original, raw in pairs:
        assert raw.strip() != original and cosmetic_repair(raw) == original
    for original, raw in _by_key(clean, typed, _kinds(log, "id_lowercase_x"), "id_number"):
        assert original.endswith("X") and raw.strip()[-1] in "xｘ"
    for _, raw in _by_key(clean, typed, _kinds(log, "id_spaces"), "id_number"):
        assert 1 <= sum(ch in " \u3000" for ch in raw.strip()) <= 2


def _pinyin(name: str) -> list[str]:
    return [lazy_pinyin(ch, style=Style.NORMAL)[0] for ch in name]


def test_name_errors(big):
    clean, typed, log = big
    kinds = log.filter(pl.col("field") == "name").group_by("record_key").agg("error_kind")
    only = kinds.filter(pl.col("error_kind").list.len() == 1).with_columns(pl.col("error_kind").list.first())
    homophones = _by_key(
        clean, typed, only.filter(pl.col("error_kind") == "name_homophone")["record_key"], "name"
    )
    assert len(homophones) > 1000
    for original, raw in homophones:
        assert "·" not in original and raw != original and len(raw) == len(original)
        surname = 2 if original[:2] in COMPOUND_SURNAMES else 1
        assert raw[:surname] == original[:surname]
        assert sum(a != b for a, b in zip(raw, original, strict=True)) == 1
        assert _pinyin(raw) == _pinyin(original)
    # Minority names never get homophones.
    minority_keys = clean.filter(pl.col("name").str.contains("·", literal=True))["record_key"]
    assert not _kinds(log, "name_homophone").is_in(minority_keys.implode()).any()
    traditional = _by_key(
        clean, typed, only.filter(pl.col("error_kind") == "name_traditional")["record_key"], "name"
    )
    assert traditional
    assert all(raw != original and len(raw) == len(original) for original, raw in traditional)
    assert ("张伟", "張偉") in traditional
    dots = _by_key(
        clean, typed, only.filter(pl.col("error_kind") == "name_dot_variant")["record_key"], "name"
    )
    assert {raw.replace("阿依古丽", "").replace("艾力", "")[:1] for _, raw in dots} == {
        "•",
        "．",
        ".",
        "・",
        "买",
        "吐",
    }
    for original, raw in _by_key(
        clean, typed, only.filter(pl.col("error_kind") == "name_spaces")["record_key"], "name"
    ):
        stripped = raw.replace(" ", "").replace("\u3000", "")
        assert stripped == original and raw[0] not in " \u3000" and raw[-1] not in " \u3000"


def test_log_matches_what_changed(small, big):
    """An identity field differs from its canonical text exactly when the log names an error on it."""
    canonical = {
        "id_number": pl.col("id_number"),
        "name": pl.col("name"),
        "sex": pl.col("sex").replace_strict({"male": "1", "female": "2"}, default=None),
        "birth_date": pl.col("birth_date").dt.to_string("%Y-%m-%d"),
    }
    for clean, typed, log in [*small.values(), big]:
        expected = clean.select(
            "record_key", *[canonical[f].alias(f) for f in IDENTITY if f in clean.columns]
        )
        joined = expected.join(
            typed.select("record_key", *expected.columns[1:]), on="record_key", suffix="_typed"
        )
        for field in expected.columns[1:]:
            changed = joined.filter(pl.col(field).ne_missing(pl.col(f"{field}_typed")))["record_key"]
            logged = log.filter(pl.col("field") == field)["record_key"].unique()
            assert changed.sort().to_list() == logged.sort().to_list(), field


def test_zero_rates_give_canonical_text():
    clean = make_frame("civil_affairs", 500)
    zero = ClerkErrorRates(**{k: 0.0 for k in ClerkErrorRates.model_fields})
    typed, log = apply_clerk_errors(clean, "civil_affairs", zero, seed=1)
    assert log.is_empty()
    assert typed["id_number"].equals(clean["id_number"])
    assert typed["name"].equals(clean["name"])
    assert typed["effective_from"].equals(clean["effective_from"].dt.to_string("%Y-%m-%d"))
    assert typed["assistance_type"].equals(clean["assistance_type"])
