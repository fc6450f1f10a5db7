"""Standardised name keys for linkage, vectorised: `name_keys(names) -> one row per distinct name`.

Callers keep the result in a lookup table keyed on `name` and call `name_keys` only for names not yet
seen; the function is pure and deterministic (same distinct names in, same frame out, sorted by
`name`, whatever the order, duplicates or nulls of the input).

Columns (all strings except `is_minority`):

- `name`: the input as given (the join key). Nulls are dropped, duplicates collapse.
- `name_clean`: every whitespace character removed (ASCII spaces, U+3000, tabs, no-break spaces,
  anywhere in the name) and invisible format/control characters (zero-width space, BOM ...) too;
  every form of the minority-name separator (see `DOTS`) made U+00B7; every other non-Han
  character NFKC-normalised and case-folded (full-width 'Ａ' -> 'a', '＊' -> '*'). The dots are mapped
  before NFKC (which would turn '．' into '.'). Han characters (regex script Han) are never changed,
  not even CJK compatibility ideographs. Null when nothing is left ('   ').
- `name_simplified`: `name_clean` with each traditional character made simplified, character by
  character (OpenCC t2s on each distinct character once; a character it cannot map stays). Only an
  extra comparison key: t2s damages some names (乾 -> 干), so never overwrite the name with it.
- `name_pinyin`: toneless pinyin of `name_simplified`, syllables joined without separator
  (张伟 -> 'zhangwei', ü written 'v': 吕 -> 'lv'). Each character gets its default reading (the same
  character always reads the same; homophones 明/鸣 share it), except the surname, which is read as a
  surname (单 shan, 曾 zeng, 尉迟 yuchi ..., see `SURNAME_READINGS`). Latin letters and digits are
  kept as they are after cleaning (lower case), so '王ben' and '王犇' share 'wangben'. The dot and
  every other punctuation or symbol ('*', '?' typed for a rare character) are dropped, so a minority
  name with and without its dot ('买买提·艾力', '买买提艾力') shares `name_pinyin` and `name_initials`
  -- that is the key that equates them. A Han character pypinyin cannot read stays as itself.
  Null when empty.
- `name_initials`: first letter of each syllable ('zw'); a run of latin letters counts as one
  syllable ('王ben' -> 'wb'); an unreadable Han character contributes itself. Null when empty.
- `surname`, `given_name`: split of `name_simplified`. The surname is the first two characters when
  they are a compound surname (`matching.chinese.COMPOUND_SURNAMES`) and the name has at least three
  characters (a two-character name is surname + given: 东方 is 东 + 方), otherwise the first character.
  No surname (null) when the name is a minority name (Uyghur-style names have none: given_name is
  then the whole name, dot included) or does not start with a Han character ('zhangwei', '*伟').
  Empty parts are null (a one-character name has no given name). A dotless minority name is not
  recognised as one and gets split like any other (买 + 买提艾力): compare such names on
  `name_pinyin`/`name_initials`, not on the split.
- `surname_pinyin`, `given_pinyin`: the pinyin of each part; `name_pinyin` is their concatenation.
- `is_minority`: `name_clean` contains U+00B7 (any dot form typed). A dotless transliteration is not
  detected (there is no reliable pattern for it).

Speed: no Python loop over names. Lookup tables are built once per call over the distinct characters
of the input (a few thousand: cleaning, t2s, pinyin, initials) and over the distinct surnames; they
are applied to whole columns with `str.replace_many` (Aho-Corasick over single-character patterns,
which is exactly a per-character mapping) and `replace_strict`. Measured with
`python -m matching.names` on 2 cores: 1M distinct names in 1.7 s, 2M in 3.0-3.7 s.
"""

from __future__ import annotations

import unicodedata
from functools import cache

import polars as pl

from matching.chinese import COMPOUND_SURNAMES, MIDDLE_DOT

# Every form the minority-name separator is typed in: the official U+00B7 and bullet, full-width
# full stop, full stop, katakana middle dot, hyphenation point, bullet operator, half-width katakana
# middle dot, dot operator, small full stop, Greek ano teleia (NFC of it is U+00B7), Hangul araea,
# and the ideographic full stop (what the '.' key gives in a Chinese input method).
DOTS = "\u00b7\u2022\uff0e.\u30fb\u2027\u2219\uff65\u22c5\ufe52\u0387\u318d\u3002\uff61"

