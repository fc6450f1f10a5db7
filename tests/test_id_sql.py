"""The id_* DuckDB macros (sql/standardise/id_number.sql) agree with the Python reference."""

from __future__ import annotations

import random
from datetime import date

import duckdb
import pytest

from matching.divisions import current_counties, known_codes
from matching.id_numbers import (
    birth_date_of,
    check_character,
    cosmetic_repair,
    has_valid_check,
    sex_of,
    upgrade_15,
)
from matching.id_sql import install_id_macros

EXAMPLES = ["11010519491231002X", "440524188001010014"]  # GB 11643-1999's own examples


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    install_id_macros(connection)
    return connection


def standardise(con: duckdb.DuckDBPyConnection, raws: list[str | None]) -> dict[str | None, dict]:
    """Every macro applied to each raw value, in one vectorised query: {raw: {column: value}}."""
    columns = (
        "id_cosmetic(raw) AS cosmetic, id_std(raw) AS std, id_repair_kind(raw) AS kind, "
        "id_issue(raw) AS issue, id_is_valid(raw) AS is_valid, id_birth_date(id_std(raw)) AS birth_date, "
        "id_sex(id_std(raw)) AS sex, id_region(id_std(raw)) AS region, id_province(id_std(raw)) AS province"
    )
    query = f"SELECT raw, {columns} FROM (SELECT unnest(?::VARCHAR[]) AS raw)"
    cursor = con.execute(query, [raws])
    names = [d[0] for d in cursor.description]
    return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def python_issue(raw: str | None) -> str | None:
    """id_issue's vocabulary and order, spelled out with the Python reference functions."""
    repaired = cosmetic_repair(raw) if raw is not None else ""
    if not repaired:
        return "missing"
    if len(repaired) not in (15, 18):
        return "bad_length"
    if len(repaired) == 15:
        if not (repaired.isascii() and repaired.isdigit()):
            return "bad_characters"
        repaired = upgrade_15(repaired)
    if not (repaired[:17].isascii() and repaired[:17].isdigit() and repaired[17] in "0123456789X"):
        return "bad_characters"
    if not plausible_birth_date(repaired):
        return "bad_birth_date"
    if repaired[:6] not in known_codes():
        return "unknown_region"
    if not has_valid_check(repaired):
        return "bad_check_character"
    return None


def plausible_birth_date(id18: str) -> bool:
    """A real date in the macros' fixed sanity range, years 1800-2100."""
    born = birth_date_of(id18)
    return born is not None and 1800 <= born.year <= 2100


