"""How good are the findings, measured against a generated world's truth: `score_findings(found, truth_dir)`.

A published finding names a pseudonymous `person_id`; the truth names a `person_key`. The finding's
evidence bridges them: each evidence record_key is a truth record of some true person, and the finding
is taken to be about the true person most of its evidence belongs to (ties: the smallest key). Then:

- a finding is **correct** when the truth has a finding of the same type, true person and coverage
  year. Two published findings that land on the same truth finding (a person split in two, each half
  flagged) count once: the second is a false positive.
- **precision** = correct / published, **recall** = truth findings matched / truth findings, per type.
- for matched duplicates, how often the published `keep_record_key` and `resolution_rule` agree with
  the truth's, and for every matched finding how often the evidence is exactly the truth's record set.

A ratio with a zero denominator is None ("-"), never a made-up 0 or 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from schemas.findings import FindingType
from schemas.truth import TruthFinding, TruthRecord

KEY = ["finding_type", "person_key", "coverage_year"]


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


@dataclass(frozen=True)
class FindingTypeScore:
    finding_type: str
    published: int
    true: int
    correct: int  # published findings matching a truth finding (each truth finding at most once)
    keep_agrees: int  # of the correct ones: same keep_record_key (duplicates; 0 for other types)
    rule_agrees: int  # of the correct ones: same resolution_rule
    evidence_exact: int  # of the correct ones: exactly the truth's record_keys

    @property
    def precision(self) -> float | None:
        return _ratio(self.correct, self.published)

    @property
    def recall(self) -> float | None:
        return _ratio(self.correct, self.true)


@dataclass(frozen=True)
class FindingsReport:
    types: tuple[FindingTypeScore, ...]  # every FindingType, in declaration order

    def by_type(self) -> dict[str, FindingTypeScore]:
        return {t.finding_type: t for t in self.types}

    def as_rows(self) -> list[dict]:
        def show(value: float | None) -> str:
            return "-" if value is None else f"{value:.4f}"

        rows = []
        for t in self.types:
            duplicate = t.finding_type.startswith("duplicate_")
            rows.append(
                {
                    "finding type": t.finding_type,
                    "published": f"{t.published:,}",
                    "true": f"{t.true:,}",
                    "correct": f"{t.correct:,}",
                    "precision": show(t.precision),
                    "recall": show(t.recall),
                    "keep agrees": show(_ratio(t.keep_agrees, t.correct)) if duplicate else "",
                    "rule agrees": show(_ratio(t.rule_agrees, t.correct)) if duplicate else "",
                    "evidence exact": show(_ratio(t.evidence_exact, t.correct)),
                }
            )
        return rows


def _true_person_of_evidence(found: pl.DataFrame, truth_records: pl.DataFrame) -> pl.DataFrame:
    """Each published finding (by row index `i`) with the true person most of its evidence belongs to."""
    votes = (
        found.select("i", record_key=pl.col("record_keys"))
        .explode("record_key")
        .join(truth_records, on="record_key", how="left")
        .drop_nulls("person_key")
        .group_by("i", "person_key")
        .agg(votes=pl.len())
        .sort(["i", "votes", "person_key"], descending=[False, True, False])
        .unique("i", keep="first", maintain_order=True)
    )
    return found.join(votes.select("i", "person_key"), on="i", how="left")


def score_findings(found: pl.DataFrame, truth_dir: Path) -> FindingsReport:
    """Score published findings (the store's `findings` columns) against `truth_dir`'s findings."""
    truth_dir = Path(truth_dir)
    truth = pl.read_parquet(truth_dir / TruthFinding.file).with_columns(
        pl.col("finding_type").cast(pl.String), pl.col("coverage_year").cast(pl.Int64)
    )
    truth_records = pl.read_parquet(truth_dir / TruthRecord.file, columns=["record_key", "person_key"])
    if truth_records["record_key"].is_duplicated().any():
        raise ValueError(f"{truth_dir / TruthRecord.file}: record_key is not unique across sources")

    found = found.select(
        pl.col("finding_type").cast(pl.String),
        pl.col("coverage_year").cast(pl.Int64),
        "record_keys",
        "keep_record_key",
        pl.col("resolution_rule").cast(pl.String),
    ).with_row_index("i")
    placed = _true_person_of_evidence(found, truth_records)
    matched = (
        placed.drop_nulls("person_key")
        .sort("i")
        .unique(KEY, keep="first", maintain_order=True)  # a truth finding is matched at most once
        .join(truth, on=KEY, how="inner", suffix="_true")
        .with_columns(
            keep_agrees=pl.col("keep_record_key").eq_missing(pl.col("keep_record_key_true")),
            rule_agrees=pl.col("resolution_rule").eq_missing(pl.col("resolution_rule_true").cast(pl.String)),
            evidence_exact=pl.col("record_keys").list.sort() == pl.col("record_keys_true").list.sort(),
        )
    )
    counts = {
        name: frame.group_by("finding_type").agg(**aggs)
        for name, frame, aggs in (
            ("published", found, {"published": pl.len()}),
            ("true", truth, {"true": pl.len()}),
            (
                "matched",
                matched,
                {
                    "correct": pl.len(),
                    "keep_agrees": pl.col("keep_agrees").sum(),
                    "rule_agrees": pl.col("rule_agrees").sum(),
                    "evidence_exact": pl.col("evidence_exact").sum(),
                },
            ),
        )
    }
    table = pl.DataFrame({"finding_type": [t.value for t in FindingType]})
    for frame in counts.values():
        table = table.join(frame, on="finding_type", how="left")
    table = table.fill_null(0)
    return FindingsReport(
        types=tuple(
            FindingTypeScore(
                finding_type=row["finding_type"],
                published=int(row["published"]),
                true=int(row["true"]),
                correct=int(row["correct"]),
                keep_agrees=int(row["keep_agrees"]),
                rule_agrees=int(row["rule_agrees"]),
                evidence_exact=int(row["evidence_exact"]),
            )
            for row in table.iter_rows(named=True)
        )
    )
