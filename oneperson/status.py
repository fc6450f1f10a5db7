"""`oneperson status`: what a data engineer checks in the morning — the last runs, batches waiting
in the landing zone or held back, and what was quarantined — from the store alone (no Prefect server)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from oneperson import runlog
from oneperson.landing import discover
from oneperson.nightly import warehouse_of
from oneperson.runlock import holder
from oneperson.store import current_snapshot


@dataclass
class StoreStatus:
    current: str | None
    runs: list[dict]
    running: dict | None = None  # the run holding the store, if one is
    batches: list[dict] = field(default_factory=list)  # not applied: new, held_back, failed, waiting
    quarantine: list[dict] = field(default_factory=list)  # per source and batch
    warehouse_note: str | None = None


def store_status(store: Path, landing: Path | None = None, last_runs: int = 10) -> StoreStatus:
    snapshot = current_snapshot(store)
    status = StoreStatus(current=snapshot.name if snapshot else None, runs=runlog.read(store, last_runs))
    warehouse = warehouse_of(store, create=False)
    if not warehouse.exists():
        status.warehouse_note = "no warehouse yet: nothing has run on this store"
        return status
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.IOException:  # a run has the warehouse open for writing
        status.running = holder(store) or {}
        status.warehouse_note = "a run is using the warehouse; batch and quarantine figures after it ends"
        return status
    try:
        latest = {
            (s, b): (st, m)
            for s, b, st, m in con.execute("""SELECT source, batch, arg_max(status, logged_at),
                arg_max(message, logged_at) FROM batch_log GROUP BY ALL""").fetchall()
        }
        status.quarantine = [
            {"source": s, "batch": b, "rows": n}
            for s, b, n in con.execute(
                "SELECT source, batch, count(*) FROM quarantine GROUP BY ALL ORDER BY ALL"
            ).fetchall()
        ]
    finally:
        con.close()
    candidates = (
        [(b.source, b.name) for batches in discover(landing).values() for b in batches]
        if landing is not None and landing.is_dir()
        else list(latest)
    )
    for source, batch in sorted(candidates):
        state, message = latest.get((source, batch), ("new", "not seen by a run yet"))
        if state != "applied":
            status.batches.append(
                {"source": source, "batch": batch, "status": state, "message": message or ""}
            )
    return status
