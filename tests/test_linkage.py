"""Linkage with the committed model on the embedded sample: accurate, and twins stay apart."""

from pathlib import Path

import duckdb
import pytest
from warehouses import SAMPLE, ingest_landing

from matching.evaluation import evaluate
from matching.linkage import TF_COLUMNS, _linker, known_candidates_sql, link_full, register_term_frequencies
from matching.training import load, train
from oneperson.warehouse import connect


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    con = connect(tmp_path_factory.mktemp("link") / "w.duckdb")
    ingest_landing(con)
    return con


def assignments(con: duckdb.DuckDBPyConnection):
    return con.sql("SELECT source, record_key, cluster_id AS person_id FROM record_clusters").pl()


def test_committed_model_links_the_sample(warehouse: duckdb.DuckDBPyConnection) -> None:
    link_full(warehouse, load())
    report = evaluate(assignments(warehouse), SAMPLE / "truth")
    assert report.precision >= 0.999
    assert report.recall >= 0.99
    assert report.twin_pairs > 0 and report.twin_merges == 0
    assert report.records_unassigned == 0
    clusters = warehouse.execute("SELECT count(DISTINCT cluster_id) FROM profile_clusters").fetchall()[0][0]
    assert clusters == report.predicted_clusters
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


def test_incremental_link_agrees_with_a_full_relink_and_keeps_ids(tmp_path: Path, monkeypatch) -> None:
    import shutil

    import polars as pl

    from matching.linkage import link_incremental
    from matching.person_ids import assign_person_ids

    monkeypatch.setenv("ONEPERSON_PSEUDONYM_KEY", "test-key")
    model = load()
    landing = tmp_path / "landing"
    for source_dir in (SAMPLE / "landing").iterdir():
        shutil.copytree(source_dir / "20261001", landing / source_dir.name / "20261001")

    con = connect(tmp_path / "inc.duckdb")
    ingest_landing(con, landing)
    assert link_incremental(con, model).mode == "full"  # nothing linked yet
    assign_person_ids(con, "night-1")
    before = dict(con.execute("SELECT profile_id, person_id FROM person_registry").fetchall())
    for source_dir in (SAMPLE / "landing").iterdir():  # the later batches arrive
        for batch in source_dir.iterdir():
            if batch.name != "20261001":
                shutil.copytree(batch, landing / source_dir.name / batch.name)
    ingest_landing(con, landing)
    result = link_incremental(con, model)
    assert result.mode == "incremental" and 0 < result.profiles_scored < result.profiles
    assert 0 < result.profiles_reclustered < result.profiles  # only the touched components
    assign_person_ids(con, "night-2")
    after = dict(con.execute("SELECT profile_id, person_id FROM person_registry").fetchall())
    merged = {m for (m,) in con.execute("SELECT merged_id FROM person_merges").fetchall()}
    assert all(after[p] == old or old in merged for p, old in before.items() if p in after)

    full = connect(tmp_path / "full.duckdb")
    ingest_landing(full, landing)
    assert link_full(full, model).profiles_reclustered == result.profiles
    # The same components, ids included, as clustering every profile again.
    components = "SELECT profile_id, component_id FROM profile_components ORDER BY ALL"
    assert con.execute(components).fetchall() == full.execute(components).fetchall()
    # Kept up to date rather than redone (an attachment's probability may differ: old pairs are not rescored).
    for query in (
        "SELECT * FROM cluster_edges ORDER BY ALL",
        "SELECT * FROM payment_placements ORDER BY ALL",
        "SELECT profile_id, cluster_id FROM profile_attachments ORDER BY ALL",
        "SELECT * FROM cannot_link_splits ORDER BY ALL",
        "SELECT * FROM component_summary ORDER BY ALL",
        "SELECT * FROM profile_clusters ORDER BY ALL",
    ):
        assert con.execute(query).fetchall() == full.execute(query).fetchall(), query
    incremental = con.sql("SELECT source, record_key, person_id FROM record_persons").pl()
    relinked = full.sql("SELECT source, record_key, cluster_id FROM record_clusters").pl()
    joined = incremental.join(relinked, on=["source", "record_key"])
    assert joined.height == incremental.height == relinked.height
    assert joined.group_by("person_id").agg(pl.col("cluster_id").n_unique())["cluster_id"].max() == 1
    assert joined.group_by("cluster_id").agg(pl.col("person_id").n_unique())["person_id"].max() == 1