def random_valid_ids(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    codes = current_counties()["code"].to_list()
    ids = []
    for _ in range(n):
        born = date.fromordinal(rng.randint(date(1900, 1, 1).toordinal(), date(2024, 12, 31).toordinal()))
        body = rng.choice(codes) + born.strftime("%Y%m%d") + f"{rng.randrange(1000):03d}"
        ids.append(body + check_character(body))
    return ids


def test_install_creates_division_codes_once_and_replaces_macros(con: duckdb.DuckDBPyConnection) -> None:
    install_id_macros(con)  # a second install keeps the table and replaces the macros
    rows = con.execute("SELECT code, province FROM division_codes").fetchall()
    assert {code for code, _ in rows} == known_codes()
    assert all(province == code[:2] for code, province in rows)


@pytest.mark.parametrize("example", EXAMPLES)
def test_the_standards_examples_are_valid(con: duckdb.DuckDBPyConnection, example: str) -> None:
    out = standardise(con, [example])[example]
    assert out["std"] == example and out["kind"] == "none"
    assert out["issue"] is None and out["is_valid"] is True
    assert con.execute("SELECT id_check_char(?)", [example[:17]]).fetchall() == [(example[17],)]
    assert out["birth_date"] == birth_date_of(example)
    assert out["sex"] == sex_of(example)
    assert out["region"] == example[:6] and out["province"] == example[:2]


def test_derived_fields_of_the_examples(con: duckdb.DuckDBPyConnection) -> None:
    out = standardise(con, EXAMPLES)
    assert (out["11010519491231002X"]["birth_date"], out["11010519491231002X"]["sex"]) == (
        date(1949, 12, 31),
        "female",
    )
    assert (out["440524188001010014"]["birth_date"], out["440524188001010014"]["sex"]) == (
        date(1880, 1, 1),
        "male",
    )
    assert out["440524188001010014"]["province"] == "44"


@pytest.mark.parametrize("valid", [*EXAMPLES, "11010419800101001" + check_character("11010419800101001")])
def test_every_single_digit_error_and_adjacent_transposition_fails_the_check(
    con: duckdb.DuckDBPyConnection, valid: str
) -> None:
    variants = set()
    for i in range(18):
        for c in "0123456789" + ("X" if i == 17 else ""):
            if c != valid[i]:
                variants.add(valid[:i] + c + valid[i + 1 :])
        if i < 16 and valid[i] != valid[i + 1]:
            variants.add(valid[:i] + valid[i + 1] + valid[i] + valid[i + 2 :])
    variants = sorted(variants)
    assert not any(has_valid_check(v) for v in variants)
    out = standardise(con, variants)
    fails = con.execute(
        "SELECT bool_and(id_check_char(left(v, 17)) <> right(v, 1)) FROM (SELECT unnest(?::VARCHAR[]) AS v)",
        [variants],
    ).fetchall()
    assert fails == [(True,)]
    for v in variants:
        # A corrupted date or region is reported first; everything else is a bad check character.
        assert out[v]["issue"] == python_issue(v)
        assert out[v]["std"] == v  # never "corrected"
    checks_only = [v for v in variants if plausible_birth_date(v) and v[:6] in known_codes()]
    assert len(checks_only) > len(variants) // 3
    assert {out[v]["issue"] for v in checks_only} == {"bad_check_character"}


@pytest.mark.parametrize(
    "typed",
    [
        "11010519491231002x",
        "１１０１０５１９４９１２３１００２Ｘ",
        "１１０１０５１９４９１２３１００２ｘ",
        " 11010519491231002X ",
        "110105 19491231 002X",
        "110105\u300019491231\u3000002X",
        "\t110105-19491231-002x\n",
        "110105－19491231－002X",
        "110105‐19491231—002X",
        "110105–19491231‑002X",
        "110105\u00a019491231002X",
    ],
)
def test_cosmetic_noise_repairs_to_the_exact_valid_number(con: duckdb.DuckDBPyConnection, typed: str) -> None:
    out = standardise(con, [typed])[typed]
    assert out["cosmetic"] == cosmetic_repair(typed) == "11010519491231002X"
    assert out["std"] == "11010519491231002X"
    assert out["kind"] == "cosmetic" and out["issue"] is None


def test_cosmetic_repair_never_changes_a_digit(con: duckdb.DuckDBPyConnection) -> None:
    out = standardise(
        con, ["11010519491231003X", "11010519491231003x", "１１０１０５１９４９１２３１００３Ｘ"]
    )
    assert {o["std"] for o in out.values()} == {"11010519491231003X"}
    assert {o["issue"] for o in out.values()} == {"bad_check_character"}


def test_fifteen_digit_numbers_upgrade_exactly_as_upgrade_15(con: duckdb.DuckDBPyConnection) -> None:
    rng = random.Random(15)
    codes = current_counties()["code"].to_list()
    legacy = ["110105491231002", "440524800101001"]
    legacy += [f"440524800101{seq}" for seq in ("995", "996", "997", "998", "999")]
    legacy += [
        rng.choice(codes) + f"{rng.randrange(100):02d}0615{rng.randrange(1000):03d}" for _ in range(300)
    ]
    out = standardise(con, legacy)
    for raw in legacy:
        assert out[raw]["std"] == upgrade_15(raw)
        assert out[raw]["kind"] == "upgraded_15"
        assert out[raw]["issue"] == python_issue(raw) is None
    assert out["110105491231002"]["std"] == "11010519491231002X"
    assert out["440524800101995"]["std"].startswith("44052419800101995")
    for seq in ("996", "997", "998", "999"):  # centenarians: born in the 1800s
        assert out[f"440524800101{seq}"]["std"].startswith(f"44052418800101{seq}")
        assert out[f"440524800101{seq}"]["birth_date"] == date(1880, 1, 1)
    noisy = standardise(con, ["110105 491231002", "１１０１０５４９１２３１００２"])
    assert {o["std"] for o in noisy.values()} == {"11010519491231002X"}
    assert {o["kind"] for o in noisy.values()} == {"cosmetic+upgraded_15"}


def test_sql_agrees_with_python_on_random_valid_ids(con: duckdb.DuckDBPyConnection) -> None:
    ids = random_valid_ids(2000, seed=11643)
    out = standardise(con, ids)
    assert len(out) == len(set(ids))
    for id18 in ids:
        row = out[id18]
        assert row["std"] == id18 and row["kind"] == "none"
        assert row["issue"] is None and row["is_valid"] is True
        assert row["birth_date"] == birth_date_of(id18)
        assert row["sex"] == sex_of(id18)
        assert row["region"] == id18[:6] and row["province"] == id18[:2]
    bodies = [i[:17] for i in ids]
    sql_checks = con.execute(
        "SELECT list_transform(?::VARCHAR[], lambda b: id_check_char(b))", [bodies]
    ).fetchall()[0][0]
    assert sql_checks == [check_character(b) for b in bodies]


def test_sql_agrees_with_python_on_random_typing_errors(con: duckdb.DuckDBPyConnection) -> None:
    rng = random.Random(2026)
    noise = [" ", "\u3000", "-", "－", "\t"]
    raws: list[str | None] = [None, "", "  "]
    for id18 in random_valid_ids(2000, seed=7):
        kind = rng.randrange(7)
        if kind == 0:  # one wrong digit
            i = rng.randrange(17)
            raws.append(id18[:i] + str((int(id18[i]) + rng.randrange(1, 10)) % 10) + id18[i + 1 :])
        elif kind == 1:  # adjacent transposition
            i = rng.randrange(16)
            raws.append(id18[:i] + id18[i + 1] + id18[i] + id18[i + 2 :])
        elif kind == 2:  # keyboard noise and lower case
            i = rng.randrange(1, 18)
            raws.append((id18[:i] + rng.choice(noise) + id18[i:]).lower())
        elif kind == 3:  # legacy 15 digits
            raws.append(id18[:6] + id18[8:17])
        elif kind == 4:  # a digit dropped or doubled
            i = rng.randrange(18)
            raws.append(id18[:i] + id18[i + 1 :] if rng.random() < 0.5 else id18[:i] + id18[i] + id18[i:])
        elif kind == 5:  # a letter typed for a digit
            i = rng.randrange(17)
            raws.append(id18[:i] + rng.choice("OlIBZ") + id18[i + 1 :])
        else:
            raws.append(id18)
    out = standardise(con, raws)
    for raw in raws:
        assert out[raw]["issue"] == python_issue(raw), raw
        if raw is not None and cosmetic_repair(raw):
            repaired = cosmetic_repair(raw)
            expected = upgrade_15(repaired) if len(repaired) == 15 and repaired.isdigit() else repaired
            assert out[raw]["std"] == expected, raw
    assert {out[r]["issue"] for r in raws} == {
        None,
        "missing",
        "bad_length",
        "bad_characters",
        "bad_birth_date",
        "unknown_region",
        "bad_check_character",
    }


def test_abolished_region_codes_are_valid_and_made_up_ones_are_not(con: duckdb.DuckDBPyConnection) -> None:
    assert "110104" in known_codes() and "110104" not in current_counties()["code"].to_list()
    historical = "11010419800101001" + check_character("11010419800101001")
    made_up = "99010119800101001" + check_character("99010119800101001")
    out = standardise(con, [historical, made_up])
    assert out[historical]["issue"] is None and out[historical]["region"] == "110104"
    assert out[made_up]["issue"] == "unknown_region" and out[made_up]["is_valid"] is False


def test_bad_birth_dates(con: duckdb.DuckDBPyConnection) -> None:
    bodies = [
        "11010519490231002",
        "11010519491301002",
        "11010519490100002",
        "11010517991231002",
        "11010521010101002",
    ]
    raws = [b + check_character(b) for b in bodies] + ["110105490231002"]
    out = standardise(con, raws)
    for raw in raws:
        assert out[raw]["issue"] == "bad_birth_date", raw
        assert out[raw]["birth_date"] is None
    edges = [b + check_character(b) for b in ("11010518000101002", "11010521001231002", "11010520000229002")]
    assert {o["issue"] for o in standardise(con, edges).values()} == {None}


def test_malformed_values(con: duckdb.DuckDBPyConnection) -> None:
    expected = {
        None: "missing",
        "": "missing",
        " \u3000-": "missing",
        "1101051949123100": "bad_length",
        "11010519491231002XX": "bad_length",
        "abc": "bad_length",
        "11010519491231002Y": "bad_characters",
        "X1010519491231002X": "bad_characters",
        "11010519491231X02X": "bad_characters",
        "11010549123100X": "bad_characters",
        "１１０１０５１９４９１２３１００２Ａ": "bad_characters",
    }
    out = standardise(con, list(expected))
    for raw, issue in expected.items():
        assert out[raw]["issue"] == issue == python_issue(raw), raw
        assert out[raw]["is_valid"] is False
        fields = ("birth_date", "sex", "region", "province")
        assert [out[raw][f] for f in fields] == [None] * 4, raw
    assert out[None]["std"] is None and out[None]["kind"] is None
    assert out[""]["cosmetic"] is None and out[""]["kind"] is None


def test_check_char_is_null_unless_seventeen_digits(con: duckdb.DuckDBPyConnection) -> None:
    got = con.execute(
        "SELECT id_check_char(NULL), id_check_char('1101051949123100'), id_check_char('1101051949123100X'),"
        " id_check_char('+1101051949123100'), id_check_char('110105194912310021')"
    ).fetchall()
    assert got == [(None,) * 5]


def test_literal_arguments_never_raise(con: duckdb.DuckDBPyConnection) -> None:
    # DuckDB folds constant arguments before CASE guards apply: every macro must be error-free.
    got = con.execute(
        "SELECT id_std('11010519491231002X'), id_std('abc'), id_issue('11010519491231002X'),"
        " id_issue('1101051949023100'), id_birth_date('11010519490231002X'), id_sex('abc'),"
        " id_repair_kind('110105491231002')"
    ).fetchall()
    assert got == [("11010519491231002X", "ABC", None, "bad_length", None, None, "upgraded_15")]
