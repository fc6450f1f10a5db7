"""The five department extracts of CONTRACT §1, one pydantic model each.

`Model.model_validate(row)` reads one raw row as a department sends it (English or Chinese
headers, stray spaces, any accepted spelling of dates, sex and codes) into canonical values.
ID numbers and names are kept exactly as typed (trimmed): repairing them is standardisation's
job (`matching/`), and a bad one never makes a row unreadable.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

import polars as pl
from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator, model_validator

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
from schemas.derive import columns, header_aliases
from schemas.fields import Kind, col, opt
from schemas.values import (
    blank_to_none,
    parse_amount,
    parse_code,
    parse_date,
    parse_region,
    parse_year,
)


class SourceRecord(BaseModel):
    """One row of a department extract. Subclasses declare the columns and the record_key rule."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    source: ClassVar[str]
    title_zh: ClassVar[str]
    # record_key = '|'.join(part[:width] for (field, width) in KEY_PARTS), from trimmed values,
    # codes in their canonical spelling (scheme as 310/390).
    KEY_PARTS: ClassVar[tuple[tuple[str, int | None], ...]]
    # The division code that places a record (enrollment: insured place; education: school ...).
    REGION_FIELD: ClassVar[str]

    @model_validator(mode="before")
    @classmethod
    def _map_headers(cls, data: Any) -> Any:
        """Chinese or English headers, BOM on the first one, extra columns dropped."""
        if not isinstance(data, Mapping):
            return data
        aliases = header_aliases(cls)
        out: dict[str, Any] = {}
        for key, value in data.items():
            name = aliases.get(str(key).strip().lstrip("\ufeff"))
            if name is not None:
                out[name] = blank_to_none(value)
        return out

    @field_validator("*", mode="before")
    @classmethod
    def _parse_value(cls, value: Any, info: ValidationInfo) -> Any:
        column = _COLUMN_BY_NAME[cls][info.field_name]  # type: ignore[index]
        if value is None and not column.required:
            return cls.model_fields[column.name].default  # empty = null, or the contract's default
        if column.kind is Kind.DATE:
            return parse_date(value)
        if column.kind in (Kind.SEX, Kind.SCHEME, Kind.CODE):
            return parse_code(column.enum, value)  # type: ignore[arg-type]
        if column.kind is Kind.REGION:
            return parse_region(value)
        if column.kind is Kind.YEAR:
            return parse_year(value)
        if column.kind is Kind.AMOUNT:
            return parse_amount(value)
        return None if value is None else str(value)

    @classmethod
    def record_key_expr(cls) -> pl.Expr:
        """The same rule as a polars expression over trimmed, canonical columns (bulk work)."""
        parts = []
        for field, width in cls.KEY_PARTS:
            text = pl.col(field).cast(pl.String).str.strip_chars()
            parts.append(text.str.slice(0, width) if width else text)
        return pl.concat_str(parts, separator="|").alias("record_key")

    def record_key(self) -> str:
        parts = []
        for field, width in self.KEY_PARTS:
            value = getattr(self, field)
            text = value.value if hasattr(value, "value") else str(value)
            parts.append(text[:width] if width else text)
        return "|".join(parts)


class EnrollmentRecord(SourceRecord):
    source: ClassVar[str] = "enrollment"
    title_zh: ClassVar[str] = "参保登记"
    REGION_FIELD: ClassVar[str] = "insured_region_code"
    KEY_PARTS: ClassVar = (
        ("insured_region_code", 2),
        ("person_no", None),
        ("scheme", None),
        ("coverage_year", None),
    )

    person_no: str = col("个人编号")
    id_type: str | None = opt("证件类型", description="01 = resident ID")
    id_number: str | None = opt("证件号码", Kind.ID_NUMBER)
    name: str = col("姓名", Kind.NAME)
    sex: Sex | None = opt("性别")
    birth_date: date | None = opt("出生日期")
    scheme: Scheme = col("险种类型")
    coverage_year: int = col("参保年度")
    insured_region_code: str = col("参保地行政区划代码", Kind.REGION)
    status: EnrollmentStatus = col("参保状态")
    enrolled_on: date | None = opt("参保日期")
    terminated_on: date | None = opt("终止日期")
    person_category: str | None = opt("人员类别")
    phone: str | None = opt("联系电话")


