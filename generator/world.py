"""`oneperson generate`: a synthetic world with its landing zone and its truth.

population -> life events -> clean records -> truth (who is who, which findings) ->
clerk errors -> delivery (batches, formats, encodings, mess). Deterministic for a seed.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from generator.clerk_errors import apply_clerk_errors
from generator.config import WorldConfig
from generator.delivery import write_landing
from generator.life import simulate
from generator.population import build_population
from oneperson.rules import compute_findings
from schemas.truth import TruthFinding, TruthMalformed, TruthPerson, TruthRecord, TruthRecordError, TruthTable

Step = Callable[[str], None]

STEPS = ("population", "life events", "truth findings", "clerk errors", "delivery", "truth tables")


def generate(config: WorldConfig, out: Path, step: Step = lambda _: None) -> dict[str, int]:
    """Write `out/landing/` and `out/truth/`; return row counts per source and truth table."""
    if out.exists():
        for sub in ("landing", "truth"):
            shutil.rmtree(out / sub, ignore_errors=True)
    (out / "truth").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(config.seed)

    step("population")
    pop = build_population(config, rng)
    step("life events")
    clean, persons = simulate(pop, config, rng)
    step("truth findings")
    findings = true_findings(clean, config)
    step("clerk errors")
    typed, error_logs = {}, []
    for source, frame in clean.items():
        typed[source], log = apply_clerk_errors(frame, source, config.errors[source], config.seed)
        error_logs.append(log)
    step("delivery")
    malformed = write_landing(typed, config, out, config.seed)
    step("truth tables")
    records = pl.concat(
        [
            f.select(source=pl.lit(s), record_key="record_key", person_key="person_key")
            for s, f in clean.items()
        ]
    )
    tables: dict[type[TruthTable], pl.DataFrame] = {
        TruthPerson: persons.select(
            "person_key",
            "id_number",
            "name",
            "sex",
            "birth_date",
            "hukou_region_code",
            "birth_region_code",
            "died_on",
            "twin_of",
            "traits",
        ),
        TruthRecord: records.sort("source", "record_key"),
        TruthRecordError: pl.concat(error_logs).sort("source", "record_key", "field", "error_kind"),
        TruthFinding: findings,
        TruthMalformed: malformed.sort("source", "batch", "file_name", "line"),
    }
    for model, frame in tables.items():
        model.write(frame, out / "truth")
    counts = {f"landing/{s}": f.height for s, f in clean.items()}
    counts.update({f"truth/{m.file}": f.height for m, f in tables.items()})
    return counts


def true_findings(clean: dict[str, pl.DataFrame], config: WorldConfig) -> pl.DataFrame:
    """CONTRACT §2 applied to the clean final records joined on the true person."""
    con = duckdb.connect()
    for source, frame in clean.items():
        view = frame.with_columns(
            person=pl.col("person_key"), link_probability=pl.lit(None, dtype=pl.Float64)
        )
        con.register(f"_{source}", view.to_arrow())
        con.execute(f"CREATE TEMP TABLE {source} AS SELECT * FROM _{source}")
    years = ", ".join(f"({y})" for y in config.coverage_years)
    con.execute(
        f"CREATE TEMP TABLE coverage_years AS SELECT coverage_year::INTEGER AS coverage_year "
        f"FROM (VALUES {years}) t(coverage_year)"
    )
    found = compute_findings(con).pl()
    con.close()
    return found.select(
        "finding_type",
        person_key="person",
        coverage_year=pl.col("coverage_year").cast(pl.Int64),
        record_keys="record_keys",
        keep_record_key="keep_record_key",
        resolution_rule="resolution_rule",
    ).sort("finding_type", "person_key", "coverage_year")
