"""What a generated world really is: the answer key that evaluation scores the pipeline against.

Written by `oneperson generate` under `<out>/truth/`, one Parquet file per model.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from schemas.codes import Sex
from schemas.findings import FindingType, ResolutionRule


class TruthTable(BaseModel):
    model_config = ConfigDict(frozen=True)
    file: ClassVar[str]


class TruthPerson(TruthTable):
    """A true person, with the identity every clean record of theirs would carry."""

    file: ClassVar[str] = "persons.parquet"

    person_key: str
    id_number: str
    name: str
    sex: Sex
    birth_date: date
    hukou_region_code: str  # current hukou (after any move)
    birth_region_code: str  # the division code in the ID number
    died_on: date | None
    twin_of: str | None  # person_key of the twin, if any
    traits: list[str]  # life events given to this person (e.g. "migrant_worker", "moved_hukou")


class TruthRecord(TruthTable):
    """Which true person each delivered record belongs to (final state, after all batches)."""

    file: ClassVar[str] = "records.parquet"

    source: str
    record_key: str
    person_key: str


class TruthRecordError(TruthTable):
    """A clerk error put into a record's field, by kind, for per-error-kind recall."""

    file: ClassVar[str] = "record_errors.parquet"

    source: str
    record_key: str
    field: str
    error_kind: str


class TruthFinding(TruthTable):
    file: ClassVar[str] = "findings.parquet"

    finding_type: FindingType
    person_key: str
    coverage_year: int
    record_keys: list[str]
    keep_record_key: str | None
    resolution_rule: ResolutionRule | None


class TruthMalformed(TruthTable):
    """A row delivered unreadable on purpose: ingest must quarantine exactly these."""

    file: ClassVar[str] = "malformed.parquet"

    source: str
    batch: str
    file_name: str
    line: int  # 1-based physical line in the file, header = line 1
    kind: str  # wrong_field_count | missing_required | bad_date | bad_code ...


TRUTH_TABLES: tuple[type[TruthTable], ...] = (
    TruthPerson,
    TruthRecord,
    TruthRecordError,
    TruthFinding,
    TruthMalformed,
)
