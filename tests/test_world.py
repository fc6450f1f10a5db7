"""The generated world: valid against the contract, deterministic, and telling the truth."""

import hashlib
from pathlib import Path

import polars as pl
import pytest
from warehouses import SAMPLE

from generator.check import check_world
from generator.config import WorldConfig
from generator.world import generate
from matching.id_numbers import has_valid_check


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    generate(WorldConfig(persons=3000, seed=5), out)
    return out


def test_world_validates_against_the_contract(world: Path) -> None:
    report = check_world(world)
    assert report.problems == []
    assert report.finding_types == 8
    assert {s.source for s in report.sources} == {
        "enrollment",
        "tax",
        "public_security",
        "education",
        "civil_affairs",
    }
    assert sum(s.malformed_found for s in report.sources) == WorldConfig().malformed_rows


def test_same_seed_gives_byte_identical_output(world: Path, tmp_path: Path) -> None:
    generate(WorldConfig(persons=3000, seed=5), tmp_path)
    assert tree_digest(tmp_path) == tree_digest(world)


def test_committed_sample_is_what_the_generator_makes(tmp_path: Path) -> None:
    """data/sample must be regenerated whenever the generator changes (see README)."""
    generate(WorldConfig(persons=2000, seed=1), tmp_path)
    assert tree_digest(tmp_path) == tree_digest(SAMPLE)


def test_deliveries_cover_every_format_encoding_and_mess(world: Path) -> None:
    d = pl.read_parquet(world / "truth" / "deliveries.parquet")
    assert set(d["fmt"]) == {"csv", "csv.gz", "parquet"}
    assert {"utf-8", "utf-8-sig", "gb18030"} <= set(d["encoding"].drop_nulls())
    assert set(d["headers"]) == {"en", "zh"}
    assert set(d["crlf"].drop_nulls()) == {True, False}
    assert d["redelivered_of"].drop_nulls().len() == 1
    assert d["extra_column"].drop_nulls().len() >= 1 and d["columns_shuffled"].any()
    assert any((world / "landing").rglob("manifest.json"))
    gb = next(
        world / "landing" / r["source"] / r["batch"] / r["file_name"]
        for r in d.filter(pl.col("encoding") == "gb18030").iter_rows(named=True)
    )
    with pytest.raises(UnicodeDecodeError):
        gb.read_bytes().decode("utf-8")


def test_population_has_valid_ids_twins_and_namesakes(world: Path) -> None:
    persons = pl.read_parquet(world / "truth" / "persons.parquet")
    assert persons["id_number"].n_unique() == persons.height
    assert all(has_valid_check(i) for i in persons["id_number"])
    twins = persons.filter(pl.col("twin_of").is_not_null()).join(
        persons, left_on="twin_of", right_on="person_key", suffix="_twin"
    )
    assert twins.height >= 20
    # Twins share birthplace code and birth date; their numbers differ only in the sequence part.
    assert (twins["id_number"].str.slice(0, 14) == twins["id_number_twin"].str.slice(0, 14)).all()
    assert (twins["id_number"] != twins["id_number_twin"]).all()
    assert persons["name"].is_duplicated().sum() > persons.height * 0.05  # common-name collisions
    assert persons["name"].str.contains("\u00b7").any()  # minority names
    compound = "^(欧阳|司马|诸葛|上官|司徒|东方|皇甫|夏侯|慕容|尉迟|令狐|公孙|长孙|宇文)"
    assert persons["name"].str.contains(compound).any()


def test_clerk_errors_are_recorded_and_visible_in_the_landing_zone(world: Path) -> None:
    errors = pl.read_parquet(world / "truth" / "record_errors.parquet")
    kinds = set(errors["error_kind"])
    assert {
        "id_typo",
        "id_transposition",
        "id_missing",
        "id_legacy_15",
        "id_fullwidth",
        "name_homophone",
        "name_traditional",
        "name_spaces",
        "name_dot_variant",
        "date_variant",
        "sex_variant",
    } <= kinds
    missing_ids = errors.filter(pl.col("error_kind") == "id_missing").group_by("source").len()
    per_source = dict(zip(missing_ids["source"], missing_ids["len"], strict=True))
    assert per_source["education"] > per_source.get("tax", 0)  # schools lack numbers most often


def test_truth_findings_agree_with_the_life_events(world: Path) -> None:
    persons = pl.read_parquet(world / "truth" / "persons.parquet")
    findings = pl.read_parquet(world / "truth" / "findings.parquet")

    def with_trait(trait: str) -> set[str]:
        return set(persons.filter(pl.col("traits").list.contains(trait))["person_key"])

    def flagged(kind: str) -> set[str]:
        return set(findings.filter(pl.col("finding_type") == kind)["person_key"])

    kept = with_trait("moved_hukou_old_enrollment_kept")
    assert len(kept & flagged("duplicate_cross_province")) >= 0.5 * len(kept)
    # A move whose old enrollment was ended is a hard negative: no cross-province duplicate from it.
    ended = with_trait("moved_hukou_old_enrollment_ended") - with_trait("migrant_worker")
    assert not ended & flagged("duplicate_cross_province")
    assert with_trait("migrant_keeps_390_at_home") <= flagged("duplicate_cross_scheme")
    assert with_trait("death_not_propagated") & flagged("deceased_enrolled")
    assert not with_trait("death_propagated") & flagged("deceased_enrolled")
    assert with_trait("assistance_not_subsidized") & flagged("assistance_not_subsidized")
    assert with_trait("payment_push_lost") & flagged("paid_not_enrolled")
    dups = findings.filter(pl.col("finding_type").str.starts_with("duplicate_"))
    assert dups["keep_record_key"].is_not_null().all()
    assert set(dups["resolution_rule"]) == {
        "student_school_place",
        "employee_continuous",
        "resident_hukou_place",
        "employee_most_recent",
        "first_paid_wins",
    }
    assert all(k in keys for k, keys in zip(dups["keep_record_key"], dups["record_keys"], strict=True))
