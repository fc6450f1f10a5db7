"""Backfill: the snapshots as they would have been published on each day of a date range.

A backfill replays history in a workspace of its own, `<store>/backfills/<from>-<to>/` (a complete
store: warehouse, snapshots, CURRENT), starting from an empty warehouse: for each day in order, the
nightly flow applies the batches extracted by that day and publishes its snapshot. The live
store's CURRENT, snapshots and warehouse are not touched. Re-running the same range on the same
landing zone rebuilds the workspace from scratch and reproduces the same snapshots, ids included;
the old workspace is replaced only once the new one is complete.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

from oneperson.prefect_env import configure

configure()

from prefect import flow  # noqa: E402

from flows.nightly import nightly  # noqa: E402
from oneperson.runlock import run_lock  # noqa: E402


def workspace_of(store: Path, start: date, end: date) -> Path:
    return Path(store) / "backfills" / f"{start:%Y%m%d}-{end:%Y%m%d}"


def days(start: date, end: date) -> list[date]:
    if end < start:
        raise ValueError(f"backfill range ends ({end}) before it starts ({start})")
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


@flow(name="backfill")
def backfill(landing: Path, store: Path, start: date, end: date, retention: int | None = None) -> dict:
    """One nightly run per day from `start` to `end`, each as of its day, into a fresh workspace."""
    dates = days(start, end)
    final = workspace_of(store, start, end)
    building = final.with_name(final.name + ".building")
    with run_lock(final.parent, f"backfill-{final.name}"):  # one backfill of the range at a time
        shutil.rmtree(building, ignore_errors=True)  # a crashed earlier attempt
        runs = [
            nightly(landing=landing, store=building, as_of=day, retention=retention or len(dates))
            for day in dates
        ]
        shutil.rmtree(final, ignore_errors=True)
        building.rename(final)
    return {
        "workspace": str(final),
        "snapshots": [
            {"as_of": day, "snapshot_id": r["snapshot_id"], "findings": r["findings"]}
            for day, r in zip(dates, runs, strict=True)
        ],
    }
