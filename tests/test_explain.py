"""The person explanation page: offline, one waterfall chart per link, ID numbers masked."""

import re
from pathlib import Path

import duckdb
import pytest
from browsers import CHROMIUM, render
from warehouses import ingest_landing

from matching.explain import explain_person, mask_id, select_edges
from matching.linkage import CLUSTER_THRESHOLD, link_full
from matching.training import load
from oneperson.warehouse import connect


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    con = connect(tmp_path_factory.mktemp("explain") / "w.duckdb")
    ingest_landing(con)
    link_full(con, load())
    return con


def _person_with_profiles(con: duckdb.DuckDBPyConnection, at_least: int, at_most: int) -> str:
    return con.execute(
        """SELECT cluster_id FROM record_clusters GROUP BY cluster_id
           HAVING count(DISTINCT profile_id) BETWEEN ? AND ?
           ORDER BY count(DISTINCT profile_id) DESC, cluster_id LIMIT 1""",
        [at_least, at_most],
    ).fetchall()[0][0]


def test_mask_id() -> None:
    assert mask_id("11010519491231002X") == "110105***********X"
    assert mask_id(None) == "" and mask_id("1234567") == "*******"


def test_select_edges_keeps_the_strongest_and_a_spanning_tree() -> None:
    # A strong clique a-b-c-d and a weak path d-e-f: with limit 3 the clique fills the limit and
    # the spanning tree adds the weak links that reach e and f.
    strong = [("a", "b", 30.0), ("a", "c", 29.0), ("b", "c", 28.0), ("c", "d", 27.0), ("b", "d", 26.0)]
    edges = [*strong, ("d", "e", 5.0), ("e", "f", 4.0), ("d", "f", 3.0)]
    chosen = [edges[i] for i in select_edges(edges, limit=3)]
    assert chosen == [*strong[:4], ("d", "e", 5.0), ("e", "f", 4.0)]
    assert select_edges(edges[:3], limit=3) == [0, 1, 2]


def test_page_is_offline_masked_and_has_a_chart_per_link(
    linked: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    person = _person_with_profiles(linked, 3, 50)
    profiles = [
        p
        for (p,) in linked.execute(
            "SELECT DISTINCT profile_id FROM record_clusters WHERE cluster_id = ?", [person]
        ).fetchall()
    ]
    expected_links = linked.execute(
        """SELECT count(*) FROM profile_links WHERE match_probability >= ?
           AND list_contains(?::VARCHAR[], unique_id_l) AND list_contains(?::VARCHAR[], unique_id_r)""",
        [CLUSTER_THRESHOLD, profiles, profiles],
    ).fetchall()[0][0]
    assert 2 <= expected_links <= 50

    out = explain_person(linked, person, load(), tmp_path / "person.html")
    assert out.exists()
    page = out.read_text(encoding="utf-8")

    assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.IGNORECASE)
    assert not re.search(r"<link\b", page, re.IGNORECASE)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page, re.IGNORECASE)
    assert ").vegaEmbed=" in page  # the vega-embed bundle itself, inline
    assert page.count('<div class="chart"') == expected_links
    assert page.count('vegaEmbed("#chart-') == expected_links

    ids = {
        i
        for (i,) in linked.execute(
            """SELECT s.id_std FROM std_identity AS s JOIN record_clusters AS c USING (source, record_key)
               WHERE c.cluster_id = ? AND length(s.id_std) = 18""",
            [person],
        ).fetchall()
    }
    assert ids
    for full in ids:
        assert not re.search(re.escape(full), page)
        assert mask_id(full) in page

    if CHROMIUM:
        png = tmp_path / "person.png"
        dom = render(out, png)
        assert png.stat().st_size > 0
        assert dom.count('class="marks"') == expected_links  # every chart drawn


def test_single_profile_person_says_so(linked: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    person = _person_with_profiles(linked, 1, 1)
    page = explain_person(linked, person, load(), tmp_path / "single.html").read_text(encoding="utf-8")
    assert "single identity profile" in page
    assert "<script" not in page and 'class="chart"' not in page


def test_unknown_person(linked: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    with pytest.raises(KeyError):
        explain_person(linked, "no-such-person", load(), tmp_path / "x.html")
