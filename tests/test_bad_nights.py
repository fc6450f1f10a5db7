"""Bad nights, each run as a real `oneperson run` process: killed (SIGKILL) at every named point,
two runs at once, a truncated batch, an unreadable file, a read-only store. Each must leave the
published store intact, say plainly what happened, and let the next run complete. Two runs on the
same inputs give identical tables, person and finding ids included.

All runs talk to one shared Prefect test server. A night is simulated by a landing zone that first
holds the batches up to 2026-10-15, then all of them.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from prefect.settings import PREFECT_API_URL
from prefect.testing.utilities import prefect_test_harness
from snapshots import file_digest as digest
from snapshots import snapshot_tables as tables
from warehouses import SAMPLE

from oneperson import runlog
from oneperson.failpoints import ENV, HOLD_ENV, HOLD_FILE_ENV, POINTS
from oneperson.store import current_snapshot

ONEPERSON = Path(sys.executable).parent / "oneperson"
BEFORE, AFTER = "20261015-001", "20261101-001"  # CURRENT before the night, the night's snapshot


@pytest.fixture(scope="module")
def prefect_api() -> str:
    with prefect_test_harness(server_startup_timeout=120):
        yield PREFECT_API_URL.value()


@pytest.fixture(scope="module")
def landings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("landing")
    early = root / "early"
    shutil.copytree(
        SAMPLE / "landing", early, ignore=lambda folder, names: [n for n in names if n.startswith("20261101")]
    )
    return {"early": early, "all": SAMPLE / "landing"}


def command(store: Path, landing: Path, *options: str) -> list[str]:
    return [str(ONEPERSON), "run", "--landing", str(landing), "--store", str(store), *options]


def environment(api: str, **extra: str) -> dict[str, str]:
    env = {**os.environ, "PREFECT_API_URL": api, "ONEPERSON_PSEUDONYM_KEY": "crash-test-key"}
    for name in (ENV, HOLD_ENV, HOLD_FILE_ENV):
        env.pop(name, None)
    return {**env, **extra}


def run(
    store: Path, landing: Path, api: str, kill_at: str | None = None, prefix: tuple[str, ...] = ()
) -> subprocess.CompletedProcess:
    env = environment(api, **({ENV: kill_at} if kill_at else {}))
    return subprocess.run(
        [*prefix, *command(store, landing)], env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def before_the_night(tmp_path_factory: pytest.TempPathFactory, landings: dict, prefect_api: str) -> Path:
    """A store whose CURRENT is the early snapshot: the state every scenario starts from."""
    store = tmp_path_factory.mktemp("base") / "store"
    done = run(store, landings["early"], prefect_api)
    assert done.returncode == 0, done.stderr[-3000:]
    assert current_snapshot(store).name == BEFORE
    return store


@pytest.fixture(scope="module")
def uninterrupted(
    tmp_path_factory: pytest.TempPathFactory, before_the_night: Path, landings, prefect_api
) -> dict:
    """The night's snapshot as an uninterrupted run publishes it."""
    store = tmp_path_factory.mktemp("reference") / "store"
    shutil.copytree(before_the_night, store)
    done = run(store, landings["all"], prefect_api)
    assert done.returncode == 0, done.stderr[-3000:]
    assert current_snapshot(store).name == AFTER
    return tables(store / "snapshots" / AFTER)


def test_two_runs_on_the_same_inputs_give_identical_tables(
    tmp_path: Path, landings: dict, prefect_api: str, uninterrupted: dict
) -> None:
    store = tmp_path / "store"  # from nothing, the same two nights
    for landing in ("early", "all"):
        assert run(store, landings[landing], prefect_api).returncode == 0
    again = tables(store / "snapshots" / AFTER)
    assert again == uninterrupted
    assert again["persons"] and again["findings"] and again["finding_history"]


