"""Backfills and as-of runs: the store as it was on each day, rebuilt without touching the live one;
a late re-sent batch never overwrites newer rows; one run per store at a time; failures logged."""

import json
import shutil
import threading
import time
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest
from prefect.testing.utilities import prefect_test_harness
from snapshots import file_digest as digest
from snapshots import snapshot_tables
from warehouses import SAMPLE, ingest_landing

from flows.backfill import backfill, workspace_of
from flows.nightly import STEPS, nightly
from oneperson import progress, runlog
from oneperson.runlock import StoreBusy, run_lock
from oneperson.store import current_snapshot, read_parquet_sql
from oneperson.warehouse import connect
from schemas.store import STORE_TABLES

DAYS = (date(2026, 10, 14), date(2026, 10, 15), date(2026, 10, 16))  # before, on and after a batch day


@pytest.fixture(scope="module", autouse=True)
def prefect_server():
    mp = pytest.MonkeyPatch()
    mp.setenv("ONEPERSON_PSEUDONYM_KEY", "test-key")
    with prefect_test_harness(server_startup_timeout=120):
        yield
    mp.undo()


def same_tables(a: Path, b: Path) -> bool:
    return snapshot_tables(a, ignore_run_ids=True) == snapshot_tables(b, ignore_run_ids=True)


