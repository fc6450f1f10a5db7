"""Building warehouses for tests: the ingest flow's steps without Prefect (the flow has its own test)."""

import uuid
from pathlib import Path

import duckdb

from oneperson.ingest import BatchOutcome, apply_pending
from oneperson.standardise import build_profiles, standardise

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def ingest_landing(con: duckdb.DuckDBPyConnection, landing: Path = SAMPLE / "landing") -> list[BatchOutcome]:
    """Apply the landing zone's new batches, standardise them and rebuild the identity profiles."""
    outcomes = apply_pending(con, landing, uuid.uuid4().hex)
    standardise(con)
    build_profiles(con)
    return outcomes
