"""Everything a generated world can vary, with defaults that look like a provincial extract.

The defaults are this project's choices (the domain notes give no figures); they are printed
by `oneperson generate --show-config` and documented in docs/generator.md.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ClerkErrorRates(_Frozen):
    """Share of a source's records carrying each kind of typing error (per record, independent)."""

    id_typo: float = 0.006  # one digit of the body replaced
    id_transposition: float = 0.004  # two adjacent digits swapped
    id_lowercase_x: float = 0.5  # of IDs ending in X: typed as x
    id_fullwidth: float = 0.01  # full-width digits (１２３)
    id_spaces: float = 0.01  # inner spaces or U+3000
    id_legacy_15: float = 0.004  # old 15-digit number (only persons born 1900-1999)
    id_missing: float = 0.01
    name_homophone: float = 0.008  # one given-name character replaced by a same-pinyin one
    name_traditional: float = 0.005  # traditional characters (張偉)
    name_spaces: float = 0.01  # a space or U+3000 inside the name
    name_dot_variant: float = 0.6  # of minority names: a dot other than U+00B7, or none
    date_variant: float = 0.3  # a date written YYYYMMDD, YYYY/MM/DD or YYYY/M/D instead of ISO
    sex_variant: float = 0.5  # sex written 男/女 or M/F instead of 1/2
    code_word: float = 0.1  # scheme/status written as a Chinese or English word
    stray_spaces: float = 0.01  # leading/trailing spaces on any value


def _rates(**kw: float) -> ClerkErrorRates:
    return ClerkErrorRates(**kw)


DEFAULT_ERRORS: dict[str, ClerkErrorRates] = {
    # Enrollment is typed at service counters: the reference rates.
    "enrollment": _rates(),
    # Tax keys on the payer's ID; names are often typed by the payer themselves.
    "tax": _rates(id_typo=0.004, id_transposition=0.003, id_missing=0.005, name_homophone=0.012),
    # The hukou register is the cleanest source: it issues the numbers.
    "public_security": _rates(
        id_typo=0.0,
        id_transposition=0.0,
        id_fullwidth=0.0,
        id_spaces=0.0,
        id_legacy_15=0.0,
        id_missing=0.0,
        name_homophone=0.0,
        name_traditional=0.001,
        name_spaces=0.002,
        id_lowercase_x=0.1,
    ),
    # School rosters: many pupils without a number on file, more hand-typing.
    "education": _rates(id_missing=0.08, id_typo=0.01, id_transposition=0.006, name_homophone=0.012),
    # Civil affairs: monthly hand-maintained case lists.
    "civil_affairs": _rates(id_typo=0.008, id_missing=0.02, name_traditional=0.01),
}


class LifeRates(_Frozen):
    """Shares of persons given each life event (these create the findings)."""

    twins: float = 0.01  # share of persons who are one of a twin pair
    employee: float = 0.42  # of working-age adults: in the employee scheme (310)
    migrant_worker: float = 0.2  # of employees: working in another province than the hukou
    migrant_family_keeps_390: float = 0.15  # of migrant workers: still enrolled in 390 at home
    job_change_not_ended: float = 0.01  # of employees: second 310 in the same province, old not ended
    hukou_move: float = 0.02  # inter-province hukou move in a coverage year
    move_old_enrollment_kept: float = 0.6  # of moves: old 390 enrollment never ended (else terminated)
    student_out_of_province: float = 0.3  # of higher-education students: school in another province
    student_enrolled_twice: float = 0.3  # of those: enrolled at school and at home
    student_not_enrolled: float = 0.02  # of students: not enrolled anywhere
    death: float = 0.01  # died during the first coverage year or the year before
    death_not_propagated: float = 0.35  # of deaths: enrollment still active afterwards
    assistance: float = 0.04  # share with a civil-affairs case
    assistance_not_enrolled: float = 0.05  # of subsidisable cases: not enrolled
    assistance_not_subsidized: float = 0.1  # of subsidisable cases: enrolled but paying as 'self'
    payment_push_lost: float = 0.008  # of 390 payments: the enrollment row never arrived
    enrollment_unpaid: float = 0.02  # of 390 enrollments: no payment
    youth_opt_out: float = 0.06  # of 18-30 year olds not in 310: not enrolled in a year
    common_name_pool: float = 0.03  # share of persons given one of a few very common full names


class Delivery(_Frozen):
    """How one source delivers its files (several formats and encodings across sources)."""

    fmt: str = "csv"  # csv | csv.gz | parquet
    encoding: str = "utf-8"  # utf-8 | utf-8-sig | gb18030 (CSV only)
    headers: str = "en"  # en | zh
    crlf: bool = False
    manifest: bool = True
    files_per_batch: int = 1  # enrollment: one file per province regardless


DEFAULT_DELIVERY: dict[str, Delivery] = {
    "enrollment": Delivery(fmt="csv", encoding="utf-8-sig", headers="zh", crlf=True),
    "tax": Delivery(fmt="csv.gz", encoding="utf-8", headers="zh"),
    "public_security": Delivery(fmt="csv", encoding="gb18030", headers="zh", crlf=True),
    "education": Delivery(fmt="csv", encoding="utf-8", headers="en", manifest=False),
    "civil_affairs": Delivery(fmt="parquet", headers="en"),
}
# Enrollment files of some provinces come differently (each province runs its own system).
ENROLLMENT_BY_PROVINCE: dict[int, Delivery] = {
    1: Delivery(fmt="csv", encoding="gb18030", headers="zh", crlf=True),
    2: Delivery(fmt="parquet", headers="en"),
    3: Delivery(fmt="csv.gz", encoding="utf-8", headers="en"),
}


class WorldConfig(_Frozen):
    persons: int = Field(20_000, ge=10)
    seed: int = 1
    # Provinces of the world, by GB/T 2260 code, with population weights.
    provinces: dict[str, float] = {"44": 0.3, "51": 0.2, "41": 0.2, "32": 0.15, "31": 0.1, "11": 0.05}
    coverage_years: tuple[int, ...] = (2025, 2026)
    as_of: date = date(2026, 11, 20)  # the world is described as of this day; nothing reads the clock
    # Batch names (extract dates); the first is a full extract, later ones carry new and changed rows.
    batches: tuple[str, ...] = ("20261001", "20261015", "20261101")
    late_share: float = 0.12  # share of records first delivered in a later batch
    stale_share: float = 0.01  # records delivered with a stale value, corrected by a later batch
    redelivered_file: bool = True  # one file delivered again, byte-identical, in a later batch
    malformed_rows: int = 40  # rows made unreadable on purpose, spread over sources and batches
    life: LifeRates = LifeRates()
    errors: dict[str, ClerkErrorRates] = DEFAULT_ERRORS
    delivery: dict[str, Delivery] = DEFAULT_DELIVERY
    enrollment_delivery_by_province: dict[int, Delivery] = ENROLLMENT_BY_PROVINCE