class TaxRecord(SourceRecord):
    source: ClassVar[str] = "tax"
    title_zh: ClassVar[str] = "税务征缴"
    KEY_PARTS: ClassVar = (("receipt_no", None),)
    REGION_FIELD: ClassVar[str] = "region_code"

    receipt_no: str = col("电子税票号")
    id_number: str | None = opt("缴费人证件号码", Kind.ID_NUMBER)
    name: str = col("缴费人姓名", Kind.NAME)
    scheme: Scheme = col("险种类型")
    coverage_year: int = col("所属年度")
    amount: Decimal = col("缴费金额（元）")
    paid_on: date = col("缴费日期")
    region_code: str = col("征收地行政区划代码", Kind.REGION)
    payer_type: PayerType = col("缴费类型", default=PayerType.SELF)


class PublicSecurityRecord(SourceRecord):
    source: ClassVar[str] = "public_security"
    title_zh: ClassVar[str] = "公安户籍"
    KEY_PARTS: ClassVar = (("resident_no", None),)
    REGION_FIELD: ClassVar[str] = "hukou_region_code"

    resident_no: str = col("户籍人员编号")
    id_number: str = col("公民身份号码", Kind.ID_NUMBER)
    name: str = col("姓名", Kind.NAME)
    sex: Sex = col("性别")
    birth_date: date = col("出生日期")
    hukou_region_code: str = col("户籍地行政区划代码", Kind.REGION)
    address: str | None = opt("住址")
    status: HukouStatus = col("人口状态")
    status_date: date | None = opt("状态变更日期", description="状态变更日期 (date of death for deceased)")
    moved_to_region_code: str | None = opt("迁往地行政区划代码", Kind.REGION)


class EducationRecord(SourceRecord):
    source: ClassVar[str] = "education"
    title_zh: ClassVar[str] = "教育学籍"
    KEY_PARTS: ClassVar = (("student_no", None), ("academic_year", None))
    REGION_FIELD: ClassVar[str] = "school_region_code"

    student_no: str = col("学籍号")
    id_number: str | None = opt("身份证件号", Kind.ID_NUMBER)
    name: str = col("姓名", Kind.NAME)
    sex: Sex | None = opt("性别")
    birth_date: date | None = opt("出生日期")
    school_name: str = col("学校名称")
    school_region_code: str = col("学校所在地行政区划代码", Kind.REGION)
    stage: Stage = col("学段")
    academic_year: int = col("学年", description="学年 (starting year)")
    status: StudentStatus = col("学籍状态")


class CivilAffairsRecord(SourceRecord):
    source: ClassVar[str] = "civil_affairs"
    title_zh: ClassVar[str] = "民政救助对象"
    KEY_PARTS: ClassVar = (("case_no", None),)
    REGION_FIELD: ClassVar[str] = "region_code"

    case_no: str = col("救助对象编号")
    id_number: str | None = opt("身份证号", Kind.ID_NUMBER)
    name: str = col("姓名", Kind.NAME)
    sex: Sex | None = opt("性别")
    birth_date: date | None = opt("出生日期")
    region_code: str = col("所在地行政区划代码", Kind.REGION)
    assistance_type: AssistanceType = col("救助类别")
    status: AssistanceStatus = col("救助状态")
    effective_from: date = col("起始日期")
    effective_to: date | None = opt("终止日期")


SOURCES: dict[str, type[SourceRecord]] = {
    m.source: m
    for m in (EnrollmentRecord, TaxRecord, PublicSecurityRecord, EducationRecord, CivilAffairsRecord)
}

_COLUMN_BY_NAME = {m: {c.name: c for c in columns(m)} for m in SOURCES.values()}
