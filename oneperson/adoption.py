"""Make a backfill the live store's state (`oneperson backfill --make-current`).

A backfill rebuilds history in a workspace of its own (flows/backfill.py). When the rebuilt state
is the one to keep (a department re-sent a month and the old warehouse applied it wrongly), its
warehouse replaces the live one, and the next nightly run publishes from it as the live store's
next snapshot: the live store's published snapshots stay as they were, immutable, and CURRENT
moves only by a normal publish.

The swap is two renames under the live store's run lock: the live warehouse to
`warehouse.before-backfill-<time>` (kept, for the engineer to delete once satisfied), then the
prepared `warehouse.adopting` to `warehouse`. A crash between them leaves `warehouse.adopting`
without a `warehouse`; `complete_adoption` (run first by every nightly run) finishes the move.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from oneperson.runlock import run_lock

ADOPTING = "warehouse.adopting"


def complete_adoption(store: Path) -> bool:
    """Finish a swap interrupted between its renames; True if there was one. Caller holds the lock."""
    live, adopting = Path(store) / "warehouse", Path(store) / ADOPTING
    if adopting.is_dir() and not live.exists():
        adopting.rename(live)
        return True
    return False


def adopt_warehouse(workspace: Path, store: Path, run_id: str, wait_seconds: float = 0.0) -> Path | None:
    """Move the backfill workspace's warehouse into `store` as its live warehouse. Returns where the
    replaced live warehouse was kept (None if the store had none)."""
    workspace, store = Path(workspace), Path(store)
    rebuilt = workspace / "warehouse"
    if not (rebuilt / "oneperson.duckdb").is_file():
        raise FileNotFoundError(f"{rebuilt} holds no warehouse: run the backfill first")
    with run_lock(store, run_id, wait_seconds):
        complete_adoption(store)
        # Its snapshots were published to the workspace, not to this store: nothing for the
        # live store's next run to complete (oneperson.nightly.finish_interrupted_publish).
        con = duckdb.connect(str(rebuilt / "oneperson.duckdb"))
        try:
            con.execute("UPDATE publications SET make_current = false")
        finally:
            con.close()
        adopting = store / ADOPTING
        shutil.rmtree(adopting, ignore_errors=True)  # a swap that failed before its first rename
        rebuilt.rename(adopting)
        live = store / "warehouse"
        kept = None
        if live.exists():
            kept = store / f"warehouse.before-backfill-{datetime.now(UTC):%Y%m%dT%H%M%S}"
            live.rename(kept)
        adopting.rename(live)
    return kept
