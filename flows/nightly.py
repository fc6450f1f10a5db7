"""The nightly run: landing zone -> warehouse -> persons -> findings -> a published snapshot."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from datetime import date
from pathlib import Path

from oneperson.prefect_env import configure

configure()

from prefect import flow, get_run_logger, task  # noqa: E402
from prefect.artifacts import (  # noqa: E402
    create_link_artifact,
    create_markdown_artifact,
    create_table_artifact,
)
from prefect.runtime import flow_run  # noqa: E402

from flows.ingest import apply_new_batches, identity_profiles, standardise_changed, summarise  # noqa: E402
from oneperson import progress, runlog  # noqa: E402
from oneperson.adoption import complete_adoption  # noqa: E402
from oneperson.nightly import (  # noqa: E402
    find_persons,
    finish_interrupted_publish,
    next_snapshot_id,
    publish_snapshot,
    warehouse_of,
)
from oneperson.retrying import BACKOFF_SECONDS, retry_transient_io  # noqa: E402
from oneperson.runlock import run_lock  # noqa: E402
from oneperson.warehouse import held_open, small_change  # noqa: E402

# The run's steps, in order: the keys of its timings, and the ticks of the CLI's progress bar.
STEPS = (
    "finish interrupted publish",
    "apply new batches",
    "standardise",
    "identity profiles",
    "link persons",
    "publish",
)


@task(name="finish an interrupted publish")
def finish_publish(store: Path, warehouse: Path | None) -> str | None:
    """Complete what a killed run or backfill adoption left half-done (both are safe to finish)."""
    complete_adoption(store)
    return finish_interrupted_publish(warehouse or warehouse_of(store), store)


@task(name="link persons")
def link_persons(warehouse: Path, run_id: str) -> dict:
    return find_persons(warehouse, run_id)


# A publish that fails is rolled back whole (CURRENT unchanged), so trying it again is safe.
@task(
    name="publish snapshot",
    retries=len(BACKOFF_SECONDS),
    retry_delay_seconds=BACKOFF_SECONDS,
    retry_condition_fn=retry_transient_io,
)
def publish(
    warehouse: Path, store: Path, snapshot_id: str, run_id: str, retention: int, run: dict | None = None
) -> dict:
    return publish_snapshot(warehouse, store, snapshot_id, run_id, retention, run)


def report_artifacts(snapshot_id: str, published: dict) -> None:
    """The run report's figures on the flow run's page in the Prefect UI, and a link to the page."""
    h = published["headline"]
    lines = [
        f"# Snapshot {snapshot_id}",
        "",
        f"{h['persons']:,} persons from {h['records']:,} source records; {h['findings']:,} findings "
        f"({h['findings_new']:,} new, {h['findings_resolved']:,} resolved); "
        f"{h['rows_quarantined_this_run']:,} rows quarantined this run.",
        "",
        "| finding type | findings | new | resolved |",
        "|---|---:|---:|---:|",
        *(
            f"| {r['finding_type']} | {r['findings']:,} | {r['new']:,} | {r['resolved']:,} |"
            for r in published["findings_by_type"]
        ),
    ]
    create_markdown_artifact(key="nightly-summary", markdown="\n".join(lines), description="Run summary")
    create_table_artifact(
        key="nightly-findings", table=published["findings_by_type"], description=f"Findings in {snapshot_id}"
    )
    create_table_artifact(
        key="nightly-load-log", table=published["load_by_source"], description="Load log by source"
    )
    if published["quarantine_by_reason"]:
        create_table_artifact(
            key="nightly-quarantine",
            table=published["quarantine_by_reason"],
            description="Quarantined rows by source and reason",
        )
    create_link_artifact(
        key="nightly-report",
        link=Path(published["report"]).resolve().as_uri(),
        link_text=f"run report {snapshot_id} (offline HTML)",
        description="The snapshot's run report",
    )


def record_failure(flow, failed_run, state) -> None:
    """Prefect's failure hook: the run's failure, in plain words, into the store's run log."""
    params = failed_run.parameters
    exc = state.result(raise_on_failure=False)
    record = {
        "run_id": failed_run.id.hex,
        "flow": flow.name,
        "as_of": params.get("as_of"),
        "status": "failed",
        "reason": runlog.plain_reason(exc) if isinstance(exc, BaseException) else str(state.message),
    }
    try:
        runlog.append(Path(params["store"]), record)
    except OSError as problem:  # a read-only or full store: the CLI and the Prefect run say it
        get_run_logger().warning("could not write the failure to the run log: %s", problem)


@flow(name="nightly", on_failure=[record_failure])
def nightly(
    landing: Path,
    store: Path,
    warehouse: Path | None = None,
    retention: int = 7,
    as_of: date | None = None,
    wait_seconds: float = 0.0,
) -> dict:
    """Apply new batches (extracted by `as_of`, if given), link persons, compute findings, publish a
    snapshot and swap CURRENT; one run per store at a time."""
    run_id = (flow_run.id or uuid.uuid4().hex).replace("-", "")
    timings: dict[str, float] = {}

    def timed(name: str, step, *args):
        progress.started(name)
        started = time.perf_counter()
        try:
            result = step(*args)
        finally:
            timings[name] = round(time.perf_counter() - started, 3)
        progress.finished(name)
        return result

    with run_lock(store, run_id, wait_seconds):
        timed("finish interrupted publish", finish_publish, store, warehouse)
        warehouse = warehouse or warehouse_of(store)
        batches = timed("apply new batches", apply_new_batches, landing, warehouse, run_id, as_of)
        with held_open(warehouse, hold=small_change):  # a small night's steps share what they read
            timed("standardise", standardise_changed, warehouse)
            timed("identity profiles", identity_profiles, warehouse)
            persons = timed("link persons", link_persons, warehouse, run_id)
            snapshot_id = next_snapshot_id(warehouse, store)
            sources = summarise(warehouse, run_id)
            counts = {
                "batches": dict(Counter(b["status"] for b in batches)),
                "rows_read": sum(r["rows_read"] for r in sources),
                "rows_quarantined": sum(r["rows_quarantined"] for r in sources),
                "persons": persons["persons"],
            }
            # The manifest's record of this run (the publish's own seconds are in the run log).
            run = {"as_of": str(as_of) if as_of else None, "seconds": dict(timings), **counts}
            published = timed("publish", publish, warehouse, store, snapshot_id, run_id, retention, run)
        report_artifacts(snapshot_id, published)
        create_table_artifact(
            key="nightly-steps",
            table=[{"step": k, "seconds": v} for k, v in timings.items()],
            description="Seconds per step of this run",
        )
        runlog.append(
            store,
            {
                "run_id": run_id,
                "flow": "nightly",
                "as_of": as_of,
                "status": "completed",
                "snapshot_id": snapshot_id,
                **counts,
                "findings": published["findings"],
                "seconds": timings,
            },
        )
    return {
        "run_id": run_id,
        "snapshot_id": snapshot_id,
        "batches": batches,
        "sources": sources,
        "persons": persons,
        "seconds": timings,
        **published,
    }
