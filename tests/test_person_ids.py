"""Person ids: same inputs, same ids; additions keep ids; merges keep one; splits keep the larger part."""

import itertools
import random

import duckdb
import pytest

from matching.person_ids import assign_person_ids, new_person_id

RUNS = itertools.count()


@pytest.fixture
def con(monkeypatch: pytest.MonkeyPatch) -> duckdb.DuckDBPyConnection:
    monkeypatch.setenv("ONEPERSON_PSEUDONYM_KEY", "test-key")
    con = duckdb.connect()
    con.execute("CREATE TABLE identity_profiles (profile_id VARCHAR, n_records BIGINT)")
    con.execute("CREATE TABLE profile_clusters (profile_id VARCHAR, cluster_id VARCHAR)")
    con.execute("CREATE TABLE std_identity (source VARCHAR, record_key VARCHAR, profile_id VARCHAR)")
    con.execute("CREATE TABLE clusters_written (profile_id VARCHAR)")  # by the link step
    return con


def cluster(con: duckdb.DuckDBPyConnection, groups: dict[str, list[tuple[str, int]]]) -> dict[str, str]:
    """Set this run's clustering ({cluster: [(profile, n_records)]}), assign ids, return profile -> person."""
    # every row is written again, and the ones that go are gone
    con.execute("INSERT INTO clusters_written SELECT profile_id FROM profile_clusters")
    con.execute("DELETE FROM identity_profiles; DELETE FROM profile_clusters; DELETE FROM std_identity")
    for cluster_id, profiles in groups.items():
        for profile, n in profiles:
            con.execute("INSERT INTO identity_profiles VALUES (?, ?)", [profile, n])
            con.execute("INSERT INTO profile_clusters VALUES (?, ?)", [profile, cluster_id])
            con.execute("INSERT INTO std_identity VALUES ('s', ?, ?)", [profile, profile])
    con.execute("INSERT INTO clusters_written SELECT profile_id FROM profile_clusters")
    assign_person_ids(con, f"run{next(RUNS)}")
    return dict(con.execute("SELECT profile_id, person_id FROM person_registry").fetchall())


def test_same_inputs_same_ids_and_no_trace_of_the_profile(con: duckdb.DuckDBPyConnection) -> None:
    first = cluster(con, {"c1": [("a", 2), ("b", 1)], "c2": [("c", 1)]})
    assert first["a"] == first["b"] != first["c"]
    assert (
        first["a"] == new_person_id(b"test-key", "a")
        and first["c"].startswith("P")
        and "a" not in first["a"][1:2]
    )
    again = cluster(con, {"x": [("a", 2), ("b", 1)], "y": [("c", 1)]})  # cluster labels differ, same persons
    assert again == first


def test_added_records_keep_every_existing_id(con: duckdb.DuckDBPyConnection) -> None:
    first = cluster(con, {"c1": [("a", 2)], "c2": [("c", 1)]})
    later = cluster(con, {"c1": [("a", 2), ("a2", 1)], "c2": [("c", 1)], "c3": [("d", 1)]})
    assert later["a"] == later["a2"] == first["a"] and later["c"] == first["c"]
    assert later["d"] not in first.values()


def test_merge_keeps_the_larger_persons_id_and_logs_the_other(con: duckdb.DuckDBPyConnection) -> None:
    first = cluster(con, {"c1": [("a", 3)], "c2": [("b", 1)]})
    merged = cluster(con, {"m": [("a", 3), ("b", 1)]})
    assert merged["a"] == merged["b"] == first["a"]
    assert con.execute("SELECT merged_id, into_id FROM person_merges").fetchall() == [
        (first["b"], first["a"])
    ]


def test_split_leaves_the_id_with_the_larger_part(con: duckdb.DuckDBPyConnection) -> None:
    first = cluster(con, {"c1": [("a", 1), ("b", 3), ("c", 1)]})
    split = cluster(con, {"big": [("b", 3)], "small": [("a", 1), ("c", 1)]})
    assert split["b"] == first["b"]
    assert split["a"] == split["c"] != first["b"]
    # The small part's anchor ('a') made the old id; the new one must not collide with it.
    assert con.execute("SELECT person_id, new_person_id FROM person_splits").fetchall() == [
        (first["b"], split["a"])
    ]


def test_working_on_the_clusters_in_question_gives_the_full_rules_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Nights of random moves, merges, splits, new and vanished profiles: the registry and the merge
    and split logs equal those of the rule applied to every cluster (a registry without clusters).
    The scoped run is told only the profiles whose cluster changed (as the link step records them)."""
    monkeypatch.setenv("ONEPERSON_PSEUDONYM_KEY", "test-key")
    rng = random.Random(7)
    profiles = {f"p{i:02d}": rng.randint(1, 4) for i in range(40)}
    clusters = {p: f"k{i // 3}" for i, p in enumerate(profiles)}  # three profiles a cluster
    scoped, full = duckdb.connect(), duckdb.connect()
    for con in (scoped, full):
        con.execute("CREATE TABLE std_identity (source VARCHAR, record_key VARCHAR, profile_id VARCHAR)")
        con.execute("CREATE TABLE clusters_written (profile_id VARCHAR)")
    before: dict[str, str] = {}  # the clusters the registry was last given (none yet)
    for night in range(12):
        for _ in range(4):
            profile = rng.choice(sorted(profiles))
            move = rng.random()
            if move < 0.4:  # joins another cluster (a merge, or a split from its own)
                clusters[profile] = clusters[rng.choice(sorted(clusters))]
            elif move < 0.6:  # leaves alone
                clusters[profile] = f"alone-{night}-{profile}"
            elif move < 0.8:  # vanishes
                clusters.pop(profile, None)
            else:  # a new profile, or one more record
                new = f"n{night}-{profile}"
                profiles[new] = rng.randint(1, 4)
                clusters[new] = clusters.get(profile, f"k-new-{night}")
                profiles[profile] += 1
        for con in (scoped, full):
            con.execute("CREATE OR REPLACE TABLE identity_profiles (profile_id VARCHAR, n_records BIGINT)")
            con.execute("CREATE OR REPLACE TABLE profile_clusters (profile_id VARCHAR, cluster_id VARCHAR)")
            con.executemany("INSERT INTO identity_profiles VALUES (?, ?)", list(profiles.items()))
            con.executemany("INSERT INTO profile_clusters VALUES (?, ?)", list(clusters.items()))
        written = [(p,) for p in sorted(before.keys() | clusters.keys()) if before.get(p) != clusters.get(p)]
        scoped.executemany("INSERT INTO clusters_written VALUES (?)", written)
        before = dict(clusters)
        full.execute("INSERT INTO clusters_written SELECT profile_id FROM profile_clusters")  # new ones
        if night:
            full.execute("UPDATE person_registry SET cluster_id = NULL")  # every profile in question
        counted = assign_person_ids(scoped, f"night{night}").persons  # from the last night's count
        assign_person_ids(full, f"night{night}")
        assert counted == len(set(clusters.values()))
        for query in (
            "SELECT * FROM person_registry",
            "SELECT * FROM person_ids_issued",
            "SELECT * EXCLUDE (logged_at) FROM person_merges",
            "SELECT * EXCLUDE (logged_at) FROM person_splits",
        ):
            assert sorted(scoped.execute(query).fetchall()) == sorted(full.execute(query).fetchall()), query
    moved = scoped.execute("SELECT count(*) FROM moved_profiles").fetchall()[0][0]
    assert 0 < moved < len(clusters)  # the last night worked on part of the clusters only
