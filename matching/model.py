"""The linkage model: Splink 5 (DuckDB) settings whose comparisons know Chinese identities.

Profiles, not records, are compared (sql/link/10_linkage_profiles.sql). The levels follow the
domain notes: an equal valid ID is near-proof; one substitution or transposition where a check
fails is a typo; the same region and birth date with another valid sequence is a *sibling* (twins)
and must lower the weight; names agree exactly, after traditional -> simplified, by pinyin
(homophones, dotless minority names) or by initials, with term frequencies so that 张伟 counts for
less than a rare name.
"""

from __future__ import annotations

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on

MODEL_VERSION = "profiles-v1"


def _level(sql: str, label: str, m: float | None = None, fixed: bool = False) -> dict:
    """A custom level; `m` is a prior (or, `fixed`, a domain fact that training must not move)."""
    level: dict = {"sql_condition": sql, "label_for_charts": label}
    if m is not None:
        level["m_probability"] = m
    if fixed:
        level["fix_m_probability"] = True
    return level


# One person holding two different valid numbers is a registry error (1.68M duplicate numbers
# were cancelled in 2009; ~10 remained by 2016): a domain fact, not trained. It is set far below
# that rate because such pairs (twins above all) also agree on birth date and region *because* of
# their numbers, which the other comparisons would count again as independent evidence.
TWO_VALID_NUMBERS_M = 1e-10


def id_comparison() -> cl.CustomComparison:
    both_valid = "id_valid_l AND id_valid_r"
    return cl.CustomComparison(
        output_column_name="id_number",
        comparison_levels=[
            cll.NullLevel("id_std"),
            _level(f"id_std_l = id_std_r AND {both_valid}", "same valid ID"),
            _level("id_std_l = id_std_r", "same ID, not valid", m=0.01),
            _level(
                "(NOT id_valid_l OR NOT id_valid_r) AND length(id_std_l) = length(id_std_r) "
                "AND damerau_levenshtein(id_std_l, id_std_r) = 1",
                "one digit or transposition apart, a check fails (typo)",
                m=0.02,
            ),
            _level(
                f"{both_valid} AND id_head_l = id_head_r",
                "same region and birth date, other valid sequence (sibling)",
                m=TWO_VALID_NUMBERS_M,
                fixed=True,
            ),
            _level(both_valid, "two different valid IDs", m=TWO_VALID_NUMBERS_M, fixed=True),
            _level("TRUE", "other difference", m=0.01),
        ],
    )


def name_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("name_clean"),
            cll.ExactMatchLevel("name_clean", term_frequency_adjustments=True),
            _level("name_simplified_l = name_simplified_r", "same after traditional -> simplified"),
            _level("name_pinyin_l = name_pinyin_r", "same pinyin (homophone, dot dropped)"),
            _level(
                "jaro_winkler_similarity(name_pinyin_l, name_pinyin_r) >= 0.9", "pinyin Jaro-Winkler >= 0.9"
            ),
            _level("name_initials_l = name_initials_r", "same initials"),
            cll.ElseLevel(),
        ],
    )


def dob_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="birth_date",
        comparison_levels=[
            cll.NullLevel("dob"),
            cll.ExactMatchLevel("dob"),
            _level(
                "year(dob_l) = year(dob_r) AND month(dob_l) = day(dob_r) AND day(dob_l) = month(dob_r)",
                "day and month transposed",
            ),
            _level("year(dob_l) = year(dob_r) AND month(dob_l) = month(dob_r)", "same year and month"),
            cll.ElseLevel(),
        ],
    )


def region_comparison() -> cl.CustomComparison:
    """`place`: the ID's issuing region when it has one, else the place the source records."""
    return cl.CustomComparison(
        output_column_name="region",
        comparison_levels=[
            cll.NullLevel("place"),
            cll.ExactMatchLevel("place"),
            _level("left(place_l, 2) = left(place_r, 2)", "same province"),
            cll.ElseLevel(),
        ],
    )


def comparisons() -> list:
    return [id_comparison(), name_comparison(), dob_comparison(), cl.ExactMatch("sex"), region_comparison()]


# Blocking that keeps recall when the ID is missing or mistyped: a typo in the sequence/check part
# keeps id_head; a typo in the region or birth-date part keeps the name and id_tail; a missing ID
# still has name and birth date.
BLOCKING_RULES = [
    block_on("id_std"),
    block_on("id_head"),
    block_on("name_pinyin", "dob"),
    block_on("name_pinyin", "id_tail"),
    block_on("name_simplified", "region_code"),
]


def settings() -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=BLOCKING_RULES,
        retain_intermediate_calculation_columns=True,
        additional_columns_to_retain=["n_records"],
    )
