"""The published store of CONTRACT §3: one model per table, zone and partitioning beside it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from schemas.codes import (
    AssistanceStatus,
    AssistanceType,
    EnrollmentStatus,
    PayerType,
    Scheme,
    Sex,
    Stage,
    StudentStatus,
)
from schemas.findings import FindingType, ResolutionRule


class StoreTable(BaseModel):
    model_config = ConfigDict(frozen=True)

    zone: ClassVar[str]  # "analytics" (pseudonymous) or "restricted" (personal data)
    table: ClassVar[str]
    partition_by: ClassVar[tuple[str, ...]] = ()
    sort_by: ClassVar[tuple[str, ...]] = ()
    # Kept in the warehouse and refreshed each night for the persons that changed
    # (oneperson/materialise.py); the others are read whole at each publish.
    per_person: ClassVar[bool] = False


class Person(StoreTable):
    zone: ClassVar[str] = "analytics"
    table: ClassVar[str] = "persons"
    per_person: ClassVar[bool] = True
    partition_by: ClassVar = ("hukou_province",)
    sort_by: ClassVar = ("person_id",)

    person_id: str
    birth_year: int | None
    sex: Sex | None
    hukou_region_code: str | None
    hukou_province: str | None
    alive: bool
    sources: list[str]
    n_records: int


class PersonRecord(StoreTable):
    zone: ClassVar[str] = "analytics"
    table: ClassVar[str] = "person_records"
    per_person: ClassVar[bool] = True
    partition_by: ClassVar = ("source",)
    sort_by: ClassVar = ("person_id",)

    source: str
    record_key: str
    person_id: str
    match_probability: float | None  # null when joined by exact identifier or alone
    batch: str


class Enrollment(StoreTable):
    zone: ClassVar[str] = "analytics"
    table: ClassVar[str] = "enrollments"
    per_person: ClassVar[bool] = True
    partition_by: ClassVar = ("coverage_year",)
    sort_by: ClassVar = ("insured_province", "person_id")

    person_id: str
    record_key: str
    scheme: Scheme
    coverage_year: int
    insured_region_code: str
    insured_province: str
    status: EnrollmentStatus
    enrolled_on: date | None
    terminated_on: date | None


class Payment(StoreTable):
    """Premium receipts from tax, with the person they were placed with: what was paid, for which
    scheme and year, where, and whether the state paid it (subsidy gaps, paid-but-not-enrolled in yuan)."""

    zone: ClassVar[str] = "analytics"
    table: ClassVar[str] = "payments"
    per_person: ClassVar[bool] = True
    partition_by: ClassVar = ("coverage_year",)
    sort_by: ClassVar = ("collecting_province", "person_id")

    person_id: str
    record_key: str  # the receipt number
    scheme: Scheme
    coverage_year: int
    amount: Decimal
    paid_on: date
    payer_type: PayerType
    collecting_region_code: str
    collecting_province: str


class StudentRecord(StoreTable):
    """Student roster rows from education, with the person: where the school is (the place a student
    is enrolled under the national rule), stage and status. The school's name is left out: with a
    birth year it can single out a child in a small school, and the region answers the questions."""

    zone: ClassVar[str] = "analytics"
    table: ClassVar[str] = "student_records"
    per_person: ClassVar[bool] = True
    partition_by: ClassVar = ("academic_year",)
    sort_by: ClassVar = ("school_province", "person_id")

    person_id: str
    record_key: str
    academic_year: int  # the starting year: academic year Y runs into coverage year Y + 1
    school_region_code: str
    school_province: str
    stage: Stage
    status: StudentStatus


class AssistanceCase(StoreTable):
    """Assistance cases from civil affairs, with the person: the type (which decides whether the state
    pays the 390 premium), the place and the period."""

    zone: ClassVar[str] = "analytics"
    table: ClassVar[str] = "assistance_cases"
    per_person: ClassVar[bool] = True
    partition_by: ClassVar = ("assistance_type",)
    sort_by: ClassVar = ("province", "person_id")

    person_id: str
    record_key: str  # the case number
    assistance_type: AssistanceType
    status: AssistanceStatus
    region_code: str
    province: str
    effective_from: date
    effective_to: date | None


class Finding(StoreTable):
    zone: ClassVar[str] = "analytics"
    table: ClassVar[str] = "findings"
    partition_by: ClassVar = ("coverage_year", "finding_type")
    sort_by: ClassVar = ("person_id",)

    finding_id: str
    finding_type: FindingType
    person_id: str
    coverage_year: int
    record_keys: list[str]
    min_match_probability: float | None
    keep_record_key: str | None
    resolution_rule: ResolutionRule | None
    first_seen_snapshot: str


class FindingHistory(StoreTable):
    """Every finding ever published, open or resolved: what was fixed, and when (a trend without
    reading old snapshots). A finding that comes back is open again, with its first sighting kept."""

    zone: ClassVar[str] = "analytics"
    table: ClassVar[str] = "finding_history"
    partition_by: ClassVar = ("finding_type",)
    sort_by: ClassVar = ("coverage_year", "person_id")

    finding_id: str
    finding_type: FindingType
    person_id: str
    coverage_year: int
    first_seen_snapshot: str
    last_seen_snapshot: str
    resolved_in_snapshot: str | None  # null while open


class PersonIdChange(StoreTable):
    """When two persons turn out to be one (a merge) or one turns out to be two (a split), the old
    id's fate, so that analysts can follow an id they kept from an earlier snapshot."""

    zone: ClassVar[str] = "analytics"
    table: ClassVar[str] = "person_id_changes"
    sort_by: ClassVar = ("person_id",)

    change: str  # merge | split
    person_id: str  # the id as it was
    into_person_id: str  # merge: the surviving id; split: the id the split-off part got
    run_id: str


class Identity(StoreTable):
    zone: ClassVar[str] = "restricted"
    table: ClassVar[str] = "identities"
    per_person: ClassVar[bool] = True
    sort_by: ClassVar = ("person_id",)

    person_id: str
    id_number: str | None  # normalised
    name: str | None
    birth_date: date | None
    sex: Sex | None
    id_number_variants: list[str]
    name_variants: list[str]


class Quarantine(StoreTable):
    zone: ClassVar[str] = "restricted"
    table: ClassVar[str] = "quarantine"
    sort_by: ClassVar = ("source", "batch", "file", "line")

    source: str
    batch: str
    file: str
    line: int
    reason: str
    raw: str


STORE_TABLES: tuple[type[StoreTable], ...] = (
    Person,
    PersonRecord,
    Enrollment,
    Payment,
    StudentRecord,
    AssistanceCase,
    Finding,
    FindingHistory,
    PersonIdChange,
    Identity,
    Quarantine,
)
