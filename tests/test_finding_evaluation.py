"""oneperson.finding_evaluation: exact per-type figures on a hand-built truth."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from oneperson.finding_evaluation import score_findings
from schemas.findings import FindingType
from schemas.truth import TruthFinding, TruthRecord

RECORDS = {  # record_key -> true person
    "11|A|390|2025": "P1",
    "44|B|310|2025": "P1",
    "T1": "P1",
    "11|C|390|2025": "P2",
    "R2": "P2",
    "11|D|390|2026": "P3",
}


def _truth(folder: Path) -> Path:
    TruthRecord.write(
        pl.DataFrame(
            {
                "source": ["enrollment"] * len(RECORDS),
                "record_key": list(RECORDS),
                "person_key": list(RECORDS.values()),
            }
        ),
        folder,
    )
    TruthFinding.write(
        pl.DataFrame(
            {
                "finding_type": ["duplicate_cross_province", "missing_enrollment", "enrolled_not_paid"],
                "person_key": ["P1", "P2", "P3"],
                "coverage_year": [2025, 2026, 2026],
                "record_keys": [["11|A|390|2025", "44|B|310|2025"], ["R2"], ["11|D|390|2026"]],
                "keep_record_key": ["44|B|310|2025", None, None],
                "resolution_rule": ["employee_continuous", None, None],
            }
        ),
        folder,
    )
    return folder


def _found(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "finding_type": pl.String,
            "person_id": pl.String,
            "coverage_year": pl.Int32,
            "record_keys": pl.List(pl.String),
            "keep_record_key": pl.String,
            "resolution_rule": pl.String,
        },
        orient="row",
    )


def test_per_type_precision_recall_and_agreement(tmp_path: Path) -> None:
    found = _found(
        [
            # right person, year and type; evidence complete, but the other enrollment kept
            ("duplicate_cross_province", "Px", 2025, ["44|B|310|2025", "11|A|390|2025"], "11|A|390|2025",
             "first_paid_wins"),
            # right person and type, with an extra record in the evidence
            ("missing_enrollment", "Py", 2026, ["R2", "11|C|390|2025"], None, None),
            # the same truth finding again, from a second (split) person: a false positive
            ("missing_enrollment", "Pz", 2026, ["R2"], None, None),
            # wrong year
            ("enrolled_not_paid", "Pw", 2025, ["11|D|390|2026"], None, None),
        ]
    )  # fmt: skip
    report = score_findings(found, _truth(tmp_path)).by_type()

    dup = report["duplicate_cross_province"]
    assert (dup.published, dup.true, dup.correct, dup.precision, dup.recall) == (1, 1, 1, 1.0, 1.0)
    assert (dup.keep_agrees, dup.rule_agrees, dup.evidence_exact) == (0, 0, 1)

    missing = report["missing_enrollment"]
    assert (missing.published, missing.true, missing.correct) == (2, 1, 1)
    assert (missing.precision, missing.recall, missing.evidence_exact) == (0.5, 1.0, 0)

    unpaid = report["enrolled_not_paid"]
    assert (unpaid.published, unpaid.true, unpaid.correct, unpaid.precision, unpaid.recall) == (
        1,
        1,
        0,
        0.0,
        0.0,
    )

    none = report["deceased_enrolled"]  # neither published nor true: no ratio is made up
    assert (none.published, none.true, none.precision, none.recall) == (0, 0, None, None)
    rows = score_findings(found, tmp_path).as_rows()
    assert [r["finding type"] for r in rows] == [t.value for t in FindingType]


def test_evidence_from_two_persons_goes_to_the_majority(tmp_path: Path) -> None:
    found = _found([("missing_enrollment", "Pm", 2026, ["R2", "11|C|390|2025", "T1"], None, None)])
    report = score_findings(found, _truth(tmp_path)).by_type()
    assert report["missing_enrollment"].correct == 1
