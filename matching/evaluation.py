"""How good is a linkage, measured against a generated world's truth: `evaluate(assignments, truth_dir)`.

`assignments` has one row per source record: `source`, `record_key`, `person_id` (the cluster the
linkage put the record in; any string, only equality matters). The records scored are the truth's
(`truth/records.parquet`, the final state of the world):

- a truth record with no row in `assignments`, or with a null `person_id`, is *unassigned*: it
  counts as a singleton cluster of its own (and in `records_unassigned`);
- a row of `assignments` that is not a truth record, or a record given twice, is an error
  (`ValueError`): the linkage was run on another world or is broken, and no score means anything then.

Definitions (n(n-1)/2 is the number of pairs in a group of n records; nothing enumerates pairs):

- **pairs**: `predicted_pairs` = sum over predicted clusters, `true_pairs` = sum over true persons,
  `true_positive_pairs` = sum over the groups of records sharing both the predicted cluster and the
  true person. precision = tp / predicted, recall = tp / true, F1 = 2 tp / (predicted + true) (the
  harmonic mean of the two, and still defined when one of them is not).
- **one piece**: a true person is kept in one piece when all their records are in one predicted
  cluster (an unassigned record is a cluster of its own, so a person with one record always is).
  Whether that cluster also holds other persons is purity's business, not this one's.
- **pure**: a predicted cluster whose records all belong to one true person (unassigned singletons
  are pure clusters; `clusters_multi_record_pure` leaves singletons out).
- **twin merges**: twin pairs (`TruthPerson.twin_of`, unordered, each pair once) with at least one
  predicted cluster holding a record of each; evaluated over pairs where both twins have records.
- **per-error-kind recall**: a record is *linked* when its predicted cluster holds at least one other
  record of its true person. Among records whose true person has at least two records (others cannot
  be linked to anyone), per `error_kind` of `truth/record_errors.parquet` (a record counts once per
  kind, whatever the number of fields carrying it) the share linked; `clean` is the same figure over
  records with no error at all.

A ratio whose denominator is zero is None (shown as "-"), never a made-up 0 or 1: with every record
alone, precision is None, recall 0.0 and F1 0.0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from schemas.truth import TruthPerson, TruthRecord, TruthRecordError

KEY = ["source", "record_key"]
CLEAN = "clean"


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _pairs(n: pl.Expr) -> pl.Expr:
    n = n.cast(pl.Int64)
    return (n * (n - 1) // 2).sum()


@dataclass(frozen=True)
class ErrorKindRecall:
    """Records carrying one error kind (or none: `clean`), and how many of them were linked."""

    error_kind: str
    records: int  # records carrying the kind
    eligible: int  # of those, records whose true person has >= 2 records
    linked: int  # of those, records whose predicted cluster holds another record of their person

    @property
    def recall(self) -> float | None:
        return _ratio(self.linked, self.eligible)


@dataclass(frozen=True)
class LinkageReport:
    records: int  # truth records (final state)
    true_persons: int  # true persons with at least one record
    predicted_clusters: int  # distinct person_id, plus one per unassigned record
    records_unassigned: int

    predicted_pairs: int
    true_pairs: int
    true_positive_pairs: int

    persons_one_piece: int  # over all true persons
    persons_multi_record: int  # true persons with >= 2 records
    persons_multi_record_one_piece: int

    clusters_pure: int  # over all predicted clusters (unassigned singletons included)
    clusters_multi_record: int  # predicted clusters with >= 2 records
    clusters_multi_record_pure: int

    twin_pairs: int  # twin pairs where both twins have records
    twin_merges: int  # of those, pairs sharing a predicted cluster

    error_kinds: tuple[ErrorKindRecall, ...] = field(default=())  # sorted by kind
    clean: ErrorKindRecall = field(default_factory=lambda: ErrorKindRecall(CLEAN, 0, 0, 0))

    @property
    def precision(self) -> float | None:
        return _ratio(self.true_positive_pairs, self.predicted_pairs)

    @property
    def recall(self) -> float | None:
        return _ratio(self.true_positive_pairs, self.true_pairs)

    @property
    def f1(self) -> float | None:
        return _ratio(2 * self.true_positive_pairs, self.predicted_pairs + self.true_pairs)

    @property
    def one_piece_share(self) -> float | None:
        """Share of true persons with >= 2 records kept in one piece."""
        return _ratio(self.persons_multi_record_one_piece, self.persons_multi_record)

    @property
    def one_piece_share_all(self) -> float | None:
        return _ratio(self.persons_one_piece, self.true_persons)

    @property
    def pure_share(self) -> float | None:
        return _ratio(self.clusters_pure, self.predicted_clusters)

    @property
    def pure_share_multi_record(self) -> float | None:
        return _ratio(self.clusters_multi_record_pure, self.clusters_multi_record)

    def recall_by_error_kind(self) -> dict[str, float | None]:
        """Per-error-kind recall, `clean` included (last)."""
        return {e.error_kind: e.recall for e in (*self.error_kinds, self.clean)}

    def as_table(self) -> list[dict]:
        """Rows of {metric, value, count, of}: a ratio's value is count / of; a count has only value."""

        def ratio(metric: str, count: int, of: int) -> dict:
            return {"metric": metric, "value": _ratio(count, of), "count": count, "of": of}

        def number(metric: str, value: int) -> dict:
            return {"metric": metric, "value": value, "count": None, "of": None}

        rows = [
            number("records", self.records),
            number("records unassigned", self.records_unassigned),
            number("true persons", self.true_persons),
            number("predicted clusters", self.predicted_clusters),
            ratio("pairwise precision", self.true_positive_pairs, self.predicted_pairs),
            ratio("pairwise recall", self.true_positive_pairs, self.true_pairs),
            ratio("pairwise F1", 2 * self.true_positive_pairs, self.predicted_pairs + self.true_pairs),
            ratio(
                "persons in one piece (>= 2 records)",
                self.persons_multi_record_one_piece,
                self.persons_multi_record,
            ),
            ratio("persons in one piece (all)", self.persons_one_piece, self.true_persons),
            ratio(
                "pure clusters (>= 2 records)", self.clusters_multi_record_pure, self.clusters_multi_record
            ),
            ratio("pure clusters (all)", self.clusters_pure, self.predicted_clusters),
            ratio("twin pairs merged", self.twin_merges, self.twin_pairs),
        ]
        rows += [
            ratio(f"linked: {e.error_kind}", e.linked, e.eligible) for e in (*self.error_kinds, self.clean)
        ]
        return rows

    def __str__(self) -> str:
        def show(value: float | int | None) -> str:
            if value is None:
                return "-"
            return f"{value:.4f}" if isinstance(value, float) else f"{value:,}"

        rows = self.as_table()
        width = max(len(r["metric"]) for r in rows)
        lines = []
        for r in rows:
            line = f"{r['metric']:<{width}}  {show(r['value']):>10}"
            if r["of"] is not None:
                line += f"  ({r['count']:,} / {r['of']:,})"
            lines.append(line)
        return "\n".join(lines)


