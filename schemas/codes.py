"""Code values of CONTRACT §1, with every spelling a department may send.

Each enum's members are the canonical values oneperson stores. `SPELLINGS` maps what a clerk
may type (after trimming, case-folded) to the canonical value, so that pydantic validation and
the vectorised ingest read codes through one table.
"""

from __future__ import annotations

from enum import StrEnum


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


class Scheme(StrEnum):
    EMPLOYEE = "310"  # 职工基本医疗保险
    RESIDENT = "390"  # 城乡居民基本医疗保险


class EnrollmentStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


class PayerType(StrEnum):
    SELF = "self"
    SUBSIDIZED = "subsidized"


class HukouStatus(StrEnum):
    NORMAL = "normal"
    MOVED_OUT = "moved_out"
    DECEASED = "deceased"
    CANCELLED = "cancelled"


class Stage(StrEnum):
    PRESCHOOL = "preschool"
    PRIMARY = "primary"
    JUNIOR = "junior"
    SENIOR = "senior"
    VOCATIONAL = "vocational"
    HIGHER = "higher"


class StudentStatus(StrEnum):
    ENROLLED = "enrolled"
    GRADUATED = "graduated"
    WITHDRAWN = "withdrawn"
    TRANSFERRED = "transferred"


class AssistanceType(StrEnum):
    DIBAO = "dibao"
    TEKUN = "tekun"
    ORPHAN = "orphan"
    DISABLED = "disabled"
    LOW_INCOME = "low_income"
    RELAPSE_RISK = "relapse_risk"


class AssistanceStatus(StrEnum):
    ACTIVE = "active"
    EXITED = "exited"


# Assistance types whose 390 premium the state must pay (CONTRACT §2, assistance_not_subsidized).
SUBSIDISED_ASSISTANCE = frozenset(
    {AssistanceType.DIBAO, AssistanceType.TEKUN, AssistanceType.ORPHAN, AssistanceType.DISABLED}
)

# The Chinese word each department may send instead of the English code (CONTRACT §1 tables).
# Keyed per enum: StrEnum members of different enums with the same value compare equal.
CHINESE: dict[type[StrEnum], dict[str, str]] = {
    Scheme: {"310": "职工", "390": "居民"},
    EnrollmentStatus: {"active": "正常参保", "suspended": "暂停", "terminated": "终止"},
    PayerType: {"self": "个人缴费", "subsidized": "政府资助代缴"},
    HukouStatus: {"normal": "正常", "moved_out": "迁出", "deceased": "死亡", "cancelled": "注销"},
    StudentStatus: {"enrolled": "在读", "graduated": "毕业", "withdrawn": "退学", "transferred": "转出"},
    Stage: {},
    AssistanceType: {
        "dibao": "低保",
        "tekun": "特困",
        "orphan": "孤儿",
        "disabled": "重度残疾",
        "low_income": "低保边缘",
        "relapse_risk": "防返贫监测",
    },
    AssistanceStatus: {"active": "在保", "exited": "退出"},
}

# Sex: 1/男/M male, 2/女/F female; 0/9/empty unknown (stored as null).
SEX_SPELLINGS: dict[str, Sex | None] = {
    "1": Sex.MALE,
    "男": Sex.MALE,
    "m": Sex.MALE,
    "male": Sex.MALE,
    "2": Sex.FEMALE,
    "女": Sex.FEMALE,
    "f": Sex.FEMALE,
    "female": Sex.FEMALE,
    "0": None,
    "9": None,
}

SCHEME_SPELLINGS: dict[str, Scheme] = {
    "310": Scheme.EMPLOYEE,
    "employee": Scheme.EMPLOYEE,
    "职工": Scheme.EMPLOYEE,
    "职工基本医疗保险": Scheme.EMPLOYEE,
    "390": Scheme.RESIDENT,
    "resident": Scheme.RESIDENT,
    "居民": Scheme.RESIDENT,
    "城乡居民基本医疗保险": Scheme.RESIDENT,
}


def spellings(enum: type[StrEnum]) -> dict[str, StrEnum | None]:
    """Every accepted spelling (case-folded) of an enum's members -> canonical member."""
    if enum is Sex:
        return dict(SEX_SPELLINGS)
    if enum is Scheme:
        return dict(SCHEME_SPELLINGS)
    table: dict[str, StrEnum | None] = {}
    zh = CHINESE.get(enum, {})
    for member in enum:
        table[member.value.casefold()] = member
        if member.value in zh:
            table[zh[member.value]] = member
    return table
