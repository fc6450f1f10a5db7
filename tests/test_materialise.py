"""The store tables kept in the warehouse and refreshed per person equal a full recompute, night
after night: new batches, corrections, a reviewer's merge and the split that undoes it."""

import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest
from warehouses import SAMPLE, ingest_landing

from matching.linkage import link_incremental, load_decisions
from matching.person_ids import assign_person_ids
from matching.training import load
from oneperson import materialise
from oneperson.findings import refresh_store
from oneperson.materialise import KEPT
from oneperson.warehouse import connect, transaction


def kept_tables(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in KEPT}


def night(con: duckdb.DuckDBPyConnection, landing: Path, snapshot: str):
    ingest_landing(con, landing)
    with transaction(con):
        link_incremental(con, load())
        assign_person_ids(con, f"run-{snapshot}")
    with transaction(con):
        return refresh_store(con, snapshot)


def assert_equals_full_recompute(con: duckdb.DuckDBPyConnection, snapshot: str) -> None:
    """A full refresh of the same warehouse (rolled back afterwards) gives the same kept tables."""
    kept = kept_tables(con)
    con.execute("BEGIN TRANSACTION")
    con.execute("UPDATE publish_state SET definition = 'another release'")  # forces a full refresh
    full = refresh_store(con, snapshot)
    assert full.mode == "full: the store's definitions changed"
    recomputed = kept_tables(con)
    con.execute("ROLLBACK")
    for table in KEPT:
        assert kept[table] == recomputed[table], table
        assert kept[table], table  # never vacuously equal


def test_refresh_per_person_equals_a_full_recompute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONEPERSON_PSEUDONYM_KEY", "test-key")
    landing = tmp_path / "landing"
    batches = sorted({b.name for s in (SAMPLE / "landing").iterdir() for b in s.iterdir()})
    con = connect(tmp_path / "w.duckdb")

    def arrive(prefix: str) -> None:
        for source_dir in (SAMPLE / "landing").iterdir():
            for batch in source_dir.iterdir():
                if batch.name.startswith(prefix):
                    shutil.copytree(batch, landing / source_dir.name / batch.name)

    arrive(batches[0])
    first = night(con, landing, "s1")
    assert first.mode.startswith("full: first refresh") and first.persons_refreshed is None

    arrive("20261015")  # new records and corrections
    second = night(con, landing, "s2")
    persons = con.execute("SELECT count(*) FROM pub_persons").fetchall()[0][0]
    assert second.mode == "incremental" and 0 < second.persons_refreshed < persons
    assert_equals_full_recompute(con, "s2")
    assert con.execute("SELECT count(*) FROM persons_dirty").fetchall()[0][0] == 0
    assert con.execute("SELECT count(*) FROM unpublished_profiles").fetchall()[0][0] == 0

    # A reviewer joins two persons of one record each (a merge), with the next batches.
    pair = con.execute("""
        WITH single AS (SELECT person_id FROM record_persons GROUP BY person_id HAVING count(*) = 1)
        SELECT a.source, a.record_key, b.source, b.record_key FROM record_persons AS a
        JOIN record_persons AS b ON a.person_id < b.person_id
        WHERE a.person_id IN (SELECT person_id FROM single) AND b.person_id IN (SELECT person_id FROM single)
        ORDER BY ALL LIMIT 1""").fetchall()[0]
    decisions = tmp_path / "decisions.csv"
    columns = ["source_l", "record_key_l", "source_r", "record_key_r", "decision", "reviewer", "decided_at"]
    pl.DataFrame([(*pair, "match", "r1", "2026-11-20T09:00:00")], schema=columns, orient="row").write_csv(
        decisions
    )
    load_decisions(con, decisions, "review-1")
    arrive("20261101")
    third = night(con, landing, "s3")
    assert third.mode == "incremental"
    merged = con.execute(
        "SELECT count(DISTINCT person_id) FROM record_persons "
        "WHERE (source = ? AND record_key = ?) OR (source = ? AND record_key = ?)",
        list(pair),
    ).fetchall()[0][0]
    assert merged == 1
    assert_equals_full_recompute(con, "s3")

    # The reviewer takes it back: a split, and nothing else new.
    pl.DataFrame([(*pair, "non_match", "r2", "2026-11-21T09:00:00")], schema=columns, orient="row").write_csv(
        decisions
    )
    load_decisions(con, decisions, "review-2")
    fourth = night(con, landing, "s4")
    assert fourth.mode == "incremental" and fourth.persons_refreshed < persons
    assert_equals_full_recompute(con, "s4")

    # A correction moves a payment to another person; its old profile stays with the old person's
    # other records, so only the record's last published person says whom it left.
    moved, target = con.execute("""
        WITH shared AS (SELECT profile_id FROM std_identity WHERE source = 'tax'
                        GROUP BY profile_id HAVING count(*) > 1)
        SELECT a.record_key, b.record_key FROM std_identity AS a
        JOIN std_identity AS b ON b.source = 'tax' AND b.profile_id <> a.profile_id
        JOIN record_persons AS pa ON pa.source = 'tax' AND pa.record_key = a.record_key
        JOIN record_persons AS pb ON pb.source = 'tax' AND pb.record_key = b.record_key
        WHERE a.source = 'tax' AND a.profile_id IN (SELECT profile_id FROM shared)
          AND pa.person_id <> pb.person_id
        ORDER BY ALL LIMIT 1""").fetchall()[0]
    con.execute(
        """UPDATE current_tax AS a
        SET id_number = b.id_number, name = b.name, region_code = b.region_code
        FROM current_tax AS b WHERE a.record_key = ? AND b.record_key = ?""",
        [moved, target],
    )
    # as ingest lists it, but with no batch (the row was changed in place: its batch is an old one)
    con.execute("INSERT INTO changed_records (source, record_key) VALUES ('tax', ?)", [moved])
    fifth = night(con, landing, "s5")
    assert fifth.mode == "incremental"
    assert con.execute("SELECT count(*) FROM persons_dirty").fetchall()[0][0] == 0
    same = "SELECT count(DISTINCT person_id) FROM record_persons WHERE source = 'tax' AND record_key IN (?,?)"
    assert con.execute(same, [moved, target]).fetchall()[0][0] == 1
    assert_equals_full_recompute(con, "s5")


