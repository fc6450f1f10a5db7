"""Findings on linked persons: the store tables' shape, stable finding ids, accuracy on the sample."""

import duckdb
import polars as pl
import pytest
from warehouses import SAMPLE, ingest_landing

from matching.linkage import link_full
from matching.person_ids import assign_person_ids
from matching.training import load
from oneperson import findings
from oneperson.finding_evaluation import score_findings
from oneperson.findings import build_findings
from oneperson.warehouse import connect
from schemas.derive import column_names
from schemas.sources import SOURCES
from schemas.store import STORE_TABLES


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    mp = pytest.MonkeyPatch()
    mp.setenv("ONEPERSON_PSEUDONYM_KEY", "test-key")
    con = connect(tmp_path_factory.mktemp("findings") / "w.duckdb")
    ingest_landing(con)
    link_full(con, load())
    assign_person_ids(con, "night-1")
    build_findings(con, "20261101T020000")
    yield con
    mp.undo()


def test_store_views_have_the_contract_columns(warehouse: duckdb.DuckDBPyConnection) -> None:
    for model in STORE_TABLES:
        columns = [d[0] for d in warehouse.execute(f"DESCRIBE store_{model.table}").fetchall()]
        assert columns == column_names(model), model.table
    persons = warehouse.execute("SELECT count(*), count(DISTINCT person_id) FROM store_persons").fetchall()[0]
    assert (
        persons[0]
        == persons[1]
        == warehouse.execute("SELECT count(DISTINCT person_id) FROM record_links").fetchall()[0][0]
    )
    assert warehouse.execute("SELECT count(*) FROM store_quarantine").fetchall() == [(40,)]


def test_every_current_record_is_published_once_with_its_person(warehouse: duckdb.DuckDBPyConnection) -> None:
    """Each source's facts table holds every current record exactly once, under the person that
    person_records names, and carries no name, ID number or birth date."""
    tables = {
        "enrollment": "store_enrollments",
        "tax": "store_payments",
        "education": "store_student_records",
        "civil_affairs": "store_assistance_cases",
    }
    for source, view in tables.items():
        current = warehouse.execute(f"SELECT count(*) FROM current_{source}").fetchall()[0][0]
        published, distinct = warehouse.execute(
            f"SELECT count(*), count(DISTINCT record_key) FROM {view}"
        ).fetchall()[0]
        assert current == published == distinct > 0, source
        mismatched = warehouse.execute(f"""SELECT count(*) FROM {view} AS v
            JOIN store_person_records AS r ON r.source = '{source}' AND r.record_key = v.record_key
            WHERE r.person_id <> v.person_id""").fetchall()[0][0]
        assert mismatched == 0, source
        columns = {d[0] for d in warehouse.execute(f"DESCRIBE {view}").fetchall()}
        assert not columns & {"name", "id_number", "birth_date", "school_name", "phone"}, source
    # The facts agree with the source: the subsidised 390 payments of the sample, in yuan.
    assert warehouse.execute(
        "SELECT sum(amount) FROM store_payments WHERE payer_type = 'subsidized'"
    ).fetchall() == warehouse.execute(
        "SELECT sum(amount) FROM current_tax WHERE payer_type = 'subsidized'"
    ).fetchall()


def test_findings_keep_their_id_and_first_seen_snapshot(warehouse: duckdb.DuckDBPyConnection) -> None:
    first = dict(warehouse.execute("SELECT finding_id, first_seen_snapshot FROM store_findings").fetchall())
    build_findings(warehouse, "20261102T020000")
    again = dict(warehouse.execute("SELECT finding_id, first_seen_snapshot FROM store_findings").fetchall())
    assert again == first and set(first.values()) == {"20261101T020000"}
    # A finding that disappears is recorded as resolved in the next snapshot.
    gone = next(iter(first))
    warehouse.execute("DELETE FROM findings_history WHERE finding_id = ?", [gone])  # forget, then re-add
    warehouse.execute("""INSERT INTO findings_history VALUES ('Fgone', 'missing_enrollment', 'Pnobody', 2025,
        '20261101T020000', '20261101T020000', NULL)""")
    build_findings(warehouse, "20261103T020000")
    assert warehouse.execute(
        "SELECT resolved_in_snapshot FROM findings_history WHERE finding_id = 'Fgone'"
    ).fetchall() == [("20261103T020000",)]