def _read_assignments(assignments: pl.DataFrame) -> pl.DataFrame:
    missing = {"source", "record_key", "person_id"} - set(assignments.columns)
    if missing:
        raise ValueError(f"assignments lack column(s): {', '.join(sorted(missing))}")
    return assignments.select(pl.col("source", "record_key", "person_id").cast(pl.String))


def _join_truth(truth: pl.DataFrame, given: pl.DataFrame, where: Path) -> pl.DataFrame:
    """One row per truth record with its person_id (null: unassigned); raise on unknown or repeated keys."""
    joined = truth.with_columns(_truth=pl.lit(True)).join(given, on=KEY, how="full", coalesce=True)
    unknown = joined.filter(pl.col("_truth").is_null())
    if unknown.height:
        first = unknown.row(0, named=True)
        raise ValueError(
            f"{unknown.height:,} assigned records are not in {where}, "
            f"e.g. {first['source']} {first['record_key']}"
        )
    if joined.height != truth.height:  # some key matched twice; only then pay for finding which
        repeated = given.filter(pl.struct(KEY).is_duplicated())
        if not repeated.height:
            raise ValueError(f"{where} holds a record more than once")
        first = repeated.row(0, named=True)
        raise ValueError(
            f"{repeated.height:,} assignment rows give a record more than once, "
            f"e.g. {first['source']} {first['record_key']}"
        )
    return joined.select(*KEY, "person_key", "person_id")