def test_persons_whose_profiles_moved_are_refreshed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Linking can move profiles between persons with no record changed (evidence that arrived
    elsewhere joins two persons): the link step marks both ids, and the refresh follows."""
    monkeypatch.setenv("ONEPERSON_PSEUDONYM_KEY", "test-key")
    con = connect(tmp_path / "w.duckdb")
    night(con, SAMPLE / "landing", "s1")
    # Two persons of several profiles each become one, as a bridging record would make them.
    a, b = con.execute("""SELECT cluster_id FROM profile_clusters GROUP BY cluster_id HAVING count(*) > 2
        ORDER BY cluster_id LIMIT 2""").fetchall()
    with transaction(con):
        con.execute("UPDATE profile_clusters SET cluster_id = ? WHERE cluster_id = ?", [a[0], b[0]])
        written = "INSERT INTO clusters_written SELECT profile_id FROM profile_clusters WHERE cluster_id = ?"
        con.execute(written, a)
        assign_person_ids(con, "run-merge")
        assert con.execute("SELECT count(DISTINCT person_id) FROM persons_dirty").fetchall()[0][0] == 2
        refreshed = refresh_store(con, "s2")
    assert refreshed.mode == "incremental" and refreshed.persons_refreshed == 2
    assert_equals_full_recompute(con, "s2")


def test_a_new_coverage_year_refreshes_every_person(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """missing_enrollment is evaluated for every person and year: a year that appears changes all."""
    monkeypatch.setenv("ONEPERSON_PSEUDONYM_KEY", "test-key")
    con = connect(tmp_path / "w.duckdb")
    night(con, SAMPLE / "landing", "s1")
    con.execute(
        "UPDATE current_tax SET coverage_year = 2031 "
        "WHERE record_key = (SELECT min(record_key) FROM current_tax)"
    )
    with transaction(con):
        refreshed = refresh_store(con, "s2")
    assert refreshed.mode == "full: the coverage years changed" and refreshed.persons_refreshed is None
    in_2031 = con.execute("SELECT count(*) FROM findings_current WHERE coverage_year = 2031").fetchall()
    assert in_2031[0][0] > 0


def test_refreshed_rows_are_appended_in_order_and_the_table_sorted_again_past_its_share(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A nightly refresh appends its rows sorted after the body and the publisher writes the table
    as kept; once the appended runs pass RESORT_SHARE of its rows, the table is sorted whole."""
    monkeypatch.setenv("ONEPERSON_PSEUDONYM_KEY", "test-key")
    con = connect(tmp_path / "w.duckdb")
    first = night(con, SAMPLE / "landing", "s1")
    assert first.kept and all(first.kept.values())  # made by a full refresh: sorted
    # kept in storage order: partition (NULL last), then person_id
    key = "coalesce(hukou_province, '~') || '|' || person_id"
    in_order = f"SELECT count(*) FROM (SELECT {key} < lag({key}) OVER () AS back FROM pub_persons) WHERE back"
    assert con.execute(in_order).fetchall()[0][0] == 0
    moved = con.execute("""SELECT person_id FROM pub_persons ORDER BY person_id LIMIT 3""").fetchall()

    def refresh(snapshot: str):
        with transaction(con):
            con.executemany("INSERT INTO persons_dirty VALUES (?)", moved)
            return refresh_store(con, snapshot)

    monkeypatch.setattr(materialise, "RESORT_SHARE", 0.5)
    second = refresh("s2")
    assert second.mode == "incremental" and second.kept["persons"] is False
    # the three smallest ids now follow the body: one run back in the order
    assert con.execute(in_order).fetchall()[0][0] == 1
    runs = "SELECT rows_appended FROM pub_runs WHERE table_name = 'pub_persons'"
    assert con.execute(runs).fetchall() == [(3,)]
    assert_equals_full_recompute(con, "s2")

    monkeypatch.setattr(materialise, "RESORT_SHARE", 0.0)
    third = refresh("s3")
    assert third.kept["persons"] is True
    assert con.execute(in_order).fetchall()[0][0] == 0
    assert con.execute(runs).fetchall() == [(0,)]
    assert_equals_full_recompute(con, "s3")