@pytest.mark.parametrize("point", POINTS)
def test_killed_anywhere_the_store_is_intact_and_the_next_run_completes(
    point: str, tmp_path: Path, before_the_night: Path, landings: dict, prefect_api: str, uninterrupted: dict
) -> None:
    store = tmp_path / "store"
    shutil.copytree(before_the_night, store)
    earlier = digest(store / "snapshots" / BEFORE)

    killed = run(store, landings["all"], prefect_api, kill_at=point)
    assert killed.returncode == -9, f"{point} was never reached:\n{killed.stderr[-3000:]}"
    # The published snapshot is untouched; CURRENT still names it, unless the kill came after
    # CURRENT was replaced, when it names the complete new snapshot.
    assert digest(store / "snapshots" / BEFORE) == earlier
    published = current_snapshot(store).name
    if point == "publish:current-replaced":
        assert published == AFTER and tables(store / "snapshots" / AFTER) == uninterrupted
    else:
        assert published == BEFORE

    again = run(store, landings["all"], prefect_api)
    assert again.returncode == 0, again.stderr[-3000:]
    # The night's snapshot is exactly the uninterrupted one: after a kill before the warehouse
    # committed it, the new run publishes it; after, the new run completes it (then adds its own).
    assert tables(store / "snapshots" / AFTER) == uninterrupted
    assert current_snapshot(store).name in (AFTER, "20261101-002")
    assert not [p.name for p in (store / "snapshots").iterdir() if ".tmp-" in p.name]


