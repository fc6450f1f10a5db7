"""The finding types of CONTRACT §2 and the resolution rules for duplicates (domain notes)."""

from __future__ import annotations

from enum import StrEnum


class FindingType(StrEnum):
    DUPLICATE_CROSS_PROVINCE = "duplicate_cross_province"
    DUPLICATE_CROSS_SCHEME = "duplicate_cross_scheme"
    DUPLICATE_SAME_SCHEME = "duplicate_same_scheme"
    MISSING_ENROLLMENT = "missing_enrollment"
    DECEASED_ENROLLED = "deceased_enrolled"
    PAID_NOT_ENROLLED = "paid_not_enrolled"
    ENROLLED_NOT_PAID = "enrolled_not_paid"
    ASSISTANCE_NOT_SUBSIDIZED = "assistance_not_subsidized"

    @property
    def zh(self) -> str:
        return FINDING_ZH[self]

    @property
    def is_duplicate(self) -> bool:
        return self.value.startswith("duplicate_")


FINDING_ZH: dict[FindingType, str] = {
    FindingType.DUPLICATE_CROSS_PROVINCE: "跨省重复参保",
    FindingType.DUPLICATE_CROSS_SCHEME: "职工与居民重复参保",
    FindingType.DUPLICATE_SAME_SCHEME: "省内同险种重复参保",
    FindingType.MISSING_ENROLLMENT: "应保未保",
    FindingType.DECEASED_ENROLLED: "死亡人员仍参保",
    FindingType.PAID_NOT_ENROLLED: "已缴费未参保",
    FindingType.ENROLLED_NOT_PAID: "参保未缴费",
    FindingType.ASSISTANCE_NOT_SUBSIDIZED: "资助参保未落实",
}


class ResolutionRule(StrEnum):
    """Which duplicate enrollment to keep, tried in this order (national guidance, Sept 2020)."""

    STUDENT_SCHOOL_PLACE = "student_school_place"  # a student: keep the place of the school registration
    EMPLOYEE_CONTINUOUS = "employee_continuous"  # 310 and 390, with 310 in the previous year too: keep 310
    RESIDENT_HUKOU_PLACE = "resident_hukou_place"  # two 390: keep the place of the current hukou
    EMPLOYEE_MOST_RECENT = "employee_most_recent"  # two 310: keep the most recent enrollment
    FIRST_PAID_WINS = "first_paid_wins"  # otherwise: the earliest enrollment or payment