def test_findings_against_the_sample_truth(warehouse: duckdb.DuckDBPyConnection) -> None:
    report = score_findings(warehouse.sql("SELECT * FROM store_findings").pl(), SAMPLE / "truth")
    for t in report.types:
        assert t.true > 0, t.finding_type  # the sample has every type
        assert t.precision >= 0.98 and t.recall >= 0.98, t
        if t.finding_type.startswith("duplicate_"):
            assert t.keep_agrees == t.rule_agrees == t.correct, t


def test_payments_without_a_valid_id_are_placed_with_the_enrollment_they_pay(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    owners = pl.read_parquet(SAMPLE / "truth" / "records.parquet").select(
        "source", "record_key", "person_key"
    )
    placed = warehouse.sql("""
        SELECT pr.source, pr.record_key, pr.profile_id AS payment_profile, e.record_key AS enrollment_key
        FROM payment_placements AS p
        JOIN profile_records AS pr ON pr.profile_id = p.profile_id
        JOIN profile_records AS e ON e.profile_id = p.enrollment_profile_id AND e.source = 'enrollment'
    """).pl()
    assert placed.height > 0 and set(placed["source"]) == {"tax"}
    payer = placed.join(owners, on=["source", "record_key"]).select(
        "record_key", "enrollment_key", "person_key"
    )
    enrolled = owners.filter(pl.col("source") == "enrollment").select(
        enrollment_key="record_key", enrolled="person_key"
    )
    checked = payer.join(enrolled, on="enrollment_key")
    assert checked.height == placed.height and (checked["person_key"] == checked["enrolled"]).all()
    # Each placement was scored by the model, so the store carries its probability and explain its chart.
    unscored = warehouse.sql("""SELECT count(*) FROM payment_placements AS p WHERE NOT EXISTS (
        SELECT 1 FROM profile_links AS l
        WHERE p.profile_id IN (l.unique_id_l, l.unique_id_r)
          AND p.enrollment_profile_id IN (l.unique_id_l, l.unique_id_r))""").fetchall()
    assert unscored == [(0,)]
    probabilities = warehouse.sql("""SELECT l.link_probability FROM record_links AS l
        JOIN profile_records AS r USING (source, record_key)
        JOIN payment_placements AS p ON p.profile_id = r.profile_id""").pl()
    assert probabilities["link_probability"].is_not_null().all()


def test_the_linked_sources_carry_the_columns_their_readers_use(
    warehouse: duckdb.DuckDBPyConnection, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rules and the store read no identity column of a source (those come from std_identity),
    so a refresh's linked sources leave them out; a reader's `*` keeps every column."""
    read = findings.columns_read()
    assert set(read) == set(SOURCES)
    assert {"scheme", "coverage_year", "insured_region_code", "terminated_on", "_batch"} <= read["enrollment"]
    assert {"amount", "payer_type", "_batch"} <= read["tax"]
    findings.linked_sources(warehouse, materialised=True)
    try:
        for source, used in read.items():
            assert not used & {"id_number", "name", "phone", "address", "_file", "_line"}, source
            present = {d[0] for d in warehouse.execute(f"DESCRIBE current_{source}").fetchall()}
            kept = {d[0] for d in warehouse.execute(f"DESCRIBE {source}").fetchall()}
            assert kept == used & present | {"record_key", "person", "link_probability"}
    finally:
        findings.linked_sources(warehouse)  # views again, as the module's warehouse had them
    reader = tmp_path / "reader.sql"
    reader.write_text(
        """CREATE TEMP VIEW v AS SELECT t.* FROM tax AS t JOIN education AS e USING (stage);
        CREATE TEMP VIEW w AS SELECT 1 FROM civil_affairs AS c
        WHERE EXISTS (SELECT 1 FROM rules_record AS r WHERE r.birth_date = c.effective_to)"""
    )
    monkeypatch.setattr(findings, "READERS", (reader,))
    findings.columns_read.cache_clear()
    try:
        read = findings.columns_read()
        assert read["tax"] is None and read["education"] == {"stage"} and read["enrollment"] == set()
        assert read["civil_affairs"] == {"effective_to"}  # named by a subquery
    finally:
        findings.columns_read.cache_clear()
