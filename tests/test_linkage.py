"""Linkage with the committed model on the embedded sample: accurate, and twins stay apart."""

import uuid
from pathlib import Path

import duckdb
import pytest

from matching.evaluation import evaluate
from matching.linkage import link_full
from matching.training import load, train
from oneperson.ingest import apply_source
from oneperson.landing import pending
from oneperson.standardise import build_profiles, standardise
from oneperson.warehouse import connect

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    con = connect(tmp_path_factory.mktemp("link") / "w.duckdb")
    run_id = uuid.uuid4().hex
    for batches in pending(con, SAMPLE / "landing").values():
        apply_source(con, batches, run_id)
    standardise(con)
    build_profiles(con)
    return con


def assignments(con: duckdb.DuckDBPyConnection):
    return con.sql("SELECT source, record_key, cluster_id AS person_id FROM record_clusters").pl()


def test_committed_model_links_the_sample(warehouse: duckdb.DuckDBPyConnection) -> None:
    result = link_full(warehouse, load())
    report = evaluate(assignments(warehouse), SAMPLE / "truth")
    assert report.precision >= 0.999
    assert report.recall >= 0.99
    assert report.twin_pairs > 0 and report.twin_merges == 0
    assert report.records_unassigned == 0
    assert result.clusters == report.predicted_clusters
    # Every kept link carries its per-comparison weights: the explanation of the link.
    columns = {
        c
        for (c,) in warehouse.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = 'profile_links'"
        ).fetchall()
    }
    assert {"match_weight", "match_probability", "mw_id_number", "mw_name", "mw_birth_date"} <= columns


def test_training_without_labels_gives_a_model_that_keeps_twins_apart(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    model = train(warehouse, u_pairs=2e5)
    levels = {
        level.get("label_for_charts"): level for c in model["comparisons"] for level in c["comparison_levels"]
    }
    sibling = levels["same region and birth date, other valid sequence (sibling)"]
    assert sibling["fix_m_probability"] and sibling["m_probability"] < 1e-9
    link_full(warehouse, model)
    report = evaluate(assignments(warehouse), SAMPLE / "truth")
    assert report.twin_merges == 0 and report.precision >= 0.995 and report.recall >= 0.98
