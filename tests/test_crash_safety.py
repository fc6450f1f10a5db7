"""Kill the whole run (`oneperson run`, SIGKILL) at every named point: the store must stay as it
was, and the next run must publish exactly what an uninterrupted run publishes. Two runs on the
same inputs give identical tables, person and finding ids included.

Each run is a real `oneperson run` process talking to one shared Prefect test server. A night is
simulated by a landing zone that first holds the batches up to 2026-10-15, then all of them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from prefect.settings import PREFECT_API_URL
from prefect.testing.utilities import prefect_test_harness
from snapshots import file_digest as digest
from snapshots import snapshot_tables as tables
from warehouses import SAMPLE

from oneperson.failpoints import ENV, POINTS
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


def run(store: Path, landing: Path, api: str, kill_at: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PREFECT_API_URL": api, "ONEPERSON_PSEUDONYM_KEY": "crash-test-key"}
    env.pop(ENV, None)
    if kill_at:
        env[ENV] = kill_at
    return subprocess.run(
        [str(ONEPERSON), "run", "--landing", str(landing), "--store", str(store)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
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
