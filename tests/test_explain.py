"""`explain`: an offline page of waterfall charts for a person's links, ID numbers masked."""

import re
import shutil
import subprocess
import uuid
from pathlib import Path

import duckdb
import pytest

from matching.explain import MAX_EDGES, explain_person, mask_id
from matching.linkage import CLUSTER_THRESHOLD, link_full
from matching.training import load
from oneperson.ingest import apply_source
from oneperson.landing import pending
from oneperson.standardise import build_profiles, standardise
from oneperson.warehouse import connect

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    con = connect(tmp_path_factory.mktemp("explain") / "w.duckdb")
    for batches in pending(con, SAMPLE / "landing").values():
        apply_source(con, batches, uuid.uuid4().hex)
    standardise(con)
    build_profiles(con)
    link_full(con, load())
    return con


def test_mask_keeps_region_and_check_character_only() -> None:
    assert mask_id("11010519491231002X") == "110105***********X"


def test_page_is_offline_masked_and_has_a_chart_per_link(
    linked: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    cluster, n_profiles = linked.execute(
        """SELECT cluster_id, count(*) FROM profile_clusters
           GROUP BY cluster_id HAVING count(*) >= 3 ORDER BY count(*) DESC, cluster_id LIMIT 1"""
    ).fetchall()[0]
    edges = linked.execute(
        """SELECT count(*) FROM profile_links WHERE match_probability >= ?
           AND unique_id_l IN (SELECT profile_id FROM profile_clusters WHERE cluster_id = ?)
           AND unique_id_r IN (SELECT profile_id FROM profile_clusters WHERE cluster_id = ?)""",
        [CLUSTER_THRESHOLD, cluster, cluster],
    ).fetchall()[0][0]
    page = explain_person(linked, cluster, load(), tmp_path / "person.html")
    html = page.read_text(encoding="utf-8")
    assert "<script src" not in html and "<link " not in html  # nothing fetched: works offline
    assert "vegaEmbed" in html
    assert 0 < html.count('class="chart"') <= min(edges, MAX_EDGES + n_profiles)
    ids = [
        i
        for (i,) in linked.execute(
            """SELECT DISTINCT id_std FROM std_identity WHERE id_std IS NOT NULL
           AND profile_id IN (SELECT profile_id FROM profile_clusters WHERE cluster_id = ?)""",
            [cluster],
        ).fetchall()
    ]
    assert ids and not any(re.search(i, html) for i in ids)  # no full ID number anywhere
    if shutil.which("chromium"):  # drawn in a real (headless) browser
        png = tmp_path / "person.png"
        subprocess.run(
            [
                "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--no-first-run",
                f"--user-data-dir={tmp_path / 'chrome'}",
                "--virtual-time-budget=5000",
                f"--screenshot={png}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        assert png.stat().st_size > 20_000


def test_a_person_with_one_profile_gets_a_page_saying_so(
    linked: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    cluster = linked.execute(
        """SELECT cluster_id FROM profile_clusters GROUP BY cluster_id HAVING count(*) = 1
           ORDER BY cluster_id LIMIT 1"""
    ).fetchall()[0][0]
    html = explain_person(linked, cluster, load(), tmp_path / "single.html").read_text(encoding="utf-8")
    assert 'class="chart"' not in html and "Records" in html
