"""matching.evaluation: exact figures on hand-built worlds, a brute-force pair count, and the sample."""

from __future__ import annotations

import itertools
import random
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from matching.evaluation import LinkageReport, evaluate
from schemas.truth import TruthPerson, TruthRecord, TruthRecordError

SAMPLE_TRUTH = Path(__file__).resolve().parents[1] / "data" / "sample" / "truth"


def write_truth(
    folder: Path,
    records: dict[str, str],
    errors: list[tuple[str, str, str]],
    twins: list[tuple[str, str]] = (),
) -> Path:
    """records: "source/record_key" -> person_key; errors: (record, field, kind); twins both ways."""
    folder.mkdir(parents=True, exist_ok=True)
    twin_of = {a: b for a, b in twins} | {b: a for a, b in twins}
    keys = sorted(set(records.values()) | set(twin_of))
    persons = pl.DataFrame(
        {
            "person_key": keys,
            "id_number": [f"11010119900101{i:03d}1" for i in range(len(keys))],
            "name": ["张伟"] * len(keys),
            "sex": ["male"] * len(keys),
            "birth_date": [date(1990, 1, 1)] * len(keys),
            "hukou_region_code": ["110101"] * len(keys),
            "birth_region_code": ["110101"] * len(keys),
            "died_on": [None] * len(keys),
            "twin_of": [twin_of.get(k) for k in keys],
            "traits": [[] for _ in keys],
        },
        schema_overrides={"died_on": pl.Date, "twin_of": pl.String, "traits": pl.List(pl.String)},
    )
    TruthPerson.write(persons, folder)
    split = [r.split("/") for r in records]
    TruthRecord.write(
        pl.DataFrame(
            {
                "source": [s for s, _ in split],
                "record_key": [k for _, k in split],
                "person_key": list(records.values()),
            }
        ),
        folder,
    )
    TruthRecordError.write(
        pl.DataFrame(
            {
                "source": [r.split("/")[0] for r, _, _ in errors],
                "record_key": [r.split("/")[1] for r, _, _ in errors],
                "field": [f for _, f, _ in errors],
                "error_kind": [k for _, _, k in errors],
            },
            schema={
                "source": pl.String,
                "record_key": pl.String,
                "field": pl.String,
                "error_kind": pl.String,
            },
        ),
        folder,
    )
    return folder


def assign(clusters: dict[str, list[str]]) -> pl.DataFrame:
    """person_id -> ["source/record_key", ...]."""
    rows = [(*r.split("/"), pid) for pid, recs in clusters.items() for r in recs]
    return pl.DataFrame(rows, schema=["source", "record_key", "person_id"], orient="row")


# Twins A and B; C with three records; D with one. Nine records, 3 + 1 + 3 + 0 = 7 true pairs.
RECORDS = {
    "enrollment/E1": "A",
    "tax/T1": "A",
    "public_security/S1": "A",
    "enrollment/E2": "B",
    "tax/T2": "B",
    "enrollment/E3": "C",
    "tax/T3": "C",
    "public_security/S3": "C",
    "enrollment/E4": "D",
}
ERRORS = [
    ("tax/T1", "id_number", "id_typo"),
    ("tax/T1", "sex", "sex_variant"),
    ("enrollment/E2", "name", "name_homophone"),
    ("tax/T3", "id_number", "id_typo"),
    ("public_security/S3", "id_number", "stray_spaces"),
    ("public_security/S3", "name", "stray_spaces"),  # same kind twice on one record: counts once
    ("enrollment/E4", "id_number", "id_missing"),  # D has one record: never eligible
]
TRUTH_BY_PERSON = {p: [r for r, q in RECORDS.items() if q == p] for p in "ABCD"}


@pytest.fixture
def truth(tmp_path: Path) -> Path:
    return write_truth(tmp_path / "truth", RECORDS, ERRORS, twins=[("A", "B")])


def kinds(report: LinkageReport) -> dict[str, tuple[int, int, int]]:
    return {e.error_kind: (e.records, e.eligible, e.linked) for e in (*report.error_kinds, report.clean)}


