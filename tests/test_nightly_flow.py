"""The nightly flow end to end on the sample, under a temporary Prefect server."""

import json
import re
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from prefect.testing.utilities import prefect_test_harness
from warehouses import SAMPLE

from flows.nightly import nightly
from oneperson.store import current_snapshot, read_parquet_sql
from oneperson.warehouse import KEY_COLUMNS
from schemas.store import STORE_TABLES


@pytest.fixture(scope="module", autouse=True)
def prefect_server():
    with prefect_test_harness(server_startup_timeout=120):
        yield


def test_nightly_publishes_a_snapshot_then_an_unchanged_one(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ONEPERSON_PSEUDONYM_KEY", "test-key")
    store = tmp_path / "store"
    first = nightly(landing=SAMPLE / "landing", store=store)
    snapshot = current_snapshot(store)
    assert snapshot is not None and snapshot.name == first["snapshot_id"] == "20261101-001"
    manifest = json.loads((snapshot / "manifest.json").read_text())
    assert manifest["model_version"] and set(manifest["input_batches"]) == {
        "enrollment",
        "tax",
        "public_security",
        "education",
        "civil_affairs",
    }
    con = duckdb.connect()
    counts = {
        m.table: con.execute(f"SELECT count(*) FROM {read_parquet_sql(snapshot, m)}").fetchall()[0][0]
        for m in STORE_TABLES
    }
    assert counts["persons"] == first["persons"]["persons"] and counts["quarantine"] == 40
    assert counts["findings"] == sum(r["findings"] for r in first["findings_by_type"])
    # The analytics zone is pseudonymous: no ID number of the sample anywhere in it.
    identities = read_parquet_sql(snapshot, next(m for m in STORE_TABLES if m.table == "identities"))
    ids = {
        i
        for (i,) in con.execute(
            f"SELECT DISTINCT id_number FROM {identities} WHERE id_number IS NOT NULL"
        ).fetchall()
    }
    analytics = b"".join(p.read_bytes() for p in (snapshot / "analytics").rglob("*.parquet"))
    assert ids and not any(i.encode() in analytics for i in ids)
    assert (snapshot / "restricted").stat().st_mode & 0o077 == 0
    assert_keys_uncompressed(store / "warehouse" / "oneperson.duckdb")
    assert_sorted_where_the_manifest_says(snapshot)

    second = nightly(landing=SAMPLE / "landing", store=store)  # nothing new: same persons, same findings
    assert second["snapshot_id"] == "20261101-002" and current_snapshot(store).name == "20261101-002"
    assert second["persons"]["ids_kept"] == first["persons"]["persons"] and second["persons"]["ids_new"] == 0
    table = "findings"
    model = next(m for m in STORE_TABLES if m.table == table)
    rows = [
        con.execute(
            f"SELECT * EXCLUDE (first_seen_snapshot) FROM {read_parquet_sql(s, model)} ORDER BY ALL"
        ).fetchall()
        for s in (snapshot, current_snapshot(store))
    ]
    assert rows[0] == rows[1]
    assert re.fullmatch(r"P[0-9a-f]{20}", rows[0][0][2])
    assert_sorted_where_the_manifest_says(current_snapshot(store))


def assert_sorted_where_the_manifest_says(snapshot: Path) -> None:
    """Every file of a table the manifest calls sorted is in its sort order (NULLs last). The kept
    tables are written as kept, not sorted by the publisher, so this rests on their storage order."""
    tables = json.loads((snapshot / "manifest.json").read_text())["tables"]
    checked = 0
    for model in STORE_TABLES:
        if not tables[model.table]["sorted"]:
            continue
        for file in (snapshot / model.zone / model.table).rglob("*.parquet"):
            rows = pq.read_table(file, columns=list(model.sort_by)).to_pylist()
            keys = [tuple((r[c] is None, r[c]) for c in model.sort_by) for r in rows]
            assert keys == sorted(keys), file
            checked += len(keys)
    assert checked


# The warehouse tables that grow with the records and are joined by key each night.
GROWING = (
    "std_identity", "identity_profiles", "linkage_profiles", "profile_links", "profile_components",
    "cluster_edges", "component_summary", "profile_clusters", "person_registry", "person_ids_issued",
    "record_links", "findings_current", "findings_history",
    *(f"pub_{m.table}" for m in STORE_TABLES if m.per_person),
)


def assert_keys_uncompressed(path: Path) -> None:
    """Every key column (oneperson/warehouse.py KEY_COLUMNS) of those tables is stored
    uncompressed, and their other text is still compressed (so the run did checkpoint them)."""
    con = duckdb.connect(str(path), read_only=True)
    methods: dict[bool, set[str]] = {True: set(), False: set()}
    for table in GROWING:
        for column, compression in con.execute(
            "SELECT column_name, compression FROM pragma_storage_info(?) WHERE segment_type = 'VARCHAR'",
            [table],
        ).fetchall():
            methods[column in KEY_COLUMNS].add(compression)
    con.close()
    assert methods[True] <= {"Uncompressed", "Constant"} and "Uncompressed" in methods[True]
    assert methods[False] - {"Uncompressed", "Constant"}, methods[False]
