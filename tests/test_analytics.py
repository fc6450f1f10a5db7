"""Analyst access: views over the current snapshot; restricted tables only on request."""

from pathlib import Path

import pytest
from warehouses import ingest_landing

from oneperson.analytics import NoSnapshot, open_current
from oneperson.nightly import find_persons, next_snapshot_id, publish_snapshot, warehouse_of
from oneperson.warehouse import connect


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    mp = pytest.MonkeyPatch()
    mp.setenv("ONEPERSON_PSEUDONYM_KEY", "test-key")
    store = tmp_path_factory.mktemp("analytics") / "store"
    warehouse = warehouse_of(store)
    con = connect(warehouse)
    ingest_landing(con)
    con.close()
    find_persons(warehouse, "night-1")
    publish_snapshot(warehouse, store, next_snapshot_id(warehouse, store), "night-1", retention=3)
    yield store
    mp.undo()


def test_views_over_current_snapshot(store: Path) -> None:
    con = open_current(store)
    tables = {t for (t,) in con.execute("SHOW TABLES").fetchall()}
    assert tables == {  # no personal data by default
        "persons",
        "person_records",
        "enrollments",
        "payments",
        "student_records",
        "assistance_cases",
        "findings",
        "finding_history",
        "person_id_changes",
        "snapshots",
        "findings_by_snapshot",
    }
    persons, records = con.execute("SELECT count(*), sum(n_records) FROM persons").fetchall()[0]
    assert records == con.execute("SELECT count(*) FROM person_records").fetchall()[0][0] and persons > 1900
    # Findings join to persons and enrollments by the pseudonymous person_id.
    dup = con.execute("""SELECT count(*) FROM findings AS f JOIN persons AS p USING (person_id)
        WHERE f.finding_type = 'duplicate_cross_province'""").fetchall()[0][0]
    assert dup > 0
    restricted = open_current(store, restricted=True)
    assert {"identities", "quarantine"} <= {t for (t,) in restricted.execute("SHOW TABLES").fetchall()}


def test_no_snapshot_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(NoSnapshot, match="nothing published yet"):
        open_current(tmp_path)


def test_views_across_kept_snapshots(store: Path) -> None:
    warehouse = warehouse_of(store)
    publish_snapshot(warehouse, store, next_snapshot_id(warehouse, store), "night-2", retention=3)
    (store / "snapshots" / ".20261101-003.tmp-0badc0ffee00").mkdir()  # a publish in progress: not listed
    con = open_current(store)
    assert con.execute("SELECT snapshot_id, is_current, run_id FROM snapshots ORDER BY 1").fetchall() == [
        ("20261101-001", False, "night-1"),
        ("20261101-002", True, "night-2"),
    ]
    per_snapshot = con.execute(
        "SELECT snapshot_id, count(*) FROM findings_by_snapshot GROUP BY 1 ORDER BY 1"
    ).fetchall()
    current = con.execute("SELECT count(*) FROM findings").fetchall()[0][0]
    assert per_snapshot == [("20261101-001", current), ("20261101-002", current)]  # same inputs
    # Each row keeps its typed partition columns.
    assert con.execute("SELECT typeof(coverage_year) FROM findings_by_snapshot LIMIT 1").fetchall() == [
        ("BIGINT",)
    ]


def test_sql_command_reports_a_bad_query_in_one_line(store: Path) -> None:
    from typer.testing import CliRunner

    from oneperson.cli import app

    result = CliRunner().invoke(app, ["sql", "--store", str(store), "SELECT no_such_column FROM persons"])
    assert result.exit_code == 1
    assert "no_such_column" in result.output and "Traceback" not in result.output
    ok = CliRunner().invoke(app, ["sql", "--store", str(store), "SELECT count(*) AS n FROM payments"])
    assert ok.exit_code == 0 and "n" in ok.output
