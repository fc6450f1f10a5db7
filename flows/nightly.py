"""The nightly run: landing zone -> warehouse -> persons -> findings -> a published snapshot."""

from __future__ import annotations

import uuid
from pathlib import Path

from oneperson.prefect_env import configure

configure()

from prefect import flow, task  # noqa: E402
from prefect.artifacts import create_table_artifact  # noqa: E402

from flows.ingest import apply_new_batches, identity_profiles, standardise_changed, summarise  # noqa: E402
from oneperson.nightly import (  # noqa: E402
    find_persons,
    next_snapshot_id,
    publish_snapshot,
    warehouse_of,
)


@task(name="link persons")
def link_persons(warehouse: Path, run_id: str) -> dict:
    return find_persons(warehouse, run_id)


@task(name="publish snapshot")
def publish(warehouse: Path, store: Path, snapshot_id: str, run_id: str, retention: int) -> dict:
    return publish_snapshot(warehouse, store, snapshot_id, run_id, retention)


@flow(name="nightly")
def nightly(landing: Path, store: Path, warehouse: Path | None = None, retention: int = 7) -> dict:
    """Apply new batches, link persons, compute findings, publish a snapshot and swap CURRENT."""
    run_id = uuid.uuid4().hex
    warehouse = warehouse or warehouse_of(store)
    batches = apply_new_batches(landing, warehouse, run_id)
    standardise_changed(warehouse)
    identity_profiles(warehouse)
    persons = link_persons(warehouse, run_id)
    snapshot_id = next_snapshot_id(warehouse, store)
    published = publish(warehouse, store, snapshot_id, run_id, retention)
    sources = summarise(warehouse, run_id)
    create_table_artifact(
        key="nightly-findings",
        table=published["findings_by_type"],
        description=f"Findings in snapshot {snapshot_id}",
    )
    return {
        "run_id": run_id,
        "snapshot_id": snapshot_id,
        "batches": batches,
        "sources": sources,
        "persons": persons,
        **published,
    }
