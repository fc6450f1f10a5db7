"""The SQL ID-number macros agree with the Python reference (matching/id_numbers.py)."""

import duckdb
import numpy as np
import pytest

from matching.divisions import current_counties, known_codes
from matching.id_numbers import birth_date_of, check_character, cosmetic_repair, has_valid_check, upgrade_15
from matching.id_sql import install_id_macros


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    install_id_macros(con)
    return con


def one(con: duckdb.DuckDBPyConnection, sql: str, *params: object) -> object:
    return con.execute(f"SELECT {sql}", list(params)).fetchall()[0][0]


@pytest.mark.parametrize("valid", ["11010519491231002X", "440524188001010014"])
def test_standard_examples_are_valid(con: duckdb.DuckDBPyConnection, valid: str) -> None:
    assert one(con, "id_std(?), id_issue(?)", valid, valid) == valid
    assert one(con, "id_issue(?)", valid) is None
    assert one(con, "id_check_char(?)", valid[:17]) == valid[17]


def test_every_single_digit_error_and_adjacent_transposition_is_a_bad_check(
    con: duckdb.DuckDBPyConnection,
) -> None:
    valid = "11010519491231002X"
    body = valid[:17]
    variants = set()
    for i in range(17):
        variants |= {body[:i] + d + body[i + 1 :] + valid[17] for d in "0123456789" if d != body[i]}
        if i < 16 and body[i] != body[i + 1]:
            variants.add(body[:i] + body[i + 1] + body[i] + body[i + 2 :] + valid[17])
    issues = con.execute(
        "SELECT v, id_issue(v) FROM unnest(?::VARCHAR[]) t(v)", [sorted(variants)]
    ).fetchall()
    # A changed digit may also break the date or the region; when both still hold, the check
    # character is what catches it.
    for variant, issue in issues:
        born = birth_date_of(variant)
        if variant[:6] in known_codes() and born is not None and 1800 <= born.year <= 2100:
            assert issue == "bad_check_character", variant
        else:
            assert issue in ("bad_birth_date", "unknown_region"), variant
    assert sum(issue == "bad_check_character" for _, issue in issues) >= 70


@pytest.mark.parametrize(
    "typed",
    [
        "１１０１０５１９４９１２３１００２Ｘ",
        "110105 19491231\u3000002x",
        "110105-19491231-002X",
        " 11010519491231002x ",
    ],
)
def test_cosmetic_repairs(con: duckdb.DuckDBPyConnection, typed: str) -> None:
    assert one(con, "id_std(?)", typed) == cosmetic_repair(typed.strip()) == "11010519491231002X"
    assert one(con, "id_issue(?)", typed) is None
    assert one(con, "id_repair_kind(?)", typed) == "cosmetic"


@pytest.mark.parametrize("legacy", ["110105491231002", "440524800101001", "440524800101996"])
def test_fifteen_digit_numbers_upgrade_like_the_reference(
    con: duckdb.DuckDBPyConnection, legacy: str
) -> None:
    assert one(con, "id_std(?)", legacy) == upgrade_15(legacy)
    assert one(con, "id_repair_kind(?)", legacy) == "upgraded_15"
    assert one(con, "id_issue(?)", legacy) is None


@pytest.mark.parametrize(
    ("typed", "issue"),
    [
        (None, "missing"),
        ("", "missing"),
        ("  ", "missing"),
        ("1101051949", "bad_length"),
        ("11010519491231002Y", "bad_characters"),
        ("110105194902310021", "bad_birth_date"),
        ("990101194912310022", "unknown_region"),
        ("11010519491231002Y", "bad_characters"),
    ],
)
def test_issue_vocabulary(con: duckdb.DuckDBPyConnection, typed: str | None, issue: str) -> None:
    assert one(con, "id_issue(?::VARCHAR)", typed) == issue


def test_abolished_region_codes_are_still_valid(con: duckdb.DuckDBPyConnection) -> None:
    body = "11010419800101001"  # 110104 宣武区, merged into 西城区 in 2010
    assert one(con, "id_issue(?)", body + check_character(body)) is None


def test_random_valid_numbers_agree_with_the_python_reference(con: duckdb.DuckDBPyConnection) -> None:
    rng = np.random.default_rng(7)
    codes = current_counties()["code"].to_list()
    numbers = []
    for _ in range(2000):
        body = (
            codes[rng.integers(len(codes))] + f"{rng.integers(1930, 2026)}{rng.integers(1, 13):02d}"
            f"{rng.integers(1, 29):02d}{rng.integers(0, 1000):03d}"
        )
        numbers.append(body + check_character(body))
        numbers.append(body + "0123456789X"[rng.integers(11)])  # some with a wrong check character
    got = con.execute(
        "SELECT v, id_issue(v) IS NULL, id_sex(id_std(v)), id_birth_date(id_std(v))::VARCHAR "
        "FROM unnest(?::VARCHAR[]) t(v)",
        [numbers],
    ).fetchall()
    for number, valid, sex, birth in got:
        assert valid == has_valid_check(number)
        assert sex == ("male" if int(number[16]) % 2 else "female")
        assert birth == f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
