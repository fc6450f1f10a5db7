"""The ingest flow: landing zone -> raw, current and standardised layers -> identity profiles."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

from oneperson.prefect_env import configure

configure()

from prefect import flow, task  # noqa: E402
from prefect.artifacts import create_table_artifact  # noqa: E402

from oneperson import ingest as steps  # noqa: E402
from oneperson.retrying import BACKOFF_SECONDS, retry_transient_io  # noqa: E402
from oneperson.standardise import build_profiles, standardise  # noqa: E402
from oneperson.summary import source_summary  # noqa: E402
from oneperson.warehouse import connect  # noqa: E402


@task(
    name="apply new batches",
    retries=len(BACKOFF_SECONDS),
    retry_delay_seconds=BACKOFF_SECONDS,
    retry_condition_fn=retry_transient_io,
)
def apply_new_batches(landing: Path, warehouse: Path, run_id: str, as_of: date | None = None) -> list[dict]:
    """Each source's new batches in order (those extracted by `as_of`, if given); a held-back or
    failed batch stops only its own source."""
    con = connect(warehouse)
    try:
        outcomes = steps.apply_pending(con, landing, run_id, as_of)
    finally:
        con.close()
    return [vars(o) for o in outcomes]


@task(name="standardise changed records")
def standardise_changed(warehouse: Path) -> int:
    con = connect(warehouse)
    try:
        return standardise(con)
    finally:
        con.close()


@task(name="build identity profiles")
def identity_profiles(warehouse: Path) -> int:
    con = connect(warehouse)
    try:
        return build_profiles(con)
    finally:
        con.close()


@task(name="summarise")
def summarise(warehouse: Path, run_id: str) -> list[dict]:
    con = connect(warehouse)
    try:
        rows = source_summary(con, run_id)
    finally:
        con.close()
    create_table_artifact(key="ingest-summary", table=rows, description="Rows per source in this ingest run")
    return rows


@flow(name="ingest")
def ingest(landing: Path, warehouse: Path) -> dict:
    """Apply what is new in the landing zone, standardise it, and rebuild the identity profiles."""
    run_id = uuid.uuid4().hex
    batches = apply_new_batches(landing, warehouse, run_id)
    standardised = standardise_changed(warehouse)
    profiles = identity_profiles(warehouse)
    return {
        "run_id": run_id,
        "batches": batches,
        "standardised": standardised,
        "profiles": profiles,
        "sources": summarise(warehouse, run_id),
    }
