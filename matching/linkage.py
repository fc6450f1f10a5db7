"""Link identity profiles into persons with the trained model: full re-link or nightly increment.

Predictions above a floor are kept with their per-comparison match weights (the explanation of
every link); clusters are connected components at the clustering threshold, after which an
ID-less profile left alone may join its single candidate person (sql/link/15_attach_unique.sql),
and no person may hold two different valid ID numbers (sql/link/17_cannot_link.sql).
The increment scores only profiles not linked before, against the linked ones and each other
(Splink 5 predict_between / predict_within), and re-clusters the kept links: scoring is the
expensive part, clustering is a pass over the links.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import polars as pl
from splink import DuckDBAPI, Linker
from splink.clustering import cluster_pairwise_predictions_at_threshold

from matching import spark
from matching.training import prepare_profiles, splink_settings
from oneperson.warehouse import SQL, UNCOMPRESSED, create_table, tables_present

KEEP_FLOOR = 0.01  # predictions below this are not kept
CLUSTER_THRESHOLD = 0.95  # a link at or above this joins two profiles into one person
ATTACH_FLOOR = 0.5  # an ID-less profile left alone joins the one person linked to it at least this well
REVIEW_FLOOR = 0.5  # links in [REVIEW_FLOOR, CLUSTER_THRESHOLD) go to the review queue
DECISION_COLUMNS = (
    "source_l",
    "record_key_l",
    "source_r",
    "record_key_r",
    "decision",
    "reviewer",
    "decided_at",
)
TF_COLUMNS = ("name_clean",)  # term-frequency-adjusted columns of matching/model.py
# Splink warns on every predict that some levels keep untrained parameters: by design here (the
# sibling and two-valid-IDs levels are fixed, and a level a world never showed keeps its prior).
QUIET = "never"


@dataclass(frozen=True)
class LinkResult:
    mode: str  # full | incremental
    profiles: int
    profiles_scored: int  # profiles whose pairs were scored in this run
    links_kept: int
    links_used: int  # (the persons are counted by matching.person_ids)
    profiles_reclustered: int = 0  # profiles whose connected component was recomputed
    scoring_seconds: float = 0.0  # of which the pairwise scoring (Splink predict), on either backend


def _linker(
    con: duckdb.DuckDBPyConnection, model: dict, table: str = "linkage_profiles"
) -> tuple[Linker, DuckDBAPI]:
    db = DuckDBAPI(connection=con)
    return Linker(db.register(table), splink_settings(model), log_level=logging.WARNING), db


def link_full(
    con: duckdb.DuckDBPyConnection, model: dict, threshold: float = CLUSTER_THRESHOLD
) -> LinkResult:
    """Score every blocked pair of profiles, cluster, and give each current record its cluster."""
    profiles = prepare_profiles(con)
    linker, db = _linker(con, model)
    started = time.perf_counter()
    if spark.backend() == "spark":  # the pairwise scoring on Spark (matching/spark.py)
        scored = spark.predict(con, splink_settings(model), KEEP_FLOOR)
        for column in TF_COLUMNS:  # DuckDB's own scoring (payment placements) needs them too
            linker.table_management.compute_tf_table(column)
    else:
        scored = linker.inference.predict(
            threshold_match_probability=KEEP_FLOOR, warning_mode=QUIET
        ).physical_name
    create_table(con, "profile_links", f"SELECT * FROM {scored}")
    scoring = time.perf_counter() - started
    return replace(_cluster(con, linker, db, threshold, "full", profiles, profiles), scoring_seconds=scoring)


def link_incremental(
    con: duckdb.DuckDBPyConnection, model: dict, threshold: float = CLUSTER_THRESHOLD
) -> LinkResult:
    """Score only profiles not linked before; falls back to a full link when nothing was linked yet."""
    if len(tables_present(con, "profile_links", "person_registry")) < 2:
        return link_full(con, model, threshold)
    profiles = prepare_profiles(con, refresh=True)
    # New profiles are among the rows refreshed since the last link (relinked_profiles); every
    # other current profile is known. Both are read from those few rows, not every profile.
    con.execute("""
        CREATE OR REPLACE TEMP TABLE profiles_new AS SELECT p.* FROM relinked_profiles AS p
            ANTI JOIN person_registry AS r ON r.profile_id = p.unique_id;
        -- Links of profiles that no current record carries any more go.
        DELETE FROM profile_links
        WHERE unique_id_l IN (SELECT profile_id FROM vanished_profiles)
           OR unique_id_r IN (SELECT profile_id FROM vanished_profiles);""")
    n_new = con.execute("SELECT count(*) FROM profiles_new").fetchall()[0][0]
    linker, db = _linker(con, model)
    if n_new:
        con.execute(known_candidates_sql(model))
        register_term_frequencies(con, linker, db, ("profiles_new", "profiles_known"))
        known, new = db.register("profiles_known"), db.register("profiles_new")
        for scored in (
            linker.inference.predict_between(
                known, new, threshold_match_probability=KEEP_FLOOR, warning_mode=QUIET
            ),
            linker.inference.predict_within(new, threshold_match_probability=KEEP_FLOOR, warning_mode=QUIET),
        ):
            con.execute(f"INSERT INTO profile_links BY NAME SELECT * FROM {scored.physical_name}")
            written(con, scored.physical_name)
    return _cluster(con, linker, db, threshold, "incremental", profiles, n_new)


def written(con: duckdb.DuckDBPyConnection, links: str) -> None:
    """Note the pairs (`unique_id_l`, `unique_id_r` of `links`) whose links were just written to or
    deleted from profile_links: the next clustering compares only those and the edges of vanished
    profiles (sql/link/14_recluster_scope.sql). The one writer of `links_written`."""
    con.execute(f"""CREATE TABLE IF NOT EXISTS links_written (unique_id_l VARCHAR, unique_id_r VARCHAR);
        INSERT INTO links_written SELECT unique_id_l, unique_id_r FROM {links}""")


def register_term_frequencies(
    con: duckdb.DuckDBPyConnection, linker: Linker, db: DuckDBAPI, values_of: tuple[str, ...]
) -> None:
    """Term frequencies over every current profile, as a full re-link would compute them (scoring
    only some profiles, Splink would compute them over those), of the values that the profiles
    about to be scored carry (`values_of`, tables of profiles): Splink looks up only those, and
    counting every value took 0.3 s a night at 10M records.
    Temporary: only this link reads them, and a kept table was written again at every checkpoint."""
    for column in TF_COLUMNS:
        if tables_present(con, f"tf_{column}"):  # kept by earlier releases
            con.execute(f"DROP TABLE tf_{column}")
        con.execute(f"""CREATE OR REPLACE TEMP TABLE tf_{column} AS
            SELECT {column}, count(*)::DOUBLE / (SELECT count({column}) FROM linkage_profiles)
                   AS tf_{column}
            FROM linkage_profiles
            WHERE {column} IN ({" UNION ".join(f"SELECT {column} FROM {table}" for table in values_of)})
            GROUP BY {column}""")
        linker.table_management.register_term_frequency_lookup(db.register(f"tf_{column}"), column)


def known_candidates_sql(model: dict) -> str:
    """`profiles_known`: the known profiles that some blocking rule of the model pairs with a new one.

    Only those can be scored against tonight's new profiles, so Splink's blocking reads them instead
    of every profile (each rule a join of the whole table: 10M increment, 1.9 s). Each rule is the
    model's own condition, with the known profile as `l` and the new one as `r` as in
    `predict_between(known, new)`, so the pairs are exactly those Splink would block. The rules are
    tested in one pass over the profiles (an `EXISTS` per rule, which DuckDB runs as a hash probe
    each), not one pass per rule: 1.1 s to 0.5 s at 10M records."""
    rules = model["blocking_rules_to_generate_predictions"]
    paired = "\n        OR ".join(
        "EXISTS (SELECT 1 FROM profiles_new AS r WHERE "
        f"{rule['blocking_rule'] if isinstance(rule, dict) else rule})"
        for rule in rules
    )
    return f"""CREATE OR REPLACE TEMP TABLE profiles_known AS
    SELECT l.* FROM linkage_profiles AS l
    WHERE ({paired})
      AND NOT EXISTS (SELECT 1 FROM profiles_new AS n WHERE n.unique_id = l.unique_id)"""


def _cluster(
    con: duckdb.DuckDBPyConnection,
    linker: Linker,
    db: DuckDBAPI,
    threshold: float,
    mode: str,
    profiles: int,
    scored: int,
) -> LinkResult:
    """Apply review decisions, cluster the kept links, attach lone ID-less profiles, queue doubts."""
    reclustered = _clusters(con, db, threshold, incremental=mode == "incremental")
    con.execute((SQL / "link" / "18_place_payments.sql").read_text(encoding="utf-8"))
    _score_placements(con, linker, db)
    for table in tables_present(con, "record_clusters", "record_persons"):  # from before they were views
        con.execute(f"DROP TABLE {table}")
    con.execute((SQL / "link" / "20_record_clusters.sql").read_text(encoding="utf-8"))
    con.execute(f"SET VARIABLE review_floor = {REVIEW_FLOOR}; SET VARIABLE threshold = {threshold}")
    con.execute((SQL / "link" / "40_review_queue.sql").read_text(encoding="utf-8"))
    kept, used = con.execute(
        "SELECT count(*), count(*) FILTER (match_probability >= ?) FROM profile_links", [threshold]
    ).fetchall()[0]
    # Splink's working tables (predictions, clusters, term frequencies) were copied into our own
    # tables above; left in the warehouse they would double its size.
    linker.table_management.delete_tables_created_by_splink_from_db()
    return LinkResult(mode, profiles, scored, kept, used, reclustered)


def _clusters(con: duckdb.DuckDBPyConnection, db: DuckDBAPI, threshold: float, incremental: bool) -> int:
    """profile_clusters from the kept links: reviewers' decisions applied, connected components,
    lone ID-less profiles attached, cannot-link splits. Returns the number of profiles clustered."""
    for name in ("05_review_labels.sql", "12_review_decisions.sql", "13_link_ends.sql"):
        con.execute((SQL / "link" / name).read_text(encoding="utf-8"))
    # the decided pairs' links were deleted or written
    written(con, "(SELECT profile_l AS unique_id_l, profile_r AS unique_id_r FROM decided_pairs)")
    reclustered = _components(con, db, threshold, incremental)
    con.execute(f"SET VARIABLE attach_floor = {ATTACH_FLOOR}")
    for name in ("15_attach_unique.sql", "17_cannot_link.sql"):
        con.execute((SQL / "link" / name).read_text(encoding="utf-8"))
    return reclustered


def _components(con: duckdb.DuckDBPyConnection, db: DuckDBAPI, threshold: float, incremental: bool) -> int:
    """profile_components: the connected components of the links at or above `threshold` (Splink's
    clustering). Incrementally, only the components that tonight's changes touch are re-clustered
    (sql/link/14_recluster_scope.sql), and profile_clusters and component_summary are brought up
    to date for them (14_recluster_apply.sql); a full link, or a warehouse without the previous
    components, clusters every profile. Returns the number of profiles clustered."""
    con.execute(f"SET VARIABLE threshold = {threshold}")
    kept = ("profile_components", "cluster_edges", "component_summary", "profile_clusters")
    anew = not (incremental and len(tables_present(con, *kept)) == len(kept))  # everything is touched
    con.execute(f"SET VARIABLE components_anew = {str(anew).lower()}")
    # cluster_edges can be brought up to date from the links written since it was (links_written,
    # kept by this release, which also writes cluster_edges_state) if it was made at this threshold;
    # else every link is compared with it.
    state = "SELECT count(*) FROM cluster_edges_state WHERE threshold = ?"
    since = (
        not anew
        and bool(tables_present(con, "cluster_edges_state"))
        and con.execute(state, [threshold]).fetchall()[0][0] == 1
    )
    con.execute(f"SET VARIABLE edges_since = {str(since).lower()}")
    if anew:
        key = f"VARCHAR {UNCOMPRESSED}"  # (oneperson/warehouse.py KEY_COLUMNS)
        con.execute(f"""
            CREATE OR REPLACE TABLE profile_components (profile_id {key}, component_id {key});
            CREATE OR REPLACE TABLE cluster_edges (unique_id_l {key}, unique_id_r {key});
            CREATE OR REPLACE TABLE component_summary (component_id {key}, profiles BIGINT, with_id BIGINT,
                                                       valid_ids BIGINT);
            CREATE OR REPLACE TABLE profile_clusters (profile_id {key}, cluster_id {key});""")
    con.execute((SQL / "link" / "14_recluster_scope.sql").read_text(encoding="utf-8"))
    n = con.execute("SELECT count(*) FROM recluster_nodes").fetchall()[0][0]
    # A profile that went is in `touched`, so its component is among the affected ones.
    con.execute(
        "DELETE FROM profile_components WHERE component_id IN (SELECT component_id FROM affected_components)"
    )
    if n:
        clusters = cluster_pairwise_predictions_at_threshold(
            db.register("recluster_nodes"),
            db.register("recluster_edges"),
            db_api=db,
            node_id_column_name="unique_id",
        )
        con.execute(
            f"INSERT INTO profile_components SELECT unique_id, cluster_id FROM {clusters.physical_name}"
        )
    con.execute((SQL / "link" / "14_recluster_apply.sql").read_text(encoding="utf-8"))
    con.execute("CREATE OR REPLACE TABLE cluster_edges_state AS SELECT ?::DOUBLE AS threshold", [threshold])
    return n


def _score_placements(con: duckdb.DuckDBPyConnection, linker: Linker, db: DuckDBAPI) -> None:
    """Score each placed payment against the enrollment it pays, so the link is on record.

    The placement is decided by context (sql/link/18_place_payments.sql), but the store reports how
    strongly identity alone supports it, and `explain` draws its waterfall: the pair goes through
    the same model as every other link, blocked on the placement itself. Pairs scored before are
    not scored again.
    """
    con.execute("""
        CREATE OR REPLACE TEMP TABLE placement_pairs AS
        SELECT p.profile_id AS payment_profile, p.enrollment_profile_id AS enrollment_profile
        FROM payment_placements AS p
        -- profile_link_ends holds each link from both ends: an equi-join, where a NOT EXISTS on
        -- either orientation (an OR) was a nested loop (46 s of a 10M-record increment).
        ANTI JOIN profile_link_ends AS l
            ON l.profile_id = p.profile_id AND l.other_id = p.enrollment_profile_id;""")
    if not con.execute("SELECT count(*) FROM placement_pairs").fetchall()[0][0]:
        return  # (most nights: each pair is scored once, the night it is first placed)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE placement_profiles AS  -- both ends' rows, in one pass over the profiles
        SELECT l.* FROM linkage_profiles AS l
        WHERE l.unique_id IN (SELECT payment_profile FROM placement_pairs UNION SELECT enrollment_profile
                              FROM placement_pairs);
        CREATE OR REPLACE TEMP TABLE placement_payments AS
        SELECT l.*, l.unique_id AS placement FROM placement_profiles AS l
        JOIN placement_pairs AS p ON p.payment_profile = l.unique_id;
        CREATE OR REPLACE TEMP TABLE placement_enrollments AS
        SELECT l.*, p.payment_profile AS placement FROM placement_profiles AS l
        JOIN placement_pairs AS p ON p.enrollment_profile = l.unique_id;""")
    register_term_frequencies(con, linker, db, ("placement_profiles",))
    scored = linker.inference.predict_between(
        db.register("placement_enrollments"),
        db.register("placement_payments"),
        blocking_rules_to_generate_predictions=["l.placement = r.placement"],
        warning_mode=QUIET,
    )
    con.execute(
        f"""INSERT INTO profile_links BY NAME
        SELECT * EXCLUDE (placement_l, placement_r) FROM {scored.physical_name}"""
    )
    written(con, scored.physical_name)


