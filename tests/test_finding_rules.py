"""The CONTRACT §2 rules engine (oneperson.rules, sql/findings) on a tiny hand-built world.

Every finding type and every resolution rule is exercised, with hard negatives beside them.
The evaluated year is 2024; 2023 rows exist for the previous-year rule and must not be evaluated.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import duckdb
import pytest

from oneperson.rules import FINDINGS_COLUMNS, compute_findings
from schemas.findings import FindingType, ResolutionRule
from schemas.sources import SOURCES

Y = 2024
D = date.fromisoformat

# Columns of each caller table: the contract model's fields + the linkage columns.
TYPES = {
    "birth_date": "DATE",
    "enrolled_on": "DATE",
    "terminated_on": "DATE",
    "paid_on": "DATE",
    "status_date": "DATE",
    "effective_from": "DATE",
    "effective_to": "DATE",
    "coverage_year": "INTEGER",
    "academic_year": "INTEGER",
    "amount": "DECIMAL(12, 2)",
}
LINK_COLUMNS = {"record_key": "VARCHAR", "person": "VARCHAR", "link_probability": "DOUBLE"}

ROWS: dict[str, list[dict[str, object]]] = {source: [] for source in SOURCES}


def enr(
    person: str | None,
    person_no: str,
    scheme: str,
    year: int,
    region: str,
    status: str = "active",
    enrolled_on: str | None = None,
    p: float | None = None,
) -> None:
    ROWS["enrollment"].append(
        {
            "record_key": f"{region[:2]}|{person_no}|{scheme}|{year}",
            "person": person,
            "link_probability": p,
            "person_no": person_no,
            "name": person,
            "scheme": scheme,
            "coverage_year": year,
            "insured_region_code": region,
            "status": status,
            "enrolled_on": D(enrolled_on) if enrolled_on else None,
        }
    )


def tax(
    person: str,
    receipt: str,
    scheme: str,
    year: int,
    paid_on: str,
    region: str,
    payer: str = "self",
    p: float | None = None,
) -> None:
    ROWS["tax"].append(
        {
            "record_key": receipt,
            "person": person,
            "link_probability": p,
            "receipt_no": receipt,
            "name": person,
            "scheme": scheme,
            "coverage_year": year,
            "amount": 380,
            "paid_on": D(paid_on),
            "region_code": region,
            "payer_type": payer,
        }
    )


def ps(
    person: str,
    resident_no: str,
    born: str,
    hukou: str,
    status: str = "normal",
    status_date: str | None = None,
    p: float | None = None,
) -> None:
    ROWS["public_security"].append(
        {
            "record_key": resident_no,
            "person": person,
            "link_probability": p,
            "resident_no": resident_no,
            "id_number": "x",
            "name": person,
            "sex": "male",
            "birth_date": D(born),
            "hukou_region_code": hukou,
            "status": status,
            "status_date": D(status_date) if status_date else None,
        }
    )


def edu(
    person: str,
    student_no: str,
    academic_year: int,
    school_region: str,
    status: str = "enrolled",
    p: float | None = None,
) -> None:
    ROWS["education"].append(
        {
            "record_key": f"{student_no}|{academic_year}",
            "person": person,
            "link_probability": p,
            "student_no": student_no,
            "name": person,
            "school_name": "school",
            "school_region_code": school_region,
            "stage": "higher",
            "academic_year": academic_year,
            "status": status,
        }
    )


def case(
    person: str,
    case_no: str,
    kind: str,
    status: str,
    effective_from: str,
    effective_to: str | None = None,
    p: float | None = None,
    born: str | None = None,
) -> None:
    ROWS["civil_affairs"].append(
        {
            "record_key": case_no,
            "person": person,
            "link_probability": p,
            "case_no": case_no,
            "name": person,
            "region_code": "110101",
            "assistance_type": kind,
            "status": status,
            "effective_from": D(effective_from),
            "effective_to": D(effective_to) if effective_to else None,
            "birth_date": D(born) if born else None,
        }
    )


# --- the world -----------------------------------------------------------------------------------

# student_school_place across provinces: the school (Guangzhou) beats the hukou (Beijing).
ps("school", "R-school", "2004-05-01", "110105")
edu("school", "S1", 2023, "440106")
enr("school", "B1", "390", Y, "110105", enrolled_on="2024-01-02")
enr("school", "G1", "390", Y, "440106", enrolled_on="2024-02-01", p=0.97)
tax("school", "T-school", "390", Y, "2023-11-01", "110105")

# student_school_place within a province: no exact match, the school's city (4403) decides.
ps("school2", "R-school2", "2005-01-01", "440106")
edu("school2", "S2", 2024, "440303")
edu("school2", "S2", 2022, "110101", status="graduated")  # an old school row: not a student then
enr("school2", "GZ", "390", Y, "440106", enrolled_on="2024-03-01")
enr("school2", "SZ", "390", Y, "440305", enrolled_on="2024-01-01")
tax("school2", "T-school2", "390", Y, "2023-10-01", "440106")

# student_school_place: the school's exact region code beats the same city and a later enrolled_on.
ps("school3", "R-school3", "2005-01-01", "440106")
edu("school3", "S4", 2023, "440303")
enr("school3", "SZ-A", "390", Y, "440303", enrolled_on="2024-01-01")
enr("school3", "SZ-B", "390", Y, "440305", enrolled_on="2024-05-01")
tax("school3", "T-school3", "390", Y, "2023-10-01", "440303")

# employee_continuous: 310 + 390 this year and active 310 last year -> keep 310.
ps("emp_cont", "R-emp_cont", "1980-01-01", "320102")
enr("emp_cont", "E1", "310", Y - 1, "320102", enrolled_on="2023-01-01")
enr("emp_cont", "E1", "310", Y, "320102", enrolled_on="2024-01-01")
enr("emp_cont", "E2", "390", Y, "320105", enrolled_on="2023-12-01")
tax("emp_cont", "T-emp_cont", "390", Y, "2023-12-01", "320105")

# resident_hukou_place: 390 in Beijing, Shijiazhuang (1301) and Tangshan (1302); the current
# ('normal') hukou is in Shijiazhuang: its city beats the province and a later enrolled_on. The old
# moved_out registration in Beijing and a graduated school there are ignored. Two findings: across
# provinces (all three) and within Hebei (the two 13 enrollments).
ps("hukou", "R-hukou-old", "1990-01-01", "110101", status="moved_out", status_date="2020-01-01")
ps("hukou", "R-hukou-new", "1990-01-01", "130104", status_date="2020-01-01")
edu("hukou", "S5", 2023, "110101", status="graduated")
enr("hukou", "H1", "390", Y, "110101", enrolled_on="2024-06-01")
enr("hukou", "H2", "390", Y, "130102", enrolled_on="2024-01-01")
enr("hukou", "H3", "390", Y, "130202", enrolled_on="2024-09-01")
tax("hukou", "T-hukou", "390", Y, "2023-11-01", "110101")

# resident_hukou_place does not decide (hukou in a third province) -> first_paid_wins: the Beijing
# payment (2024-01-10) comes before both enrolled_on dates. A school row two academic years back
# does not make a student of 2024.
ps("hukou_none", "R-hukou_none", "1990-01-01", "440106")
edu("hukou_none", "S6", 2022, "120101")
enr("hukou_none", "N1", "390", Y, "110101", enrolled_on="2024-03-01")
enr("hukou_none", "N2", "390", Y, "120101", enrolled_on="2024-02-01")
tax("hukou_none", "T-hukou_none", "390", Y, "2024-01-10", "110101")

# employee_most_recent across provinces; a student whose school is in neither province (rule 1
# does not decide).
ps("emp_recent", "R-emp_recent", "1985-01-01", "310101")
edu("emp_recent", "S7", Y, "440106")
enr("emp_recent", "M1", "310", Y, "310101", enrolled_on="2024-01-05")
enr("emp_recent", "M2", "310", Y, "330102", enrolled_on="2024-06-01")

# employee_most_recent within a province: a NULL enrolled_on counts as the oldest.
ps("same310", "R-same310", "1985-01-01", "440103")
enr("same310", "A", "310", Y, "440103")
enr("same310", "B", "310", Y, "440104", enrolled_on="2023-12-01")

# first_paid_wins for 310 + 390 without a 310 enrollment last year (only a terminated one).
ps("first_paid", "R-first_paid", "1975-01-01", "110101")
enr("first_paid", "F0", "310", Y - 1, "110101", status="terminated", enrolled_on="2023-01-01")
enr("first_paid", "F1", "310", Y, "110101", enrolled_on="2024-05-01")
enr("first_paid", "F2", "390", Y, "110102", enrolled_on="2024-03-01")
tax("first_paid", "T-first_paid", "390", Y, "2023-12-15", "110102")

# One person-year, three duplicate findings, each resolved among its own candidates.
ps("multi", "R-multi", "1970-01-01", "120102")
enr("multi", "X0", "310", Y - 1, "110101", enrolled_on="2023-01-01")
enr("multi", "X0", "310", Y, "110101", enrolled_on="2024-01-01")
enr("multi", "X", "390", Y, "120101", enrolled_on="2024-03-01")
enr("multi", "Y", "390", Y, "120102", enrolled_on="2024-02-01")
tax("multi", "T-multi", "390", Y, "2023-12-01", "120101")

# Hard negative: the old province's enrollment was properly terminated when the person moved.
ps("moved", "R-moved", "1990-01-01", "440106")
enr("moved", "OLD", "390", Y, "110101", status="terminated", enrolled_on="2023-12-01")
enr("moved", "NEW", "390", Y, "440106", enrolled_on="2024-04-01")
tax("moved", "T-moved", "390", Y, "2024-04-01", "440106")

# missing_enrollment: only a suspended enrollment; evidence = the public_security record.
ps("missing", "R-missing", "1980-01-01", "110101", p=0.93)
enr("missing", "S9", "390", Y, "110101", status="suspended")
tax("missing", "T-missing", "390", Y, "2023-11-01", "110101")

# A person without a public_security record is not a registered resident: no missing_enrollment
# (the payment without an enrollment is still paid_not_enrolled).
edu("missing_nops", "S3", 2015, "350102", status="graduated", p=0.9)
case("missing_nops", "C-low", "low_income", "active", "2022-01-01", p=0.8)
tax("missing_nops", "T-nops", "390", Y, "2024-01-15", "350102")

# Hard negative: born during the year -> not alive on 1 January -> not missing. The public_security
# birth date wins over a wrong one elsewhere; without public_security, the other records' date counts.
ps("newborn", "R-newborn", "2024-03-10", "110101")
case("newborn", "C-newborn", "low_income", "active", "2024-04-01", born="2020-01-01")
case("newborn_nops", "C-newborn_nops", "low_income", "active", "2024-04-01", born="2024-02-01")

# Hard negative: died before the year, not enrolled -> neither missing nor deceased_enrolled.
ps("dead_gone", "R-dead_gone", "1940-01-01", "110101", status="deceased", status_date="2023-05-01")
ps("dead_gone_undated", "R-dead_gone_undated", "1940-01-01", "110101", status="deceased")

# deceased_enrolled: died 2023, still active in 2024.
ps("dead", "R-dead-old", "1940-01-01", "440106", status="moved_out", status_date="2000-01-01")
ps("dead", "R-dead", "1940-01-01", "440106", status="deceased", status_date="2023-06-30")
enr("dead", "D1", "390", Y - 1, "440106", enrolled_on="2023-01-01")
enr("dead", "D1", "390", Y, "440106", enrolled_on="2024-01-01")
tax("dead", "T-dead", "390", Y, "2023-11-01", "440106")

# deceased_enrolled: a deceased registration without a date counts as dead for every year.
ps("dead_undated", "R-dead_undated", "1930-01-01", "110101", status="deceased")
enr("dead_undated", "U1", "310", Y, "110101", enrolled_on="2020-01-01")

# Hard negative: the death was propagated (enrollment terminated) -> nothing.
ps("dead_ok", "R-dead_ok", "1940-01-01", "110101", status="deceased", status_date="2023-08-01")
enr("dead_ok", "K1", "310", Y, "110101", status="terminated", enrolled_on="2020-01-01")

# Hard negative: died during the year -> alive on 1 January, enrolled -> nothing.
ps("died_2024", "R-died_2024", "1940-01-01", "110101", status="deceased", status_date="2024-03-01")
enr("died_2024", "K2", "310", Y, "110101", enrolled_on="2020-01-01")

# paid_not_enrolled: a 310 premium with no 310 enrollment row.
ps("paid", "R-paid", "1980-01-01", "110101")
enr("paid", "P1", "390", Y, "110101", enrolled_on="2024-01-01")
tax("paid", "T-paid-390", "390", Y, "2023-12-01", "110101")
tax("paid", "T-paid-310", "310", Y, "2024-02-01", "110101", p=0.91)

# Hard negative: a terminated enrollment row (another province) is still an enrollment row.
ps("paid_ok", "R-paid_ok", "1980-01-01", "110101")
enr("paid_ok", "Q1", "310", Y, "110101", enrolled_on="2024-01-01")
enr("paid_ok", "Q2", "390", Y, "440106", status="terminated", enrolled_on="2024-01-01")
tax("paid_ok", "T-paid_ok", "390", Y, "2023-12-01", "440106")

# enrolled_not_paid: a 390 payment for the previous year only (2023 is not evaluated, so that
# payment without a 2023 enrollment is no paid_not_enrolled either).
ps("unpaid", "R-unpaid", "1980-01-01", "350102")
enr("unpaid", "V1", "390", Y, "350102", enrolled_on="2024-01-01")
tax("unpaid", "T-unpaid-2023", "390", Y - 1, "2022-12-01", "350102")

# assistance_not_subsidized: an exited dibao case whose dates still reach into 2024.
ps("assist", "R-assist", "1960-01-01", "110101")
case("assist", "C-dibao", "dibao", "exited", "2023-01-01", "2024-02-29", p=0.88)
enr("assist", "W1", "390", Y, "110101", enrolled_on="2024-01-01")
tax("assist", "T-assist", "390", Y, "2023-12-01", "110101")

# assistance_not_subsidized and enrolled_not_paid: a disabled case, no payment at all.
ps("assist_unpaid", "R-assist_unpaid", "1960-01-01", "110101")
case("assist_unpaid", "C-disabled", "disabled", "active", "2020-01-01")
enr("assist_unpaid", "W2", "390", Y, "110101", enrolled_on="2024-01-01")

# Hard negative: the subsidised payment is there.
ps("assist_ok", "R-assist_ok", "1960-01-01", "110101")
case("assist_ok", "C-tekun", "tekun", "active", "2019-01-01")
enr("assist_ok", "W3", "390", Y, "110101", enrolled_on="2024-01-01")
tax("assist_ok", "T-assist_ok", "390", Y, "2023-12-01", "110101", payer="subsidized")

# Hard negative: an exited orphan case that ended before 2024, and a low_income case (not a
# subsidised type) that overlaps it.
ps("assist_exited", "R-assist_exited", "2005-01-01", "110101")
case("assist_exited", "C-orphan", "orphan", "exited", "2010-01-01", "2023-12-31")
case("assist_exited", "C-low2", "low_income", "active", "2023-01-01")
enr("assist_exited", "W4", "390", Y, "110101", enrolled_on="2024-01-01")
tax("assist_exited", "T-assist_exited", "390", Y, "2023-12-01", "110101")

# A record linked to nobody takes part in no finding.
enr(None, "Z1", "390", Y, "110101", enrolled_on="2024-01-01")

# The persons built as hard negatives: no finding at all.
NO_FINDINGS = (
    "moved",
    "newborn",
    "newborn_nops",
    "dead_gone",
    "dead_gone_undated",
    "dead_ok",
    "died_2024",
    "paid_ok",
    "assist_ok",
    "assist_exited",
)

DUP_CP = FindingType.DUPLICATE_CROSS_PROVINCE
DUP_CS = FindingType.DUPLICATE_CROSS_SCHEME
DUP_SS = FindingType.DUPLICATE_SAME_SCHEME
R = ResolutionRule

# (finding_type, person, record_keys, min_match_probability, keep_record_key, resolution_rule)
EXPECTED: list[tuple[str, str, list[str], float | None, str | None, str | None]] = [
    (DUP_CP, "school", ["11|B1|390|2024", "44|G1|390|2024"], 0.97, "44|G1|390|2024", R.STUDENT_SCHOOL_PLACE),
    (DUP_SS, "school2", ["44|GZ|390|2024", "44|SZ|390|2024"], None, "44|SZ|390|2024", R.STUDENT_SCHOOL_PLACE),
    (
        DUP_SS,
        "school3",
        ["44|SZ-A|390|2024", "44|SZ-B|390|2024"],
        None,
        "44|SZ-A|390|2024",
        R.STUDENT_SCHOOL_PLACE,
    ),
    (DUP_CS, "emp_cont", ["32|E1|310|2024", "32|E2|390|2024"], None, "32|E1|310|2024", R.EMPLOYEE_CONTINUOUS),
    (
        DUP_CP,
        "hukou",
        ["11|H1|390|2024", "13|H2|390|2024", "13|H3|390|2024"],
        None,
        "13|H2|390|2024",
        R.RESIDENT_HUKOU_PLACE,
    ),
    (DUP_SS, "hukou", ["13|H2|390|2024", "13|H3|390|2024"], None, "13|H2|390|2024", R.RESIDENT_HUKOU_PLACE),
    (DUP_CP, "hukou_none", ["11|N1|390|2024", "12|N2|390|2024"], None, "11|N1|390|2024", R.FIRST_PAID_WINS),
    (
        DUP_CP,
        "emp_recent",
        ["31|M1|310|2024", "33|M2|310|2024"],
        None,
        "33|M2|310|2024",
        R.EMPLOYEE_MOST_RECENT,
    ),
    (DUP_SS, "same310", ["44|A|310|2024", "44|B|310|2024"], None, "44|B|310|2024", R.EMPLOYEE_MOST_RECENT),
    (DUP_CS, "first_paid", ["11|F1|310|2024", "11|F2|390|2024"], None, "11|F2|390|2024", R.FIRST_PAID_WINS),
    (
        DUP_CP,
        "multi",
        ["11|X0|310|2024", "12|X|390|2024", "12|Y|390|2024"],
        None,
        "11|X0|310|2024",
        R.EMPLOYEE_CONTINUOUS,
    ),
    (
        DUP_CS,
        "multi",
        ["11|X0|310|2024", "12|X|390|2024", "12|Y|390|2024"],
        None,
        "11|X0|310|2024",
        R.EMPLOYEE_CONTINUOUS,
    ),
    (DUP_SS, "multi", ["12|X|390|2024", "12|Y|390|2024"], None, "12|Y|390|2024", R.RESIDENT_HUKOU_PLACE),
    (FindingType.MISSING_ENROLLMENT, "missing", ["R-missing"], 0.93, None, None),
    # missing_nops has no hukou record: not a registered resident, so no missing_enrollment
    # (sql/findings/20_missing_enrollment.sql); the payment still makes paid_not_enrolled.
    (FindingType.PAID_NOT_ENROLLED, "missing_nops", ["T-nops"], None, None, None),
    (FindingType.DECEASED_ENROLLED, "dead", ["44|D1|390|2024", "R-dead"], None, None, None),
    (FindingType.DECEASED_ENROLLED, "dead_undated", ["11|U1|310|2024", "R-dead_undated"], None, None, None),
    (FindingType.PAID_NOT_ENROLLED, "paid", ["T-paid-310"], 0.91, None, None),
    (FindingType.ENROLLED_NOT_PAID, "unpaid", ["35|V1|390|2024"], None, None, None),
    (FindingType.ASSISTANCE_NOT_SUBSIDIZED, "assist", ["11|W1|390|2024", "C-dibao"], 0.88, None, None),
    (
        FindingType.ASSISTANCE_NOT_SUBSIDIZED,
        "assist_unpaid",
        ["11|W2|390|2024", "C-disabled"],
        None,
        None,
        None,
    ),
    (FindingType.ENROLLED_NOT_PAID, "assist_unpaid", ["11|W2|390|2024"], None, None, None),
]


def build_world(con: duckdb.DuckDBPyConnection, years: list[int]) -> None:
    """The five caller tables (every contract column, canonically typed) and coverage_years."""
    for source, model in SOURCES.items():
        columns = {**LINK_COLUMNS, **{name: TYPES.get(name, "VARCHAR") for name in model.model_fields}}
        ddl = ", ".join(f"{name} {kind}" for name, kind in columns.items())
        con.execute(f"CREATE TABLE {source} ({ddl})")
        names = list(columns)
        rows = [[row.get(name) for name in names] for row in ROWS[source]]
        if rows:
            placeholders = ", ".join("?" for _ in names)
            con.executemany(f"INSERT INTO {source} ({', '.join(names)}) VALUES ({placeholders})", rows)
    con.execute("CREATE TABLE coverage_years (coverage_year INTEGER)")
    con.executemany("INSERT INTO coverage_years VALUES (?)", [[y] for y in years])


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    build_world(connection, [Y])
    yield connection
    connection.close()


def rows(relation: duckdb.DuckDBPyRelation) -> list[tuple[object, ...]]:
    return [tuple(r) for r in relation.fetchall()]


def test_exact_findings(con: duckdb.DuckDBPyConnection) -> None:
    expected = sorted(
        (person, Y, str(kind), keys, prob, keep, None if rule is None else str(rule))
        for kind, person, keys, prob, keep, rule in EXPECTED
    )
    got = rows(
        compute_findings(con).select(
            "person, coverage_year, finding_type, record_keys, min_match_probability, keep_record_key, "
            "resolution_rule"
        )
    )
    assert got == expected


def test_output_schema_and_order(con: duckdb.DuckDBPyConnection) -> None:
    relation = compute_findings(con)
    assert tuple(relation.columns) == FINDINGS_COLUMNS
    assert [str(t) for t in relation.types] == [
        "VARCHAR",
        "VARCHAR",
        "INTEGER",
        "VARCHAR[]",
        "DOUBLE",
        "VARCHAR",
        "VARCHAR",
    ]
    got = rows(relation)
    keys = [(r[1], r[2], r[0]) for r in got]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)  # one row per (person, coverage_year, finding_type)
    for finding_type, *_rest, keep, rule in got:
        assert FindingType(finding_type)
        assert (keep is not None) == FindingType(finding_type).is_duplicate == (rule is not None)
        if rule is not None:
            assert ResolutionRule(rule)


def test_every_type_and_rule_covered() -> None:
    assert {row[0] for row in EXPECTED} == set(FindingType)
    assert {row[5] for row in EXPECTED} - {None} == set(ResolutionRule)


def test_hard_negatives_have_no_finding(con: duckdb.DuckDBPyConnection) -> None:
    persons = {person for (person,) in compute_findings(con).select("person").fetchall()}
    assert persons.isdisjoint(NO_FINDINGS)
    assert None not in persons
    assert persons == {row[1] for row in EXPECTED}


def test_only_coverage_years_are_evaluated(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DELETE FROM coverage_years")
    assert rows(compute_findings(con)) == []
    con.execute(f"INSERT INTO coverage_years VALUES ({Y - 1})")
    got = rows(compute_findings(con).select("finding_type, person, coverage_year"))
    assert {year for *_, year in got} == {Y - 1}
    # 2023 is evaluated now: the 2023 payment without a 2023 enrollment is flagged.
    assert (FindingType.PAID_NOT_ENROLLED, "unpaid", Y - 1) in got


def test_views_read_caller_tables_lazily(con: duckdb.DuckDBPyConnection) -> None:
    before = compute_findings(con)
    n = len(before.fetchall())
    con.execute("UPDATE enrollment SET status = 'terminated' WHERE record_key = '11|B1|390|2024'")
    after = {(r[0], r[1]) for r in rows(before.select("finding_type, person"))}
    assert len(after) == n - 1
    assert (FindingType.DUPLICATE_CROSS_PROVINCE, "school") not in after