# Surname readings where the character's default (given-name) reading is wrong for the surname.
# Keys are simplified forms (the split runs on name_simplified); values are syllables.
SURNAME_READINGS: dict[str, tuple[str, ...]] = {
    "单": ("shan",),
    "曾": ("zeng",),
    "区": ("ou",),
    "仇": ("qiu",),
    "解": ("xie",),
    "朴": ("piao",),
    "查": ("zha",),
    "盖": ("ge",),
    "缪": ("miao",),
    "翟": ("zhai",),
    "乐": ("yue",),
    "覃": ("qin",),
    "繁": ("po",),
    "黑": ("he",),
    "员": ("yun",),
    "秘": ("bi",),
    "召": ("shao",),
    "种": ("chong",),
    "句": ("gou",),
    "都": ("du",),
    "尉迟": ("yu", "chi"),
    "万俟": ("mo", "qi"),
    "长孙": ("zhang", "sun"),
    "澹台": ("tan", "tai"),
    "单于": ("chan", "yu"),
}

COLUMNS: dict[str, pl.DataType] = {
    "name": pl.String(),
    "name_clean": pl.String(),
    "name_simplified": pl.String(),
    "name_pinyin": pl.String(),
    "name_initials": pl.String(),
    "surname": pl.String(),
    "given_name": pl.String(),
    "surname_pinyin": pl.String(),
    "given_pinyin": pl.String(),
    "is_minority": pl.Boolean(),
}

_HAN = r"^\p{Han}$"  # the regex engine's Unicode script, so the Python tables and polars agree
_WORD = r"[\p{L}\p{N}--\p{Han}]"  # letters and digits other than Han: kept in pinyin, runs = one syllable
_SYLLABLE_INITIALS = r"\s*(\S)\S*\s*"  # spaced pinyin ' wang ben ' -> 'wb'


@cache
def _t2s():  # type: ignore[no-untyped-def]
    from opencc import OpenCC

    return OpenCC("t2s")


def _distinct_chars(strings: pl.Series) -> list[str]:
    return strings.str.split("").explode().drop_nulls().unique().sort().to_list()


def _flags(chars: list[str], pattern: str) -> dict[str, bool]:
    """Whether each character matches `pattern` (polars regex, so tables and expressions agree)."""
    matches = pl.Series(chars, dtype=pl.String).str.contains(pattern).to_list()
    return dict(zip(chars, matches, strict=True))


def _clean_char(ch: str, is_han: bool) -> str:
    """What one typed character becomes in name_clean ('' = removed)."""
    if is_han:
        return ch
    if ch in DOTS:
        return MIDDLE_DOT
    out = []
    for c in unicodedata.normalize("NFKC", ch).casefold():
        if c in DOTS:
            out.append(MIDDLE_DOT)
        elif not (c.isspace() or unicodedata.category(c) in ("Cc", "Cf")):
            out.append(c)
    return "".join(out)


def _simplified_char(ch: str, is_han: bool) -> str:
    if not is_han:
        return ch
    s = _t2s().convert(ch)
    return s if len(s) == 1 else ch


def _syllable(ch: str) -> str:
    """Toneless default reading of one Han character, or the character itself when pypinyin has none."""
    from pypinyin import Style, lazy_pinyin

    sound = lazy_pinyin(ch, style=Style.NORMAL)
    return sound[0] if len(sound) == 1 and sound[0].isascii() and sound[0].isalpha() else ch


def _replace_chars(expr: pl.Expr, table: dict[str, str]) -> pl.Expr:
    """Replace single characters through `table` (characters not in it stay). The patterns are single
    characters, so Aho-Corasick's non-overlapping matches are exactly a per-character mapping."""
    return expr.str.replace_many(table) if table else expr


def _null_if_empty(*columns: str) -> list[pl.Expr]:
    return [pl.when(pl.col(c) != "").then(pl.col(c)).alias(c) for c in columns]


