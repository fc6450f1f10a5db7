"""Linkage quality: oneperson against two baselines, on the same records of one generated world.

Ingests the world's landing zone once (the ingest steps, no Prefect), then links its records three ways
and scores each against the world's truth with matching.evaluation.evaluate:

- oneperson: the committed model on identity profiles (matching.linkage.link_full);
- exact ID: records sharing the ID number as typed (trimmed, upper-cased; no 15 -> 18, no full-width
  repair) are one person, a record without an ID is alone (what most bureaus do today);
- plain Splink: a generic Splink 5 dedupe model on the records' raw columns, with comparisons from the
  comparison library only, trained without labels, as a data engineer would first write it.

    python benchmarks/linkage_baselines.py --persons 20000 --seed 1 [--markdown]
    python benchmarks/linkage_baselines.py --world DIR            # DIR/landing, DIR/truth
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import duckdb
import polars as pl
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from worlds import generate_world

from matching.evaluation import LinkageReport, evaluate
from matching.linkage import link_full
from matching.training import load
from oneperson.ingest import apply_pending
from oneperson.standardise import build_profiles, standardise
from oneperson.warehouse import connect

ERROR_KINDS = (
    "id_missing",
    "id_typo",
    "id_transposition",
    "id_legacy_15",
    "id_fullwidth",
    "name_homophone",
    "name_traditional",
    "name_dot_variant",
)
LINKERS = ("oneperson", "exact ID", "plain Splink")


def ingest(con: duckdb.DuckDBPyConnection, landing: Path) -> None:
    run_id = uuid.uuid4().hex
    apply_pending(con, landing, run_id)
    standardise(con)
    build_profiles(con)


def oneperson(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    link_full(con, load())
    return con.sql("SELECT source, record_key, cluster_id AS person_id FROM record_clusters").pl()


def exact_id(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Same typed ID (trimmed, upper-cased) = same person; no ID = alone. One GROUP BY."""
    return con.sql("""
        WITH keyed AS (
            SELECT source, record_key, upper(trim(id_raw)) AS id FROM std_identity
        ),
        persons AS (
            SELECT id, 'id:' || id AS person_id FROM keyed WHERE id IS NOT NULL AND id <> '' GROUP BY id
        )
        SELECT k.source, k.record_key, coalesce(p.person_id, 'record:' || k.source || ':' || k.record_key)
            AS person_id
        FROM keyed AS k LEFT JOIN persons AS p USING (id)""").pl()


def plain_splink_settings() -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            cl.LevenshteinAtThresholds("id_raw", [1, 2]),
            cl.JaroWinklerAtThresholds("name_raw", [0.9, 0.8]).configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("birth_date", input_is_string=False),
            cl.ExactMatch("sex"),
            cl.ExactMatch("region_code"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("id_raw"),
            block_on("name_raw", "birth_date"),
            block_on("substr(id_raw, 1, 10)"),
        ],
    )