def test_review_decisions_force_links_and_are_kept_as_labels(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    import polars as pl

    from matching.linkage import DecisionsError, load_decisions

    link_full(warehouse, load())
    before = dict(
        ((s, k), c)
        for s, k, c in warehouse.execute(
            "SELECT source, record_key, cluster_id FROM record_clusters"
        ).fetchall()
    )
    # Two records of two different persons (each a single profile): a reviewer says they are one.
    pair = warehouse.execute("""
        WITH single AS (SELECT cluster_id FROM profile_clusters GROUP BY cluster_id HAVING count(*) = 1)
        SELECT a.source, a.record_key, b.source, b.record_key FROM record_clusters AS a
        JOIN record_clusters AS b ON a.cluster_id < b.cluster_id
        WHERE a.cluster_id IN (SELECT cluster_id FROM single)
          AND b.cluster_id IN (SELECT cluster_id FROM single)
        ORDER BY 1, 2, 3, 4 LIMIT 1""").fetchall()[0]
    decisions = tmp_path / "decisions.csv"
    pl.DataFrame(
        [(*pair, "match", "reviewer-1", "2026-11-20T09:05:00")],
        schema=["source_l", "record_key_l", "source_r", "record_key_r", "decision", "reviewer", "decided_at"],
        orient="row",
    ).write_csv(decisions)
    assert load_decisions(warehouse, decisions, "run-review") == 1
    assert load_decisions(warehouse, decisions, "run-review-again") == 0  # a decision is kept once
    link_full(warehouse, load())
    after = dict(
        ((s, k), c)
        for s, k, c in warehouse.execute(
            "SELECT source, record_key, cluster_id FROM record_clusters"
        ).fetchall()
    )
    assert before[pair[:2]] != before[pair[2:]] and after[pair[:2]] == after[pair[2:]]
    assert warehouse.execute("SELECT decision, reviewer FROM review_labels").fetchall() == [
        ("match", "reviewer-1")
    ]

    # A non_match removes the link again (the latest decision on a pair wins).
    pl.DataFrame(
        [(*pair, "non_match", "reviewer-2", "2026-11-21T09:00:00")],
        schema=["source_l", "record_key_l", "source_r", "record_key_r", "decision", "reviewer", "decided_at"],
        orient="row",
    ).write_csv(decisions)
    load_decisions(warehouse, decisions, "run-review-2")
    link_full(warehouse, load())
    again = dict(
        ((s, k), c)
        for s, k, c in warehouse.execute(
            "SELECT source, record_key, cluster_id FROM record_clusters"
        ).fetchall()
    )
    assert again[pair[:2]] != again[pair[2:]]

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "source_l,record_key_l,source_r,record_key_r,decision,reviewer,decided_at\n"
        "tax,R1,tax,R2,maybe,someone,2026-11-20T09:00:00\n"
    )
    with pytest.raises(DecisionsError, match=r"bad.csv, line 2: bad decision \('maybe'\)"):
        load_decisions(warehouse, bad, "run-bad")