def test_perfect_linkage(truth: Path) -> None:
    report = evaluate(assign({f"X{p}": recs for p, recs in TRUTH_BY_PERSON.items()}), truth)
    assert (report.records, report.true_persons, report.predicted_clusters, report.records_unassigned) == (
        9,
        4,
        4,
        0,
    )
    assert (report.predicted_pairs, report.true_pairs, report.true_positive_pairs) == (7, 7, 7)
    assert report.precision == report.recall == report.f1 == 1.0
    assert report.one_piece_share == report.one_piece_share_all == 1.0
    assert report.pure_share == report.pure_share_multi_record == 1.0
    assert (report.twin_pairs, report.twin_merges) == (1, 0)
    assert kinds(report) == {
        "id_missing": (1, 0, 0),
        "id_typo": (2, 2, 2),
        "name_homophone": (1, 1, 1),
        "sex_variant": (1, 1, 1),
        "stray_spaces": (1, 1, 1),
        "clean": (4, 4, 4),
    }
    assert report.recall_by_error_kind() == {
        "id_missing": None,
        "id_typo": 1.0,
        "name_homophone": 1.0,
        "sex_variant": 1.0,
        "stray_spaces": 1.0,
        "clean": 1.0,
    }


def test_twins_merged(truth: Path) -> None:
    by_person = TRUTH_BY_PERSON
    report = evaluate(
        assign({"AB": by_person["A"] + by_person["B"], "C": by_person["C"], "D": by_person["D"]}), truth
    )
    # One cluster of 5 (10 pairs, of which 3 + 1 true), C (3), D (0).
    assert (report.predicted_pairs, report.true_pairs, report.true_positive_pairs) == (13, 7, 7)
    assert report.precision == 7 / 13
    assert report.recall == 1.0
    assert report.f1 == 14 / 20
    assert (report.twin_pairs, report.twin_merges) == (1, 1)
    assert report.predicted_clusters == 3
    assert report.pure_share == 2 / 3
    assert report.pure_share_multi_record == 1 / 2
    assert report.one_piece_share == report.one_piece_share_all == 1.0


def test_one_twin_record_in_the_other_twins_cluster_is_a_merge(truth: Path) -> None:
    report = evaluate(
        assign({"A": [*TRUTH_BY_PERSON["A"], "tax/T2"], "B": ["enrollment/E2"], "C": TRUTH_BY_PERSON["C"]}),
        truth,
    )
    assert (report.twin_pairs, report.twin_merges) == (1, 1)
    assert report.records_unassigned == 1  # E4


def test_split_person_and_records_left_alone(truth: Path) -> None:
    # C split in two (S3 alone); T1 of A missing from the assignments; the rest right.
    clusters = {
        "A": ["enrollment/E1", "public_security/S1"],
        "B": TRUTH_BY_PERSON["B"],
        "C": ["enrollment/E3", "tax/T3"],
        "C2": ["public_security/S3"],
        "D": TRUTH_BY_PERSON["D"],
    }
    report = evaluate(assign(clusters), truth)
    assert report.records_unassigned == 1
    assert report.predicted_clusters == 6  # five named clusters and T1 on its own
    assert (report.predicted_pairs, report.true_pairs, report.true_positive_pairs) == (3, 7, 3)
    assert report.precision == 1.0
    assert report.recall == 3 / 7
    assert report.f1 == 6 / 10
    assert (report.persons_multi_record, report.persons_multi_record_one_piece) == (3, 1)  # only B whole
    assert report.one_piece_share == 1 / 3
    assert report.one_piece_share_all == 2 / 4  # B and D
    assert report.pure_share == 1.0
    assert (report.clusters_multi_record, report.clusters_multi_record_pure) == (3, 3)
    assert kinds(report) == {
        "id_missing": (1, 0, 0),
        "id_typo": (2, 2, 1),  # T1 unassigned, T3 linked to E3
        "name_homophone": (1, 1, 1),
        "sex_variant": (1, 1, 0),  # T1
        "stray_spaces": (1, 1, 0),  # S3 alone in C2
        "clean": (4, 4, 4),
    }
    assert report.recall_by_error_kind()["id_typo"] == 0.5


def test_null_person_id_is_unassigned(truth: Path) -> None:
    frame = assign({p: recs for p, recs in TRUTH_BY_PERSON.items()}).with_columns(
        person_id=pl.when(pl.col("record_key") == "T1").then(None).otherwise(pl.col("person_id"))
    )
    report = evaluate(frame, truth)
    assert report.records_unassigned == 1
    assert report.true_positive_pairs == 7 - 2


def test_bad_assignments(truth: Path) -> None:
    good = assign({p: recs for p, recs in TRUTH_BY_PERSON.items()})
    with pytest.raises(ValueError, match="not in"):
        evaluate(pl.concat([good, assign({"Z": ["tax/NOPE"]})]), truth)
    with pytest.raises(ValueError, match="more than once"):
        evaluate(pl.concat([good, assign({"Z": ["tax/T1"]})]), truth)
    with pytest.raises(ValueError, match="person_id"):
        evaluate(good.drop("person_id"), truth)


