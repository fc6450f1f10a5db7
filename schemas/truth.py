"""What a generated world really is: the answer key that evaluation scores the pipeline against.

Written by `oneperson generate` under `<out>/truth/`, one Parquet file per model.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import ClassVar

import polars as pl
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict

from schemas.codes import Sex
from schemas.derive import arrow_schema
from schemas.findings import FindingType, ResolutionRule


class TruthTable(BaseModel):
    model_config = ConfigDict(frozen=True)
    file: ClassVar[str]

    @classmethod
    def write(cls, frame: pl.DataFrame, folder: Path) -> Path:
        """Write `frame` as this table: columns in model order, Arrow types from the model."""
        schema = arrow_schema(cls)
        path = folder / cls.file
        pq.write_table(frame.select(schema.names).to_arrow().cast(schema), path, compression="zstd")
        return path


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


class TruthDelivery(TruthTable):
    """One delivered data file: how it was written, so tests and benchmarks can pick cases."""

    file: ClassVar[str] = "deliveries.parquet"

    source: str
    batch: str
    file_name: str
    rows: int  # data rows, malformed ones included (= the manifest's count)
    fmt: str  # csv | csv.gz | parquet
    encoding: str | None  # CSV only
    headers: str  # en | zh
    crlf: bool | None  # CSV only
    redelivered_of: str | None  # batch whose file this one repeats byte for byte
    sha256: str
    extra_column: str | None  # name of the unknown extra column, if any
    columns_shuffled: bool
    manifest: bool  # listed in its batch's manifest.json


TRUTH_TABLES: tuple[type[TruthTable], ...] = (
    TruthPerson,
    TruthRecord,
    TruthRecordError,
    TruthFinding,
    TruthMalformed,
)
