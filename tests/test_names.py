"""matching.names.name_keys: cleaning, simplified key, pinyin, surname split, one row per distinct name."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from generator.names import SURNAMES, sample_names
from matching.chinese import COMPOUND_SURNAMES, MIDDLE_DOT
from matching.names import COLUMNS, name_keys


def keys(*names: str | None) -> dict[str, dict]:
    """name -> its row, as a dict."""
    return {
        row["name"]: row for row in name_keys(pl.Series(list(names), dtype=pl.String)).iter_rows(named=True)
    }


def test_columns_and_types() -> None:
    frame = name_keys(pl.Series(["张伟"]))
    assert frame.schema == pl.Schema(COLUMNS)
    assert name_keys(pl.Series([], dtype=pl.String)).schema == pl.Schema(COLUMNS)
    assert name_keys(pl.Series([None, None], dtype=pl.String)).height == 0


def test_spaces_and_fullwidth_spaces_are_removed() -> None:
    k = keys("王芳", "王 芳", "王\u3000芳", " 王芳 ", "\u3000王  芳\t", "王\u200b芳")
    assert {row["name_clean"] for row in k.values()} == {"王芳"}
    assert k["王 芳"]["name"] == "王 芳"  # the input is kept as given: it is the join key


def test_every_dot_variant_unifies_to_the_middle_dot() -> None:
    typed = (
        "买买提·艾力",
        "买买提•艾力",
        "买买提．艾力",
        "买买提.艾力",
        "买买提・艾力",
        "买买提‧艾力",
        "买买提∙艾力",
    )
    k = keys(*typed, "买买提･艾力", "买买提 · 艾力")
    assert {row["name_clean"] for row in k.values()} == {f"买买提{MIDDLE_DOT}艾力"}
    assert all(row["is_minority"] for row in k.values())
    assert {row["surname"] for row in k.values()} == {None}  # minority names have no surname
    assert {row["given_name"] for row in k.values()} == {f"买买提{MIDDLE_DOT}艾力"}


def test_dotless_minority_name_shares_pinyin_and_initials_with_the_dotted_one() -> None:
    k = keys("买买提·艾力", "买买提艾力")
    dotted, dotless = k["买买提·艾力"], k["买买提艾力"]
    assert dotted["name_clean"].replace(MIDDLE_DOT, "") == dotless["name_clean"]
    assert dotted["name_pinyin"] == dotless["name_pinyin"] == "maimaitiaili"
    assert dotted["name_initials"] == dotless["name_initials"] == "mmtal"
    assert not dotless["is_minority"]  # not recognised without its dot: split like any name
    assert (dotless["surname"], dotless["given_name"]) == ("买", "买提艾力")


def test_fullwidth_letters_and_case_are_folded_but_chinese_characters_never_change() -> None:
    k = keys("ＺＨＡＮＧ伟", "王Ben", "錢乾", "\uf900明")
    assert k["ＺＨＡＮＧ伟"]["name_clean"] == "zhang伟"
    assert k["ＺＨＡＮＧ伟"]["name_pinyin"] == "zhangwei"
    assert k["王Ben"]["name_clean"] == "王ben"
    assert k["錢乾"]["name_clean"] == "錢乾"  # traditional kept in the clean name
    assert k["\uf900明"]["name_clean"] == "\uf900明"  # a compatibility ideograph is not NFKC'd away


def test_traditional_names_share_the_simplified_key() -> None:
    k = keys("张伟", "張偉", "歐陽修", "欧阳修")
    assert k["張偉"]["name_simplified"] == k["张伟"]["name_simplified"] == "张伟"
    assert k["張偉"]["name_pinyin"] == "zhangwei"
    assert k["歐陽修"]["name_simplified"] == "欧阳修"
    assert (k["歐陽修"]["surname"], k["歐陽修"]["given_name"]) == ("欧阳", "修")


def test_homophones_share_pinyin() -> None:
    k = keys("李明", "李鸣", "张伟", "张玮", "王芳", "汪方")
    assert k["李明"]["name_pinyin"] == k["李鸣"]["name_pinyin"] == "liming"
    assert k["张伟"]["name_pinyin"] == k["张玮"]["name_pinyin"] == "zhangwei"
    assert k["王芳"]["name_pinyin"] == k["汪方"]["name_pinyin"] == "wangfang"
    assert k["李明"]["name_simplified"] != k["李鸣"]["name_simplified"]


@pytest.mark.parametrize(
    ("name", "surname_pinyin", "given_pinyin"),
    [
        ("单田芳", "shan", "tianfang"),
        ("曾国藩", "zeng", "guofan"),
        ("解缙", "xie", "jin"),
        ("区志", "ou", "zhi"),
        ("仇英", "qiu", "ying"),
        ("朴树", "piao", "shu"),
        ("查良镛", "zha", "liangyong"),
        ("盖伟", "ge", "wei"),
        ("翟磊", "zhai", "lei"),
        ("覃敏", "qin", "min"),
        ("尉迟恭", "yuchi", "gong"),
        ("万俟卨", "moqi", "xie"),
        ("长孙无忌", "zhangsun", "wuji"),
        ("單芳", "shan", "fang"),  # traditional form of the surname: read after simplification
    ],
)
def test_heteronym_surnames_are_read_as_surnames(name: str, surname_pinyin: str, given_pinyin: str) -> None:
    row = keys(name)[name]
    assert (row["surname_pinyin"], row["given_pinyin"]) == (surname_pinyin, given_pinyin)
    assert row["name_pinyin"] == surname_pinyin + given_pinyin


def test_a_heteronym_in_the_given_name_keeps_its_default_reading() -> None:
    k = keys("乐乐", "王单")
    assert k["乐乐"]["name_pinyin"] == "yuele"
    assert k["王单"]["name_pinyin"] == "wangdan"


def test_compound_surnames_split() -> None:
    k = keys("欧阳娜娜", "司马光", "诸葛亮", "东方", "欧阳", "李")
    assert (k["欧阳娜娜"]["surname"], k["欧阳娜娜"]["given_name"]) == ("欧阳", "娜娜")
    assert (k["欧阳娜娜"]["surname_pinyin"], k["欧阳娜娜"]["given_pinyin"]) == ("ouyang", "nana")
    assert (k["司马光"]["surname"], k["司马光"]["given_name"]) == ("司马", "光")
    assert (k["诸葛亮"]["surname"], k["诸葛亮"]["given_name"]) == ("诸葛", "亮")
    # a two-character name is surname + given name, even when it spells a compound surname
    assert (k["东方"]["surname"], k["东方"]["given_name"]) == ("东", "方")
    assert (k["欧阳"]["surname"], k["欧阳"]["given_name"]) == ("欧", "阳")
    assert (k["李"]["surname"], k["李"]["given_name"], k["李"]["given_pinyin"]) == ("李", None, None)


def test_generator_compound_surnames_are_all_known() -> None:
    assert {s for s in SURNAMES if len(s) == 2} <= COMPOUND_SURNAMES


def test_initials() -> None:
    k = keys("张伟", "欧阳娜娜", "尉迟恭", "王ben", "王犇", "王*")
    assert k["张伟"]["name_initials"] == "zw"
    assert k["欧阳娜娜"]["name_initials"] == "oynn"
    assert k["尉迟恭"]["name_initials"] == "ycg"
    assert k["王ben"]["name_initials"] == k["王犇"]["name_initials"] == "wb"  # a latin run is one syllable
    assert k["王ben"]["name_pinyin"] == k["王犇"]["name_pinyin"] == "wangben"
    assert (k["王*"]["name_pinyin"], k["王*"]["name_initials"]) == ("wang", "w")  # symbols are dropped


def test_one_row_per_distinct_name_nulls_ignored_sorted() -> None:
    frame = name_keys(pl.Series(["张伟", None, "李娜", "张伟", "張偉", None, "李娜"]))
    assert frame["name"].to_list() == sorted(["张伟", "李娜", "張偉"])
    assert frame["name"].is_unique().all()


def test_a_name_that_cleans_to_nothing_has_null_keys() -> None:
    row = keys("\u3000 ")["\u3000 "]
    assert row["is_minority"] is False
    assert all(row[c] is None for c in COLUMNS if c not in ("name", "is_minority"))


def test_deterministic_and_independent_of_the_other_names_in_the_call() -> None:
    rng = np.random.default_rng(7)
    full, _ = sample_names(rng, rng.random(20_000) < 0.5, common_share=0.05)
    names = pl.Series(full, dtype=pl.String)
    names = pl.concat([names, pl.Series(["張偉", "买买提．艾力", "王 芳", "ＺＨＡＮＧ伟"])])
    whole = name_keys(names)
    assert whole.equals(name_keys(names.sample(fraction=1.0, shuffle=True, seed=3)))
    # keys of a name do not depend on the batch it came in (callers cache them per name)
    subset = names.unique().sort().gather_every(7)
    assert name_keys(subset).equals(whole.filter(pl.col("name").is_in(subset.implode())))
    assert whole.filter(pl.col("name_pinyin").is_null()).height == 0