def plain_splink(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """A generic Splink 5 dedupe model on the records, trained without labels, clustered at 0.95."""
    records = con.sql("""SELECT row_number() OVER (ORDER BY source, record_key) AS unique_id,
            source, record_key, id_raw, name_raw, birth_date, sex, region_code
        FROM std_identity""").pl()
    db = DuckDBAPI()  # its own in-memory database: nothing of the warehouse is shared
    linker = Linker(
        db.register(records.to_arrow(), dataset_display_name="records"),
        plain_splink_settings(),
        log_level=logging.WARNING,
    )
    linker.training.estimate_probability_two_random_records_match([block_on("id_raw")], recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth_date"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("id_raw"))
    predictions = linker.inference.predict(threshold_match_probability=0.01)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=0.95
    )
    ids = clusters.query_sql("SELECT unique_id, cluster_id FROM {this}").as_pyarrow_table()
    return (
        records.select("unique_id", "source", "record_key")
        .join(pl.from_arrow(ids), on="unique_id", how="left")
        .select("source", "record_key", person_id=pl.col("cluster_id").cast(pl.String))
    )


def share(count: int, of: int) -> str:
    return f"{count / of:.4f}" if of else "-"


def table(reports: dict[str, LinkageReport], seconds: dict[str, float]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the side-by-side table."""
    first = next(iter(reports.values()))
    kinds = {e.error_kind: e for e in first.error_kinds}
    rows: list[tuple[str, Callable[[LinkageReport], str]]] = [
        ("pairwise precision", lambda r: share(r.true_positive_pairs, r.predicted_pairs)),
        ("pairwise recall", lambda r: share(r.true_positive_pairs, r.true_pairs)),
        ("pairwise F1", lambda r: share(2 * r.true_positive_pairs, r.predicted_pairs + r.true_pairs)),
        (
            f"persons in one piece (of {first.persons_multi_record:,} with >= 2 records)",
            lambda r: share(r.persons_multi_record_one_piece, r.persons_multi_record),
        ),
        (f"twin pairs merged (of {first.twin_pairs:,})", lambda r: f"{r.twin_merges:,}"),
        ("predicted persons (clusters)", lambda r: f"{r.predicted_clusters:,}"),
    ]
    for kind in ERROR_KINDS:
        eligible = kinds[kind].eligible if kind in kinds else 0

        def recall(r: LinkageReport, kind: str = kind) -> str:
            e = {e.error_kind: e for e in r.error_kinds}.get(kind)
            return share(e.linked, e.eligible) if e else "-"

        rows.append((f"recall: {kind} (of {eligible:,} records)", recall))
    body = [[label, *(show(reports[name]) for name in LINKERS)] for label, show in rows]
    body.append(
        [
            "wall time of the linking step",
            *(f"{seconds[name]:.{1 if seconds[name] >= 10 else 2}f} s" for name in LINKERS),
        ]
    )
    return ["", *LINKERS], body


def render(header: list[str], body: list[list[str]], markdown: bool) -> str:
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
        lines += ["| " + " | ".join(row) + " |" for row in body]
        return "\n".join(lines)
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]

    def line(row: list[str]) -> str:
        cells = zip(row, widths, strict=True)
        return "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(cells))

    lines = [line(row) for row in [header, *body]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", type=Path, default=None, help="a generated world (DIR/landing, DIR/truth)")
    parser.add_argument("--persons", type=int, default=20_000, help="persons of the world to generate")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = parser.parse_args()
    command = "python " + " ".join(shlex.quote(a) for a in sys.argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="oneperson-baselines-") as tmp:
        world = args.world
        origin = str(world)
        if world is None:
            origin = f"generated, --persons {args.persons} --seed {args.seed}"
            world = Path(tmp) / "world"
            print(f"generating {args.persons:,} persons (seed {args.seed}) ...", file=sys.stderr, flush=True)
            generate_world(args.persons, args.seed, world)
        print("ingesting ...", file=sys.stderr, flush=True)
        con = connect(Path(tmp) / "warehouse.duckdb")
        ingest(con, world / "landing")
        records, profiles = con.execute(
            "SELECT count(*), count(DISTINCT profile_id) FROM std_identity"
        ).fetchall()[0]
        reports: dict[str, LinkageReport] = {}
        seconds: dict[str, float] = {}
        for name, link in zip(LINKERS, (oneperson, exact_id, plain_splink), strict=True):
            print(f"linking: {name} ...", file=sys.stderr, flush=True)
            t = time.perf_counter()
            assignments = link(con)
            seconds[name] = time.perf_counter() - t
            reports[name] = evaluate(assignments, world / "truth")
        con.close()
    first = reports[LINKERS[0]]
    header, body = table(reports, seconds)
    print(f"command: {command}")
    print(
        f"world: {origin} - {first.true_persons:,} persons with records, {records:,} current records, "
        f"{profiles:,} identity profiles, {first.twin_pairs:,} twin pairs"
    )
    print(
        "linking step: oneperson = link_full with the committed model (no training); exact ID = one "
        "GROUP BY; plain Splink = training (lambda, u, 2 x EM) + predict + cluster"
    )
    print()
    print(render(header, body, args.markdown))
    print()
    print(f"whole script: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
