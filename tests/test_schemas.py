"""The contract models read what departments send, and everything else derives from them."""

from datetime import date
from decimal import Decimal

import pyarrow as pa
import pytest
from pydantic import ValidationError

from schemas import SOURCES, EnrollmentRecord, PublicSecurityRecord, TaxRecord, arrow_schema, header_aliases
from schemas.derive import columns, required_columns
from schemas.fields import Kind
from schemas.store import Finding, Person
from schemas.truth import TruthFinding


def test_enrollment_row_with_chinese_headers_and_mixed_spellings() -> None:
    row = {
        "\ufeff个人编号": " 4400123 ",
        "证件号码": "44052418800101001４",
        "姓名": "张 伟",
        "性别": "男",
        "出生日期": "1880/1/1",
        "险种类型": "居民",
        "参保年度": "2025",
        "参保地行政区划代码": "440106",
        "参保状态": "正常参保",
        "参保日期": "20250105",
        "终止日期": "",
        "备注": "ignored",
    }
    record = EnrollmentRecord.model_validate(row)
    assert record.person_no == "4400123"
    assert record.sex == "male" and record.birth_date == date(1880, 1, 1)
    assert record.scheme == "390" and record.status == "active" and record.terminated_on is None
    assert record.id_number == "44052418800101001４"  # kept as typed: repair is standardisation's job
    assert record.record_key() == "44|4400123|390|2025"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("1", "male"), ("M", "male"), ("女", "female"), ("F", "female"), ("0", None), ("9", None), ("", None)],
)
def test_sex_spellings(typed: str, expected: str | None) -> None:
    row = {
        "case_no": "C1",
        "name": "李娜",
        "sex": typed,
        "region_code": "110101",
        "assistance_type": "低保",
        "status": "在保",
        "effective_from": "2024-01-01",
    }
    assert SOURCES["civil_affairs"].model_validate(row).sex == expected


def test_tax_defaults_payer_type_to_self_and_reads_amounts() -> None:
    row = {
        "receipt_no": "R1",
        "name": "王芳",
        "scheme": "employee",
        "coverage_year": "2026",
        "amount": "380.00",
        "paid_on": "2025-10-01",
        "region_code": "310101",
    }
    record = TaxRecord.model_validate(row)
    assert record.payer_type == "self" and record.amount == Decimal("380.00") and record.scheme == "310"


@pytest.mark.parametrize(
    ("field", "value"),
    [("status", "alive"), ("birth_date", "1990-13-01"), ("hukou_region_code", "1101"), ("sex", "")],
)
def test_unreadable_values_are_rejected_with_the_field_named(field: str, value: str) -> None:
    row = {
        "resident_no": "R1",
        "id_number": "11010519491231002X",
        "name": "张三",
        "sex": "1",
        "birth_date": "1949-12-31",
        "hukou_region_code": "110105",
        "status": "normal",
        field: value,
    }
    with pytest.raises(ValidationError) as err:
        PublicSecurityRecord.model_validate(row)
    assert field in str(err.value)


def test_columns_aliases_and_kinds_are_derived_from_the_models() -> None:
    assert header_aliases(EnrollmentRecord)["参保地行政区划代码"] == "insured_region_code"
    assert required_columns(EnrollmentRecord) == [
        "person_no",
        "name",
        "scheme",
        "coverage_year",
        "insured_region_code",
        "status",
    ]
    kinds = {c.name: c.kind for c in columns(TaxRecord)}
    assert kinds["id_number"] is Kind.ID_NUMBER and kinds["paid_on"] is Kind.DATE
    assert (
        kinds["scheme"] is Kind.SCHEME and kinds["amount"] is Kind.AMOUNT and kinds["payer_type"] is Kind.CODE
    )
    for model in SOURCES.values():  # every contract column has its Chinese header
        assert all(c.zh for c in columns(model))


def test_store_and_truth_arrow_schemas() -> None:
    schema = arrow_schema(Finding)
    assert schema.field("record_keys").type == pa.list_(pa.string())
    assert schema.field("min_match_probability").nullable and not schema.field("finding_id").nullable
    assert arrow_schema(Person).field("sources").type == pa.list_(pa.string())
    assert arrow_schema(TruthFinding).field("coverage_year").type == pa.int64()


def test_record_key_expression_matches_the_model_rule() -> None:
    import polars as pl

    frame = pl.DataFrame(
        {"insured_region_code": [" 440106"], "person_no": ["77 "], "scheme": ["390"], "coverage_year": [2025]}
    )
    assert frame.select(EnrollmentRecord.record_key_expr()).item() == "44|77|390|2025"