class DecisionsError(ValueError):
    pass


def load_decisions(con: duckdb.DuckDBPyConnection, path: Path, run_id: str) -> int:
    """Add a reviewer's decisions file (CSV: DECISION_COLUMNS) to review_labels; returns rows added.

    Applied by the next link as forced links (`match`) or removed links (`non_match`).
    """
    con.execute((SQL / "link" / "05_review_labels.sql").read_text(encoding="utf-8"))
    frame = pl.read_csv(path, infer_schema=False)
    missing = [c for c in DECISION_COLUMNS if c not in frame.columns]
    if missing:
        raise DecisionsError(f"{path}: missing column(s) {', '.join(missing)}")
    frame = frame.with_row_index("line", offset=2).with_columns(
        decided=pl.col("decided_at").str.to_datetime(strict=False)
    )
    bad = frame.filter(
        ~pl.col("decision").is_in(["match", "non_match"])
        | pl.col("decided").is_null()
        | pl.any_horizontal(pl.col(list(DECISION_COLUMNS[:4])).is_null())
    )
    if bad.height:
        row = bad.row(0, named=True)
        field = (
            "decision"
            if row["decision"] not in ("match", "non_match")
            else ("decided_at" if row["decided"] is None else "source/record_key")
        )
        raise DecisionsError(f"{path}, line {row['line']}: bad {field} ({row.get(field, '')!r})")
    rows = frame.select(*DECISION_COLUMNS[:6], decided_at="decided", applied_run=pl.lit(run_id))  # noqa: F841
    before = con.execute("SELECT count(*) FROM review_labels").fetchall()[0][0]
    con.execute("""INSERT INTO review_labels SELECT * FROM rows AS r WHERE NOT EXISTS (
        SELECT 1 FROM review_labels AS l WHERE l.source_l = r.source_l AND l.record_key_l = r.record_key_l
        AND l.source_r = r.source_r AND l.record_key_r = r.record_key_r AND l.decided_at = r.decided_at)""")
    return con.execute("SELECT count(*) FROM review_labels").fetchall()[0][0] - before