def name_keys(names: pl.Series) -> pl.DataFrame:
    """One row per distinct non-null name of `names`, sorted by name, with the columns in `COLUMNS`."""
    distinct = names.cast(pl.String).drop_nulls().unique().sort()
    if distinct.is_empty():
        return pl.DataFrame(schema=COLUMNS)
    frame = pl.DataFrame({"name": distinct})

    # 1. name_clean: each typed character through a table built over the distinct typed characters.
    typed = _distinct_chars(frame["name"])
    han = _flags(typed, _HAN)
    clean = {c: _clean_char(c, han[c]) for c in typed}
    frame = frame.with_columns(
        name_clean=_replace_chars(pl.col("name"), {c: t for c, t in clean.items() if t != c})
    )
    frame = frame.with_columns(_null_if_empty("name_clean"))

    # 2. name_simplified: each clean character through t2s, once per distinct character.
    clean_chars = _distinct_chars(frame["name_clean"])
    han.update(_flags([c for c in clean_chars if c not in han], _HAN))
    simplified = {c: _simplified_char(c, han[c]) for c in clean_chars}
    frame = frame.with_columns(
        name_simplified=_replace_chars(pl.col("name_clean"), {c: s for c, s in simplified.items() if s != c}),
        is_minority=pl.col("name_clean").str.contains(MIDDLE_DOT, literal=True).fill_null(False),
    )

    # 3. Surname split on name_simplified.
    simp = pl.col("name_simplified")
    frame = frame.with_columns(
        surname_len=pl.when(pl.col("is_minority") | ~simp.str.contains(r"^\p{Han}").fill_null(False))
        .then(0)
        .when((simp.str.len_chars() >= 3) & simp.str.slice(0, 2).is_in(sorted(COMPOUND_SURNAMES)))
        .then(2)
        .otherwise(1)
    ).with_columns(
        surname=simp.str.slice(0, pl.col("surname_len")),
        given_name=simp.str.slice(pl.col("surname_len")),
    )
    frame = frame.with_columns(_null_if_empty("surname", "given_name"))

    # 4. Pinyin. Per simplified character: Han -> its syllable, other letters/digits stay, the rest goes.
    chars = sorted(set(simplified.values()))
    han.update(_flags([c for c in chars if c not in han], _HAN))
    word = _flags(chars, f"^{_WORD}$")
    syllable = {c: _syllable(c) for c in chars if han[c]}
    pinyin = {c: syllable.get(c, "") for c in chars if not word[c]}
    initial = {c: syllable[c][0] if c in syllable else "" for c in chars if not word[c]}
    spaced = {c: f" {syllable[c]} " if c in syllable else " " for c in chars if not word[c]}

    surnames = frame["surname"].drop_nulls().unique().sort().to_list()
    readings = {s: SURNAME_READINGS.get(s) or tuple(syllable.get(c, c) for c in s) for s in surnames}
    given = pl.col("given_name")
    frame = frame.with_columns(
        surname_pinyin=pl.col("surname").replace_strict(
            {s: "".join(r) for s, r in readings.items()}, default=None, return_dtype=pl.String
        ),
        surname_initials=pl.col("surname").replace_strict(
            {s: "".join(x[0] for x in r) for s, r in readings.items()}, default="", return_dtype=pl.String
        ),
        given_pinyin=_replace_chars(given, pinyin),
        # A run of latin letters or digits is one syllable: collapse it with a regex, on the rare
        # names that have one (the others are nulled out first, which makes the regex free for them).
        given_initials=pl.coalesce(
            _replace_chars(pl.when(given.str.contains(_WORD)).then(given), spaced).str.replace_all(
                _SYLLABLE_INITIALS, "$1"
            ),
            _replace_chars(given, initial),
        ).fill_null(""),
    ).with_columns(
        name_pinyin=pl.col("surname_pinyin").fill_null("") + pl.col("given_pinyin").fill_null(""),
        name_initials=pl.col("surname_initials") + pl.col("given_initials"),
    )
    frame = frame.with_columns(_null_if_empty("name_pinyin", "name_initials", "given_pinyin"))
    return frame.select(list(COLUMNS))


def _benchmark(sizes: tuple[int, ...] = (1_000_000, 2_000_000), seed: int = 1) -> None:
    """Print the time of `name_keys` on `sizes` distinct names (run `python -m matching.names`).

    `generator.names.sample_names` yields about 1.15 million distinct names at most (its pools are
    finite), so beyond the generator's own names the sample is filled up with typed variants of them:
    traditional characters (OpenCC s2t, character by character) and an inner ASCII or full-width space.
    """
    import time

    import numpy as np
    from opencc import OpenCC

    from generator.names import sample_names

    rng = np.random.default_rng(seed)
    generated = pl.Series([], dtype=pl.String)
    for _ in range(8):
        full, _surname = sample_names(rng, rng.random(4_000_000) < 0.5, common_share=0.0)
        generated = pl.concat([generated, pl.Series(full, dtype=pl.String)]).unique()
    generated = generated.sort().sample(fraction=1.0, shuffle=True, seed=seed)
    chars = generated.str.split("").explode().unique().sort().to_list()
    s2t = OpenCC("s2t")
    to_traditional = {c: s2t.convert(c) for c in chars}
    traditional = generated.str.split("").list.eval(pl.element().replace_strict(to_traditional)).list.join("")
    spaced = generated.str.slice(0, 1) + pl.Series(np.where(rng.random(generated.len()) < 0.5, " ", "\u3000"))
    spaced = spaced + generated.str.slice(1)
    variants = pl.concat([traditional.filter(traditional != generated), spaced]).unique().sort()
    variants = variants.sample(fraction=1.0, shuffle=True, seed=seed)
    print(f"generator names: {generated.len():,} distinct; typed variants: {variants.len():,}")
    for n in sizes:
        names = pl.concat([generated.head(n), variants.head(max(0, n - generated.len()))])
        started = time.perf_counter()
        keys = name_keys(names)
        elapsed = time.perf_counter() - started
        print(
            f"name_keys: {keys.height:,} distinct names ({min(n, generated.len()):,} generated) "
            f"in {elapsed:.2f} s ({keys.height / elapsed:,.0f}/s)"
        )


if __name__ == "__main__":
    _benchmark()
