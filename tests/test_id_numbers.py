"""GB 11643-1999 rules: check character, 15 -> 18 digits, cosmetic repair."""

import numpy as np
import pytest

from matching.divisions import current_counties, known_codes
from matching.id_numbers import (
    birth_date_of,
    check_character,
    check_characters,
    cosmetic_repair,
    has_valid_check,
    sex_of,
    upgrade_15,
)


@pytest.mark.parametrize("example", ["11010519491231002X", "440524188001010014"])
def test_check_character_of_the_standards_examples(example: str) -> None:
    assert check_character(example[:17]) == example[17]
    assert has_valid_check(example)


def test_every_single_digit_error_and_adjacent_transposition_is_caught() -> None:
    valid = "11010519491231002X"
    body = valid[:17]
    for i in range(17):
        for d in "0123456789":
            if d != body[i]:
                assert not has_valid_check(body[:i] + d + body[i + 1 :] + valid[17])
        if i < 16 and body[i] != body[i + 1]:
            swapped = body[:i] + body[i + 1] + body[i] + body[i + 2 :]
            assert not has_valid_check(swapped + valid[17])


def test_vectorised_check_characters_agree_with_the_scalar_rule() -> None:
    rng = np.random.default_rng(0)
    digits = rng.integers(0, 10, (500, 17))
    bodies = ["".join(map(str, row)) for row in digits]
    assert list(check_characters(digits)) == [check_character(b) for b in bodies]


def test_fifteen_digit_numbers_get_the_century_and_a_check_character() -> None:
    assert upgrade_15("110105491231002") == "11010519491231002X"
    assert upgrade_15("440524800101001") == "440524198001010013"
    # Sequence codes 996-999 were given to centenarians: their century is 18.
    upgraded = upgrade_15("440524800101996")
    assert upgraded.startswith("44052418800101996") and has_valid_check(upgraded)
    with pytest.raises(ValueError):
        upgrade_15("11010549123100")


def test_cosmetic_repair_undoes_keyboard_noise_but_never_changes_a_digit() -> None:
    assert cosmetic_repair("１１０１０５１９４９１２３１００２Ｘ") == "11010519491231002X"
    assert cosmetic_repair("110105 19491231\u3000002x") == "11010519491231002X"
    assert cosmetic_repair("110105-19491231-002X") == "11010519491231002X"
    assert cosmetic_repair("11010519491231003X") == "11010519491231003X"  # a wrong digit stays wrong


def test_birth_date_and_sex_come_from_the_number() -> None:
    assert str(birth_date_of("11010519491231002X")) == "1949-12-31"
    assert birth_date_of("110105194913310020") is None
    assert sex_of("11010519491231002X") == "female"
    assert sex_of("440524188001010014") == "male"


def test_division_table_has_current_counties_and_abolished_codes() -> None:
    counties = current_counties()
    assert counties.height > 2500
    assert set(counties["code"].str.slice(0, 2).unique()) >= {"11", "31", "44", "65"}
    assert "110105" in known_codes()
    # 110102 西城区 is current; 110104 宣武区 was merged into it in 2010 but still appears in old IDs.
    assert "110104" in known_codes() and "110104" not in set(counties["code"])