@pytest.fixture(scope="module")
def one_by_one(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A fresh store run once per day, each run as of its day."""
    store = tmp_path_factory.mktemp("one-by-one") / "store"
    ids = [nightly(landing=SAMPLE / "landing", store=store, as_of=day)["snapshot_id"] for day in DAYS]
    return store, ids


def test_as_of_applies_only_the_batches_extracted_by_then(one_by_one: tuple[Path, list[str]]) -> None:
    store, ids = one_by_one
    assert ids == ["20261001-001", "20261015-001", "20261015-002"]
    con = duckdb.connect(str(store / "warehouse" / "oneperson.duckdb"), read_only=True)
    batches = {b for (b,) in con.execute("SELECT DISTINCT batch FROM batch_log").fetchall()}
    assert batches == {"20261001", "20261015"}  # 20261101 and 20261101-2 were not due yet
    log = runlog.read(store)
    assert [r["as_of"] for r in log] == [str(d) for d in DAYS] and {r["status"] for r in log} == {"completed"}
    assert log[0]["batches"] == {"applied": 5} and log[2]["batches"] == {}
    manifest = json.loads((store / "snapshots" / ids[0] / "manifest.json").read_text())
    assert manifest["run"]["as_of"] == "2026-10-14" and manifest["run"]["batches"] == {"applied": 5}
    assert {"apply new batches", "standardise", "link persons"} <= set(manifest["run"]["seconds"])
    assert manifest["run"]["rows_read"] == log[0]["rows_read"] > 0


def test_backfill_gives_the_snapshots_of_one_by_one_runs_and_leaves_the_live_store_alone(
    tmp_path: Path, one_by_one: tuple[Path, list[str]]
) -> None:
    sequential, ids = one_by_one
    live = tmp_path / "store"
    nightly(landing=SAMPLE / "landing", store=live)  # today's store: everything applied
    before = digest(live / "snapshots")
    current = (live / "CURRENT").read_text()

    result = backfill(landing=SAMPLE / "landing", store=live, start=DAYS[0], end=DAYS[-1])
    workspace = workspace_of(live, DAYS[0], DAYS[-1])
    assert result["workspace"] == str(workspace)
    assert [s["snapshot_id"] for s in result["snapshots"]] == ids
    for snapshot_id in ids:
        assert same_tables(workspace / "snapshots" / snapshot_id, sequential / "snapshots" / snapshot_id)
    assert current_snapshot(workspace).name == ids[-1]
    assert (live / "CURRENT").read_text() == current and digest(live / "snapshots") == before

    again = backfill(landing=SAMPLE / "landing", store=live, start=DAYS[0], end=DAYS[-1])  # a re-run
    assert [s["snapshot_id"] for s in again["snapshots"]] == ids
    for snapshot_id in ids:
        assert same_tables(workspace / "snapshots" / snapshot_id, sequential / "snapshots" / snapshot_id)
    assert not list(workspace.parent.glob("*.building"))


def test_backfill_make_current_publishes_the_rebuilt_state_as_the_next_snapshot(tmp_path: Path) -> None:
    """--make-current: the live store's snapshots stay as they were; its warehouse is replaced by the
    backfill's (the old one kept aside) and a nightly run publishes from it, catching up to today."""
    live = tmp_path / "store"
    nightly(landing=SAMPLE / "landing", store=live, as_of=DAYS[1])
    old = {p.name: digest(p) for p in (live / "snapshots").iterdir()}
    reference = tmp_path / "reference"  # the backfill's days one by one, then tonight's run
    for day in (*DAYS, None):
        expected = nightly(landing=SAMPLE / "landing", store=reference, as_of=day)["snapshot_id"]

    result = backfill(landing=SAMPLE / "landing", store=live, start=DAYS[0], end=DAYS[-1], make_current=True)
    current = current_snapshot(live).name
    assert current == result["current"] and current not in old
    assert {p.name: digest(p) for p in (live / "snapshots").iterdir() if p.name in old} == old
    kept = Path(result["replaced_warehouse_kept_in"])
    assert kept.parent == live and (kept / "oneperson.duckdb").is_file()
    assert not (live / "warehouse.adopting").exists()
    ours = snapshot_tables(live / "snapshots" / current)
    theirs = snapshot_tables(reference / "snapshots" / expected)
    for table in ("persons", "person_records", "enrollments", "identities"):
        assert ours[table] == theirs[table], table
    assert runlog.read(live)[-1]["snapshot_id"] == current
    assert nightly(landing=SAMPLE / "landing", store=live)["batches"] == []  # nothing left to apply


def test_a_backfill_adoption_cut_between_its_renames_is_finished_by_the_next_run(tmp_path: Path) -> None:
    store = tmp_path / "store"
    nightly(landing=SAMPLE / "landing", store=store, as_of=DAYS[1])
    (store / "warehouse").rename(store / "warehouse.adopting")  # the state a crash there leaves
    again = nightly(landing=SAMPLE / "landing", store=store, as_of=DAYS[1])
    assert (store / "warehouse" / "oneperson.duckdb").is_file()
    assert not (store / "warehouse.adopting").exists()
    assert again["batches"] == []  # the adopted warehouse was used, not an empty new one


def test_a_late_resent_batch_does_not_overwrite_newer_rows(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    shutil.copytree(SAMPLE / "landing", landing)
    con = connect(tmp_path / "w.duckdb")
    ingest_landing(con, landing)
    before = dict(con.execute("SELECT record_key, _batch FROM current_enrollment").fetchall())
    # A clerk re-sends the October extract of province 11 in December under an October date, with an
    # extra column (so it is not a byte-identical re-delivery).
    late = landing / "enrollment" / "20261002"
    late.mkdir()
    rows = pl.read_csv(landing / "enrollment" / "20261001" / "enrollment_11.csv", infer_schema=False)
    rows.with_columns(note=pl.lit("re-sent")).write_csv(late / "enrollment_11.csv")
    outcomes = ingest_landing(con, landing)
    assert [(o.batch, o.status) for o in outcomes] == [("20261002", "applied")]
    after = dict(con.execute("SELECT record_key, _batch FROM current_enrollment").fetchall())
    assert after.keys() == before.keys()
    newer = {k for k, b in before.items() if b > "20261002"}
    assert newer and all(after[k] == before[k] for k in newer)  # later batches' rows stay current
    resent = {k for k, b in after.items() if b == "20261002"}
    assert resent and all(before[k] == "20261001" for k in resent)
    raw = con.execute("SELECT count(*) FROM raw_enrollment WHERE _batch = '20261002'").fetchall()[0][0]
    assert raw == rows.height  # kept as delivered all the same


def test_one_run_per_store(tmp_path: Path) -> None:
    store = tmp_path / "store"
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with run_lock(store, "first-run"):
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(10)
    try:
        with pytest.raises(StoreBusy, match=r"in use by run first-run \(pid \d+"):
            nightly(landing=SAMPLE / "landing", store=store)
        started = time.monotonic()
        with pytest.raises(StoreBusy, match=r"waited 0\.5 s"), run_lock(store, "second", wait_seconds=0.5):
            pass
        assert time.monotonic() - started >= 0.5
    finally:
        release.set()
        holder.join()
    assert not (store / "CURRENT").exists()
    failure = runlog.read(store)[-1]
    assert failure["status"] == "failed" and "in use by run first-run" in failure["reason"]
    with run_lock(store, "third", wait_seconds=1):  # released once the holder is done
        pass


def test_plain_reasons_for_disk_full_and_permissions() -> None:
    import errno

    assert runlog.plain_reason(OSError(errno.ENOSPC, "No space left on device")).startswith("disk full")
    assert runlog.plain_reason(PermissionError(errno.EACCES, "Permission denied")).startswith(
        "permission denied"
    )
    wrapped = RuntimeError("publish failed")
    wrapped.__cause__ = OSError(errno.EROFS, "Read-only file system")
    assert runlog.plain_reason(wrapped).startswith("permission denied")


def test_status_shows_runs_batches_not_yet_due_and_quarantine(one_by_one: tuple[Path, list[str]]) -> None:
    from oneperson.status import store_status

    store, ids = one_by_one
    st = store_status(store, SAMPLE / "landing")
    assert st.current == ids[-1] and [r["snapshot_id"] for r in st.runs] == ids
    assert {(b["batch"], b["status"]) for b in st.batches} == {("20261101", "new"), ("20261101-2", "new")}
    con = duckdb.connect(str(store / "warehouse" / "oneperson.duckdb"), read_only=True)
    quarantined = con.execute("SELECT count(*) FROM quarantine").fetchall()[0][0]
    con.close()
    logged = sum(r["rows_quarantined"] for r in st.runs)
    assert sum(q["rows"] for q in st.quarantine) == quarantined == logged > 0


def _failing_once(exc: OSError, real):
    calls = {"n": 0}

    def write(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise exc
        return real(*args, **kwargs)

    return write, calls


def test_a_transient_io_error_is_retried_and_a_full_disk_is_not(tmp_path: Path, monkeypatch) -> None:
    import errno

    from oneperson import store as store_module

    store = tmp_path / "store"
    write, calls = _failing_once(OSError(errno.EIO, "Input/output error"), store_module._write_table)
    monkeypatch.setattr(store_module, "_write_table", write)
    result = nightly(landing=SAMPLE / "landing", store=store, as_of=DAYS[0])  # retried after 2 s, then fine
    assert calls["n"] > 1 and current_snapshot(store).name == result["snapshot_id"] == "20261001-001"

    before = digest(store / "snapshots")
    write, calls = _failing_once(OSError(errno.ENOSPC, "No space left on device"), store_module._write_table)
    monkeypatch.setattr(store_module, "_write_table", write)
    with pytest.raises(Exception, match="No space left"):
        nightly(landing=SAMPLE / "landing", store=store)
    assert calls["n"] == 1  # no retry: it cannot help
    assert current_snapshot(store).name == "20261001-001" and digest(store / "snapshots") == before
    failure = runlog.read(store)[-1]
    assert failure["status"] == "failed" and failure["reason"].startswith("disk full")
    nightly(landing=SAMPLE / "landing", store=store)  # space freed: the next run completes
    assert current_snapshot(store).name == "20261101-001"


def test_logs_manifests_and_reports_carry_no_id_number_or_name(one_by_one: tuple[Path, list[str]]) -> None:
    store, ids = one_by_one
    con = duckdb.connect()
    identities = read_parquet_sql(
        store / "snapshots" / ids[-1], next(m for m in STORE_TABLES if m.table == "identities")
    )
    secrets = {
        value
        for (number, name) in con.execute(f"SELECT id_number, name FROM {identities}").fetchall()
        for value in (number, name)
        if value and len(value) >= 2
    }
    assert len(secrets) > 1000
    texts = [store / "run_log.jsonl"] + [
        p
        for s in ids
        for p in (store / "snapshots" / s / "manifest.json", store / "snapshots" / s / "report.html")
    ]
    for path in texts:
        text = path.read_text(encoding="utf-8")
        leaked = [v for v in secrets if v in text]
        assert not leaked, f"{path.name}: {leaked[:3]}"


def test_a_run_tells_its_watcher_each_step_in_order(tmp_path: Path) -> None:
    """What the CLI's progress bar is drawn from: every step started and finished, in order."""
    events: list[tuple[str, str]] = []
    with progress.watching(lambda event, name: events.append((event, name))):
        result = nightly(landing=SAMPLE / "landing", store=tmp_path / "store", as_of=DAYS[0])
    assert events == [(event, step) for step in STEPS for event in ("started", "finished")]
    assert tuple(result["seconds"]) == STEPS
    nightly(landing=SAMPLE / "landing", store=tmp_path / "store", as_of=DAYS[0])
    assert len(events) == 2 * len(STEPS)  # the watcher is gone once its block ends
