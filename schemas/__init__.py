"""The data contracts (CONTRACT.md) in code: sources in, findings and store out, generated truth."""

from schemas.codes import (
    AssistanceStatus,
    AssistanceType,
    EnrollmentStatus,
    HukouStatus,
    PayerType,
    Scheme,
    Sex,
    Stage,
    StudentStatus,
)
from schemas.derive import (
    arrow_schema,
    column_names,
    columns,
    header_aliases,
    polars_schema,
    required_columns,
)
from schemas.fields import Kind
from schemas.findings import FindingType, ResolutionRule
from schemas.sources import (
    SOURCES,
    CivilAffairsRecord,
    EducationRecord,
    EnrollmentRecord,
    PublicSecurityRecord,
    SourceRecord,
    TaxRecord,
)
from schemas.store import STORE_TABLES
from schemas.truth import TRUTH_TABLES

__all__ = [
    "SOURCES",
    "STORE_TABLES",
    "TRUTH_TABLES",
    "AssistanceStatus",
    "AssistanceType",
    "CivilAffairsRecord",
    "EducationRecord",
    "EnrollmentRecord",
    "EnrollmentStatus",
    "FindingType",
    "HukouStatus",
    "Kind",
    "PayerType",
    "PublicSecurityRecord",
    "ResolutionRule",
    "Scheme",
    "Sex",
    "SourceRecord",
    "Stage",
    "StudentStatus",
    "TaxRecord",
    "arrow_schema",
    "column_names",
    "columns",
    "header_aliases",
    "polars_schema",
    "required_columns",
]
