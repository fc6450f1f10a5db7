"""The linkage model on Splink's Spark backend (local[2]) gives the same persons as on DuckDB."""

from pathlib import Path

import pytest
from warehouses import ingest_landing

from matching.linkage import link_full
from matching.spark import BACKEND_ENV, backend
from matching.training import load
from oneperson.warehouse import connect


def linked(path: Path) -> tuple[set, dict]:
    con = connect(path)
    ingest_landing(con)
    result = link_full(con, load())
    persons = con.execute("SELECT source, record_key, cluster_id FROM record_clusters").fetchall()
    links = {
        (least, greatest): p
        for least, greatest, p in con.execute(
            "SELECT least(unique_id_l, unique_id_r), greatest(unique_id_l, unique_id_r), match_probability "
            "FROM profile_links"
        ).fetchall()
    }
    con.close()
    assert result.mode == "full" and persons
    return set(persons), links


def test_the_spark_backend_gives_the_same_persons_as_duckdb(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ONEPERSON_PSEUDONYM_KEY", "test-key")
    monkeypatch.setenv("ONEPERSON_SPARK_MASTER", "local[2]")
    on_duckdb = linked(tmp_path / "duckdb.duckdb")
    monkeypatch.setenv(BACKEND_ENV, "spark")
    assert backend() == "spark"
    on_spark = linked(tmp_path / "spark.duckdb")
    assert on_spark[0] == on_duckdb[0]  # every record in the same person, ids included
    assert on_spark[1].keys() == on_duckdb[1].keys()  # the same pairs scored and kept
    assert all(on_spark[1][k] == pytest.approx(on_duckdb[1][k], rel=1e-9) for k in on_duckdb[1])


def test_an_unknown_backend_is_named(monkeypatch) -> None:
    monkeypatch.setenv(BACKEND_ENV, "sparkk")
    with pytest.raises(ValueError, match="ONEPERSON_LINKAGE_BACKEND='sparkk': expected duckdb or spark"):
        backend()
