"""Backfill: the snapshots as they would have been published on each day of a date range.

A backfill replays history in a workspace of its own, `<store>/backfills/<from>-<to>/` (a complete
store: warehouse, snapshots, CURRENT), starting from an empty warehouse: for each day in order, the
nightly flow applies the batches extracted by that day and publishes its snapshot. The live
store's CURRENT, snapshots and warehouse are not touched. Re-running the same range on the same
landing zone rebuilds the workspace from scratch and reproduces the same snapshots, ids included;
the old workspace is replaced only once the new one is complete. `make_current` then makes the
rebuilt state the live one (oneperson/adoption.py).
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

from oneperson.prefect_env import configure

configure()

from prefect import flow, task  # noqa: E402

from flows.nightly import nightly  # noqa: E402
from oneperson import progress  # noqa: E402
from oneperson.adoption import adopt_warehouse  # noqa: E402
from oneperson.runlock import run_lock  # noqa: E402


def workspace_of(store: Path, start: date, end: date) -> Path:
    return Path(store) / "backfills" / f"{start:%Y%m%d}-{end:%Y%m%d}"


def days(start: date, end: date) -> list[date]:
    if end < start:
        raise ValueError(f"backfill range ends ({end}) before it starts ({start})")
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


@task(name="make the backfill current")
def adopt(workspace: Path, store: Path) -> str | None:
    kept = adopt_warehouse(workspace, store, f"backfill-{workspace.name}")
    return str(kept) if kept else None


@flow(name="backfill")
def backfill(
    landing: Path,
    store: Path,
    start: date,
    end: date,
    retention: int | None = None,
    make_current: bool = False,
) -> dict:
    """One nightly run per day from `start` to `end`, each as of its day, into a fresh workspace.
    With `make_current`, the rebuilt warehouse then becomes the store's, and a nightly run on the
    store publishes from it (applying any batches after `end`) as the store's next snapshot."""
    dates = days(start, end)
    final = workspace_of(store, start, end)
    building = final.with_name(final.name + ".building")
    with run_lock(final.parent, f"backfill-{final.name}"):  # one backfill of the range at a time
        shutil.rmtree(building, ignore_errors=True)  # a crashed earlier attempt
        runs = []
        for day in dates:
            progress.day(str(day))
            keep = retention or len(dates)
            runs.append(nightly(landing=landing, store=building, as_of=day, retention=keep))
        shutil.rmtree(final, ignore_errors=True)
        building.rename(final)
        result = {
            "workspace": str(final),
            "snapshots": [
                {"as_of": day, "snapshot_id": r["snapshot_id"], "findings": r["findings"]}
                for day, r in zip(dates, runs, strict=True)
            ],
        }
        if make_current:
            result["replaced_warehouse_kept_in"] = adopt(final, store)
            progress.day("the live store")
            result["current"] = nightly(landing=landing, store=store)["snapshot_id"]
    return result
