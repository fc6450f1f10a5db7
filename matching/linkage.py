"""Link identity profiles into persons with the trained model (full re-link).

Predictions above a floor are kept with their per-comparison match weights (the explanation of
every link); clusters are connected components at the clustering threshold.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import duckdb
from splink import DuckDBAPI, Linker

from matching.training import prepare_profiles, splink_settings
from oneperson.warehouse import SQL

KEEP_FLOOR = 0.01  # predictions below this are not kept
CLUSTER_THRESHOLD = 0.95  # a link at or above this joins two profiles into one person
ATTACH_FLOOR = 0.5  # an ID-less profile left alone joins the one person linked to it at least this well


@dataclass(frozen=True)
class LinkResult:
    profiles: int
    links_kept: int
    links_used: int
    clusters: int


def link_full(
    con: duckdb.DuckDBPyConnection, model: dict, threshold: float = CLUSTER_THRESHOLD
) -> LinkResult:
    """Score every blocked pair of profiles, cluster, and give each current record its cluster."""
    profiles = prepare_profiles(con)
    linker = Linker(
        DuckDBAPI(connection=con).register("linkage_profiles"),
        splink_settings(model),
        log_level=logging.WARNING,
    )
    predictions = linker.inference.predict(threshold_match_probability=KEEP_FLOOR)
    con.execute(f"CREATE OR REPLACE TABLE profile_links AS SELECT * FROM {predictions.physical_name}")
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold
    )
    con.execute(f"""CREATE OR REPLACE TABLE profile_clusters AS
        SELECT unique_id AS profile_id, cluster_id FROM {clusters.physical_name}""")
    con.execute(f"SET VARIABLE attach_floor = {ATTACH_FLOOR}")
    con.execute((SQL / "link" / "15_attach_unique.sql").read_text(encoding="utf-8"))
    con.execute((SQL / "link" / "20_record_persons.sql").read_text(encoding="utf-8"))
    kept, used = con.execute(
        "SELECT count(*), count(*) FILTER (match_probability >= ?) FROM profile_links", [threshold]
    ).fetchall()[0]
    n_clusters = con.execute("SELECT count(DISTINCT cluster_id) FROM record_clusters").fetchall()[0][0]
    return LinkResult(profiles, kept, used, n_clusters)