def evaluate(assignments: pl.DataFrame, truth_dir: Path) -> LinkageReport:
    """Score `assignments` (source, record_key, person_id) against the truth under `truth_dir`."""
    truth_dir = Path(truth_dir)
    truth = pl.read_parquet(truth_dir / TruthRecord.file, columns=[*KEY, "person_key"])
    joined = _join_truth(truth, _read_assignments(assignments), truth_dir / TruthRecord.file)

    # Per record: `together` = records sharing its cluster and its true person (itself included; an
    # unassigned record is alone), `person_records` = records of its true person.
    assigned = pl.col("person_id").is_not_null()
    records = joined.with_row_index("i").with_columns(
        together=pl.when(assigned).then(pl.len().over("person_id", "person_key")).otherwise(1),
        person_records=pl.len().over("person_key"),
    )
    both = records.lazy().filter(assigned).group_by("person_id", "person_key").agg(n=pl.len()).collect()
    clusters = both.lazy().group_by("person_id").agg(n=pl.col("n").sum(), persons=pl.len())
    persons = (
        records.lazy()
        .group_by("person_key")
        .agg(
            n=pl.len(),
            one_piece=(pl.col("together") == pl.col("person_records")).any(),  # all records in one cluster
        )
    )

    # Per-error-kind recall, over records whose true person has >= 2 records.
    flags = records.lazy().select(
        *KEY, "i", eligible=pl.col("person_records") >= 2, linked=pl.col("together") >= 2
    )
    errors = (
        pl.scan_parquet(truth_dir / TruthRecordError.file)
        .select(*KEY, "error_kind")
        .join(flags, on=KEY)
        .unique(["i", "error_kind"])  # a kind on two fields of a record counts once
        .collect()
    )

    def recall_counts(frame: pl.LazyFrame, *by: str) -> pl.LazyFrame:
        counts = {
            "records": pl.len(),
            "eligible": pl.col("eligible").sum(),
            "linked": (pl.col("eligible") & pl.col("linked")).sum(),
        }
        return frame.group_by(*by).agg(**counts).sort(*by) if by else frame.select(**counts)

    by_kind = recall_counts(errors.lazy(), "error_kind")
    clean = recall_counts(flags.filter(~pl.col("i").is_in(errors["i"].unique().implode())))

    # Twin pairs, unordered, both twins with records; merged when some cluster holds both.
    with_records = persons.select("person_key")
    twins = (
        pl.scan_parquet(truth_dir / TruthPerson.file)
        .select("person_key", "twin_of")
        .drop_nulls()
        .select(
            a=pl.min_horizontal("person_key", "twin_of"),
            b=pl.max_horizontal("person_key", "twin_of"),
        )
        .filter(pl.col("a") != pl.col("b"))
        .unique()
        .join(with_records, left_on="a", right_on="person_key", how="semi")
        .join(with_records, left_on="b", right_on="person_key", how="semi")
    )
    cluster_person = both.lazy().select("person_id", "person_key")
    merged = (
        twins.join(cluster_person, left_on="a", right_on="person_key")
        .join(cluster_person, left_on=["person_id", "b"], right_on=["person_id", "person_key"], how="semi")
        .unique(["a", "b"])
    )

    stats = pl.collect_all(
        [
            records.lazy().select(records=pl.len(), records_unassigned=pl.col("person_id").null_count()),
            persons.select(
                true_persons=pl.len(),
                true_pairs=_pairs(pl.col("n")),
                persons_one_piece=pl.col("one_piece").sum(),
                persons_multi_record=(pl.col("n") >= 2).sum(),
                persons_multi_record_one_piece=((pl.col("n") >= 2) & pl.col("one_piece")).sum(),
            ),
            clusters.select(
                assigned_clusters=pl.len(),
                predicted_pairs=_pairs(pl.col("n")),
                assigned_pure=(pl.col("persons") == 1).sum(),
                clusters_multi_record=(pl.col("n") >= 2).sum(),
                clusters_multi_record_pure=((pl.col("n") >= 2) & (pl.col("persons") == 1)).sum(),
            ),
            both.lazy().select(true_positive_pairs=_pairs(pl.col("n"))),
            twins.select(twin_pairs=pl.len()),
            merged.select(twin_merges=pl.len()),
            clean,
            by_kind,
        ]
    )
    f = {k: v for frame in stats[:-2] for k, v in frame.row(0, named=True).items()}
    unassigned = f["records_unassigned"]

    def recall_of(kind: str, row: dict) -> ErrorKindRecall:
        return ErrorKindRecall(kind, int(row["records"]), int(row["eligible"]), int(row["linked"]))

    return LinkageReport(
        records=f["records"],
        true_persons=f["true_persons"],
        predicted_clusters=f["assigned_clusters"] + unassigned,
        records_unassigned=unassigned,
        predicted_pairs=f["predicted_pairs"],
        true_pairs=f["true_pairs"],
        true_positive_pairs=f["true_positive_pairs"],
        persons_one_piece=f["persons_one_piece"],
        persons_multi_record=f["persons_multi_record"],
        persons_multi_record_one_piece=f["persons_multi_record_one_piece"],
        clusters_pure=f["assigned_pure"] + unassigned,
        clusters_multi_record=f["clusters_multi_record"],
        clusters_multi_record_pure=f["clusters_multi_record_pure"],
        twin_pairs=f["twin_pairs"],
        twin_merges=f["twin_merges"],
        error_kinds=tuple(recall_of(row["error_kind"], row) for row in stats[-1].iter_rows(named=True)),
        clean=recall_of(CLEAN, stats[-2].row(0, named=True)),
    )