def test_clusters_kept_from_night_to_night_equal_clustering_every_profile() -> None:
    """The components, their summaries and profile_clusters are kept and brought up to date only
    where a night changed them; attachments and cannot-link splits on top must be those of
    clustering every profile again, including when they are undone where no component changed."""
    from splink import DuckDBAPI

    from matching.linkage import CLUSTER_THRESHOLD, _clusters, written
    from oneperson.warehouse import SQL

    base = {"a": "X", "b": "Y", "d": None, "e": None}
    base_links = [("a", "d", 0.7), ("b", "e", 0.99)]
    chained = [*base_links, ("a", "c", 0.99), ("b", "c", 0.97)]
    nights = [  # profiles (id -> ID number, None: none), links (l, r, probability), reviewers' matches
        (base, base_links, []),
        ({**base, "c": None}, chained, []),  # c chains two valid numbers: the cluster is split
        ({**base, "c": None}, chained, [("a", "c")]),  # a reviewer joined it: whole, no link changed
        ({**base, "c": None, "f": "Z"}, [*chained, ("d", "f", 0.6)], [("a", "c")]),  # d: two candidates
        ({**base, "f": "Z"}, [*base_links, ("d", "f", 0.6)], []),  # c gone
        ({**base, "f": "Z"}, [*base_links, ("d", "f", 0.6)], [("d", "e")]),  # a reviewer joined d to e
    ]

    def night(
        con: duckdb.DuckDBPyConnection,
        profiles: dict,
        links: list,
        matches: list,
        incremental: bool,
        came_went=(),
        threshold: float = CLUSTER_THRESHOLD,
    ):
        # relink: the profiles regrouped since the last link (matching/training.py), here those come or gone
        con.execute(
            "CREATE OR REPLACE TEMP TABLE relink AS SELECT unnest(?::VARCHAR[]) AS profile_id", [came_went]
        )
        con.execute("""
            CREATE OR REPLACE TABLE linkage_profiles (unique_id VARCHAR, id_std VARCHAR, id_valid BOOLEAN);
            CREATE OR REPLACE TABLE profile_links (unique_id_l VARCHAR, unique_id_r VARCHAR,
                                                   match_probability DOUBLE, match_weight DOUBLE);
            CREATE OR REPLACE TABLE std_identity (source VARCHAR, record_key VARCHAR, profile_id VARCHAR);""")
        con.executemany(
            "INSERT INTO linkage_profiles VALUES (?, ?, ?)",
            [(p, i, i is not None) for p, i in profiles.items()],
        )
        con.execute("""CREATE OR REPLACE TEMP TABLE vanished_profiles AS  -- those gone, whose links went
            SELECT profile_id FROM relink ANTI JOIN linkage_profiles ON unique_id = profile_id""")
        con.executemany("INSERT INTO std_identity VALUES ('s', ?, ?)", [(p, p) for p in profiles])
        con.executemany("INSERT INTO profile_links VALUES (?, ?, ?, 0)", links)
        # as the increment notes the links it scores: those of the profiles that came
        con.execute("""CREATE OR REPLACE TEMP TABLE scored AS SELECT * FROM profile_links
            WHERE unique_id_l IN (SELECT profile_id FROM relink)
               OR unique_id_r IN (SELECT profile_id FROM relink)""")
        written(con, "scored")
        con.execute((SQL / "link" / "05_review_labels.sql").read_text(encoding="utf-8"))
        con.execute("DELETE FROM review_labels")
        if matches:
            con.executemany(
                "INSERT INTO review_labels VALUES ('s', ?, 's', ?, 'match', 'r', TIMESTAMP '2026-10-01', '')",
                matches,
            )
        _clusters(con, DuckDBAPI(connection=con), threshold, incremental)
        return {
            table: con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
            for table in (
                "profile_clusters",
                "profile_attachments",
                "cannot_link_splits",
                "component_summary",
                "cluster_edges",
            )
        }

    kept, before = duckdb.connect(), set()
    for number, (profiles, links, matches) in enumerate(nights, start=1):
        incremental = night(kept, profiles, links, matches, number > 1, sorted(before ^ profiles.keys()))
        before = set(profiles)
        assert incremental == night(duckdb.connect(), profiles, links, matches, incremental=False), number
        clusters = dict(incremental["profile_clusters"])
        if number == 1:  # d's one candidate is a
            assert clusters["a"] == clusters["d"] != clusters["b"] == clusters["e"]
        elif number == 2:  # a and b split apart; c goes with a (the stronger link), so does d
            assert clusters["a"] == clusters["c"] == clusters["d"] != clusters["b"] == clusters["e"]
            assert len(incremental["cannot_link_splits"]) == 5
        elif number == 3:  # the reviewer's match keeps the cluster whole, d attached to it
            assert len(set(clusters.values())) == 1 and incremental["cannot_link_splits"] == []
        elif number == 4:  # d links to two persons: no longer attached
            assert clusters["d"] == "d" and clusters["a"] == clusters["b"] == clusters["c"]
        elif number == 5:  # c gone: a and b apart again, d still between two
            assert clusters["d"] == "d" and clusters["a"] != clusters["b"] == clusters["e"]
        else:  # no profile came or went, and no scored link changed: the decision alone moves d
            assert clusters["d"] == clusters["b"] == clusters["e"] != clusters["a"]
    # Another threshold: every edge is judged again (b-e at 0.99 is no longer one), not only new links.
    stricter = night(kept, profiles, links, matches, True, threshold=0.995)
    assert stricter == night(duckdb.connect(), profiles, links, matches, incremental=False, threshold=0.995)
    assert dict(stricter["profile_clusters"])["b"] != dict(stricter["profile_clusters"])["e"]


def test_new_profiles_are_scored_against_the_known_ones_blocking_pairs_them_with(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    """The increment hands Splink only the known profiles some blocking rule pairs with a new one:
    Splink scores the same pairs, with the same probabilities, as against every known profile."""
    model = load()
    link_full(warehouse, model)
    warehouse.execute("""CREATE OR REPLACE TEMP TABLE profiles_new AS
        SELECT * FROM linkage_profiles WHERE hash(unique_id) % 10 = 0;
        CREATE OR REPLACE TEMP TABLE every_known AS
        SELECT * FROM linkage_profiles ANTI JOIN profiles_new USING (unique_id)""")
    warehouse.execute(known_candidates_sql(model))
    linker, db = _linker(warehouse, model)
    register_term_frequencies(warehouse, linker, db, ("profiles_new", "profiles_known"))
    new = db.register("profiles_new")

    def scored(known: str) -> set[tuple]:
        pairs = linker.inference.predict_between(db.register(known), new, warning_mode="never")
        return set(
            warehouse.execute(
                f"SELECT unique_id_l, unique_id_r, round(match_weight, 9) FROM {pairs.physical_name}"
            ).fetchall()
        )

    candidates = warehouse.execute("SELECT count(*) FROM profiles_known").fetchall()[0][0]
    every = warehouse.execute("SELECT count(*) FROM every_known").fetchall()[0][0]
    assert 0 < candidates < every / 2  # a real filter, on a sample of many namesakes
    pairs = scored("profiles_known")
    assert len(pairs) > 100
    assert pairs == scored("every_known")
    # The term frequencies were counted only for the values of tonight's pairs: the same weights
    # as with every value's.
    for column in TF_COLUMNS:
        every_value = warehouse.sql(f"""SELECT {column}, count(*)::DOUBLE
            / (SELECT count({column}) FROM linkage_profiles) AS tf_{column}
            FROM linkage_profiles WHERE {column} IS NOT NULL GROUP BY {column}""").pl()
        assert len(every_value) > warehouse.execute(f"SELECT count(*) FROM tf_{column}").fetchall()[0][0]
        linker.table_management.register_term_frequency_lookup(db.register(every_value), column)
    assert pairs == scored("every_known")