def wait_for(condition, process: subprocess.Popen, what: str, seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert process.poll() is None, f"the run ended before {what}: rc {process.returncode}"
        assert time.monotonic() < deadline, f"no {what} within {seconds} s"
        time.sleep(0.1)


def test_two_runs_at_once_never_share_the_store(
    tmp_path: Path, before_the_night: Path, landings: dict, prefect_api: str, uninterrupted: dict
) -> None:
    """While a run holds the store, a second run exits at once naming it (exit 75), and a third
    with --wait waits for it and then runs; the night's snapshot is exactly the uninterrupted one."""
    store = tmp_path / "store"
    shutil.copytree(before_the_night, store)
    hold = tmp_path / "hold"
    first = subprocess.Popen(
        command(store, landings["all"]),
        env=environment(prefect_api, **{HOLD_ENV: "link:scored", HOLD_FILE_ENV: str(hold)}),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    patient_log = tmp_path / "patient.stderr"
    patient = None
    try:
        wait_for(hold.exists, first, "hold at link:scored")
        second = subprocess.run(
            command(store, landings["all"]), env=environment(prefect_api), capture_output=True, text=True
        )
        assert second.returncode == 75, second.stdout + second.stderr[-2000:]
        said = " ".join(second.stdout.split())
        assert "is in use by run" in said and f"(pid {first.pid}," in said and "--wait" in said
        with patient_log.open("w") as err:
            patient = subprocess.Popen(
                command(store, landings["all"], "--wait", "300"),
                env=environment(prefect_api),
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
            )
        wait_for(lambda: "waiting up to 300 s" in patient_log.read_text(), patient, "wait for the lock")
        assert current_snapshot(store).name == BEFORE  # nothing published while both are inside
    finally:
        hold.unlink(missing_ok=True)
        out, err = first.communicate(timeout=300)
        patient_out, _ = patient.communicate(timeout=300) if patient else ("", "")
    assert first.returncode == 0, err[-3000:]
    assert f"CURRENT = {AFTER}" in out
    assert patient.returncode == 0, patient_log.read_text()[-3000:]
    assert "CURRENT = 20261101-002" in patient_out  # it ran after the first, on its result
    assert tables(store / "snapshots" / AFTER) == uninterrupted
    log = runlog.read(store)
    assert [r["status"] for r in log[-3:]] == ["failed", "completed", "completed"]
    assert "in use by run" in log[-3]["reason"]


def landing_with_batch(
    tmp_path: Path, source: str, batch: str, files: dict[str, bytes], rows: int | None = None
):
    """The sample's landing zone plus one more batch of `source` (with a manifest, if `rows`)."""
    landing = tmp_path / "landing"
    if not landing.exists():
        shutil.copytree(SAMPLE / "landing", landing)
    folder = landing / source / batch
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name, content in files.items():
        (folder / name).write_bytes(content)
    if rows is not None:
        manifest = {"files": [{"name": name, "rows": rows} for name in files]}
        (folder / "manifest.json").write_text(json.dumps(manifest))
    return landing


def batch_status(store: Path, source: str, batch: str) -> list[tuple]:
    con = duckdb.connect(str(store / "warehouse" / "oneperson.duckdb"), read_only=True)
    try:
        return con.execute(
            "SELECT status FROM batch_log WHERE source = ? AND batch = ? ORDER BY logged_at", [source, batch]
        ).fetchall()
    finally:
        con.close()


def fifty_rows(path: str) -> bytes:
    """The header and first 50 rows of a sample file, as plain CSV."""
    data = (SAMPLE / "landing" / path).read_bytes()
    text = (gzip.decompress(data) if path.endswith(".gz") else data).decode()
    return ("\n".join(text.splitlines()[:51]) + "\n").encode()


TAX_FIFTY = fifty_rows("tax/20261101/tax_20261101.csv.gz")


@pytest.mark.parametrize(
    ("case", "source", "name", "bad", "good", "says"),
    [
        (
            "truncated batch",
            "tax",
            "tax_20261102.csv",
            TAX_FIFTY[: len(TAX_FIFTY) // 2],  # the transfer stopped half-way
            TAX_FIFTY,
            ("tax/20261102 held back:", "tax_20261102.csv: manifest says 50 rows, file has 24"),
        ),
        (
            "unreadable file",
            "education",
            "students.csv.gz",
            b"\x1f\x8b not really gzip",
            gzip.compress(fifty_rows("education/20261101/education_20261101.csv")),
            ("education/20261102 failed:", "students.csv.gz: not a readable gzip file"),
        ),
    ],
)
def test_a_bad_batch_is_held_back_plainly_and_the_rest_of_the_night_published(
    case: str,
    source: str,
    name: str,
    bad: bytes,
    good: bytes,
    says: tuple[str, str],
    tmp_path: Path,
    before_the_night: Path,
    prefect_api: str,
    uninterrupted: dict,
) -> None:
    store = tmp_path / "store"
    shutil.copytree(before_the_night, store)
    earlier = digest(store / "snapshots" / BEFORE)
    landing = landing_with_batch(tmp_path, source, "20261102", {name: bad}, rows=50)

    night = run(store, landing, prefect_api)
    assert night.returncode == 0, night.stderr[-3000:]
    said = " ".join(night.stdout.split())
    assert all(words in said for words in says), night.stdout
    assert batch_status(store, source, "20261102")[-1][0] in ("held_back", "failed")
    assert digest(store / "snapshots" / BEFORE) == earlier
    # Everything else of the night is published, exactly as on a night without the bad batch.
    assert current_snapshot(store).name == AFTER
    assert tables(store / "snapshots" / AFTER) == uninterrupted
    status = subprocess.run(
        [str(ONEPERSON), "status", "--store", str(store)],
        capture_output=True,
        text=True,
        env=environment(prefect_api),
    )
    assert any(source in line and "20261102" in line for line in status.stdout.splitlines()), status.stdout

    landing_with_batch(tmp_path, source, "20261102", {name: good}, rows=50)  # the department re-sends it
    again = run(store, landing, prefect_api)
    assert again.returncode == 0, again.stderr[-3000:]
    assert batch_status(store, source, "20261102")[-1] == ("applied",)
    assert current_snapshot(store).name != AFTER
    assert digest(store / "snapshots" / BEFORE) == earlier


def test_a_read_only_store_fails_plainly_and_stays_intact(
    tmp_path: Path, before_the_night: Path, landings: dict, prefect_api: str
) -> None:
    """The store on a read-only file system (as root, chmod stops nothing: a read-only bind mount in
    a private mount namespace; otherwise the store's folders made read-only)."""
    store = tmp_path / "store"
    shutil.copytree(before_the_night, store)
    before, current = digest(store), (store / "CURRENT").read_text()
    folders = [store, *(p for p in store.rglob("*") if p.is_dir())]
    prefix: tuple[str, ...] = ()
    if os.geteuid() == 0:
        if not shutil.which("unshare"):
            pytest.skip("root without unshare: no way to make the store read-only")
        script = (
            f'mount --bind "{store}" "{store}" && mount -o remount,ro,bind "{store}" "{store}" && exec "$@"'
        )
        prefix = ("unshare", "-m", "sh", "-c", script, "sh")
    else:
        for folder in folders:
            folder.chmod(0o500)
    try:
        result = run(store, landings["all"], prefect_api, prefix=prefix)
    finally:
        for folder in folders:
            folder.chmod(0o700)
    if result.returncode != 0 and "mount" in result.stderr and "failed" in result.stderr.lower():
        pytest.skip(f"no private mount namespace here: {result.stderr.strip()}")
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 1, output[-2000:]
    plain = result.stdout.strip().splitlines()  # the CLI's own lines (Prefect logs go to stderr)
    assert any("failed: permission denied" in line for line in plain), result.stdout
    assert "Read-only file system" in output or "Permission denied" in output
    assert "unchanged" in result.stdout and "Traceback" not in output
    assert digest(store) == before and (store / "CURRENT").read_text() == current
    again = run(store, landings["all"], prefect_api)  # writable again: the night completes
    assert again.returncode == 0, again.stderr[-3000:]
    assert current_snapshot(store).name == AFTER
