"""The ingest flow end to end under a real (temporary) Prefect server."""

from pathlib import Path

import pytest
from prefect.testing.utilities import prefect_test_harness
from warehouses import SAMPLE

from flows.ingest import ingest


@pytest.fixture(scope="module", autouse=True)
def prefect_server():
    with prefect_test_harness(server_startup_timeout=120):
        yield


def test_ingest_flow_applies_the_sample_then_nothing(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    first = ingest(landing=SAMPLE / "landing", warehouse=warehouse)
    by_source = {r["source"]: r for r in first["sources"]}
    assert set(by_source) == {"enrollment", "tax", "public_security", "education", "civil_affairs"}
    assert sum(r["rows_quarantined"] for r in first["sources"]) == 40
    assert all(r["rows_read"] == r["rows_applied"] + r["rows_quarantined"] for r in first["sources"])
    assert by_source["tax"]["files_skipped_as_duplicate"] == 1
    assert first["standardised"] == sum(r["current_records"] for r in first["sources"])
    assert first["profiles"] > 0

    second = ingest(landing=SAMPLE / "landing", warehouse=warehouse)
    assert second["standardised"] == 0
    assert all(r["rows_read"] == 0 and r["batches_applied"] == 0 for r in second["sources"])
    assert second["profiles"] == first["profiles"]