def test_rendering(truth: Path) -> None:
    report = evaluate(assign({"all": list(RECORDS)}), truth)
    rows = {r["metric"]: r for r in report.as_table()}
    assert rows["pairwise precision"] == {
        "metric": "pairwise precision",
        "value": 7 / 36,
        "count": 7,
        "of": 36,
    }
    assert rows["records"]["value"] == 9
    assert rows["linked: id_missing"]["value"] is None
    text = str(report)
    assert "pairwise precision" in text and "0.1944" in text and "(7 / 36)" in text
    assert "linked: clean" in text


@pytest.mark.parametrize("seed", range(5))
def test_against_brute_force_pairs(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    persons = [f"P{i}" for i in range(12)]
    records = {f"tax/R{i:02d}": rng.choice(persons) for i in range(50)}
    errors = [(r, "name", rng.choice(["k1", "k2"])) for r in records if rng.random() < 0.4]
    truth = write_truth(tmp_path / "truth", records, errors, twins=[("P0", "P1"), ("P2", "P3")])
    # Mostly right: 75% to the true person's cluster, 15% to one of four random ones, 10% left out.
    draws = {r: rng.random() for r in records}
    given = {r: (records[r] if d < 0.75 else f"c{rng.randrange(4)}") for r, d in draws.items() if d < 0.9}
    report = evaluate(
        assign({c: [r for r, g in given.items() if g == c] for c in set(given.values())}), truth
    )

    cluster = {r: given.get(r, ("alone", r)) for r in records}
    pairs = list(itertools.combinations(records, 2))
    predicted = {p for p in pairs if cluster[p[0]] == cluster[p[1]]}
    true = {p for p in pairs if records[p[0]] == records[p[1]]}
    assert (report.predicted_pairs, report.true_pairs, report.true_positive_pairs) == (
        len(predicted),
        len(true),
        len(predicted & true),
    )
    members: dict[object, set[str]] = {}
    for r, c in cluster.items():
        members.setdefault(c, set()).add(records[r])
    assert report.predicted_clusters == len(members)
    assert report.clusters_pure == sum(len(m) == 1 for m in members.values())
    whole = {p for p in set(records.values()) if len({cluster[r] for r in records if records[r] == p}) == 1}
    assert report.persons_one_piece == len(whole)
    merges = sum(
        any(cluster[x] == cluster[y] for x in records for y in records if records[x] == a and records[y] == b)
        for a, b in [("P0", "P1"), ("P2", "P3")]
    )
    assert report.twin_merges == merges
    size = {p: sum(q == p for q in records.values()) for p in persons}

    def linked(r: str) -> bool:
        return any(cluster[o] == cluster[r] and records[o] == records[r] for o in records if o != r)

    with_error = {r for r, _, _ in errors}
    for kind, (n, eligible, n_linked) in kinds(report).items():
        carrying = {
            r for r in records if (r not in with_error if kind == "clean" else (r, "name", kind) in errors)
        }
        assert n == len(carrying)
        assert eligible == sum(size[records[r]] >= 2 for r in carrying)
        assert n_linked == sum(size[records[r]] >= 2 and linked(r) for r in carrying)


def test_sample_world_truth_and_singletons() -> None:
    truth = pl.read_parquet(SAMPLE_TRUTH / TruthRecord.file)
    perfect = evaluate(truth.rename({"person_key": "person_id"}), SAMPLE_TRUTH)
    assert perfect.records == truth.height and perfect.records_unassigned == 0
    assert perfect.precision == perfect.recall == perfect.f1 == 1.0
    assert perfect.one_piece_share == perfect.one_piece_share_all == 1.0
    assert perfect.pure_share == perfect.pure_share_multi_record == 1.0
    assert perfect.twin_pairs > 0 and perfect.twin_merges == 0
    recalls = perfect.recall_by_error_kind()
    assert len(recalls) > 5 and all(v == 1.0 for v in recalls.values())

    alone = evaluate(truth.with_columns(person_id=pl.concat_str("source", "record_key")), SAMPLE_TRUTH)
    assert alone.predicted_clusters == truth.height
    assert alone.recall == 0.0 and alone.f1 == 0.0 and alone.precision is None
    assert alone.one_piece_share == 0.0 and alone.pure_share == 1.0
    assert all(v == 0.0 for v in alone.recall_by_error_kind().values())

    nothing = evaluate(truth.head(0).rename({"person_key": "person_id"}), SAMPLE_TRUTH)
    assert nothing.records_unassigned == truth.height and nothing.recall == 0.0
