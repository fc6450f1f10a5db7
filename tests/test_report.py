"""The run report: in the snapshot, offline, free of personal data, true to the tables, drawn by a browser."""

import json
import re
from pathlib import Path

import polars as pl
import pytest
from browsers import CHROMIUM, render
from warehouses import SAMPLE, ingest_landing

from oneperson.analytics import open_current
from oneperson.nightly import find_persons, next_snapshot_id, publish_snapshot, warehouse_of
from oneperson.report import REPORT_FILE
from oneperson.warehouse import connect


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> dict:
    mp = pytest.MonkeyPatch()
    mp.setenv("ONEPERSON_PSEUDONYM_KEY", "test-key")
    store = tmp_path_factory.mktemp("report") / "store"
    warehouse = warehouse_of(store)
    con = connect(warehouse)
    ingest_landing(con)
    con.close()
    find_persons(warehouse, "night-1")
    result = publish_snapshot(warehouse, store, next_snapshot_id(warehouse, store), "night-1", retention=3)
    yield {"store": store, **result}
    mp.undo()


def test_report_is_part_of_the_snapshot_and_offline(published: dict) -> None:
    snapshot = Path(published["snapshot"])
    page = snapshot / REPORT_FILE
    assert Path(published["report"]) == page and page.is_file()
    assert json.loads((snapshot / "manifest.json").read_text(encoding="utf-8"))["report"] == REPORT_FILE
    html = page.read_text(encoding="utf-8")
    assert "Content-Security-Policy" in html
    assert not re.search(r"<script[^>]*\bsrc\s*=", html, re.IGNORECASE)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html, re.IGNORECASE)
    for chart in ("types", "provinces", "pairs", "probability", "quarantine"):
        assert f'<div class="chart" id="chart-{chart}">' in html
        assert f'vegaEmbed("#chart-{chart}"' in html


def test_report_carries_no_personal_data(published: dict) -> None:
    html = Path(published["report"]).read_text(encoding="utf-8")
    persons = pl.read_parquet(SAMPLE / "truth" / "persons.parquet")
    assert not [i for i in persons["id_number"] if i in html]
    assert not [n for n in persons["name"] if len(n) >= 2 and n in html]
    raw = open_current(published["store"], restricted=True).execute("SELECT raw FROM quarantine").fetchall()
    assert not [r for (r,) in raw if r and r in html]  # quarantined rows appear as counts only


def test_report_figures_agree_with_the_tables(published: dict) -> None:
    con = open_current(published["store"])
    h = published["headline"]
    assert h["persons"] == con.execute("SELECT count(*) FROM persons").fetchall()[0][0]
    assert h["records"] == con.execute("SELECT count(*) FROM person_records").fetchall()[0][0]
    assert h["findings"] == h["findings_new"] == con.execute("SELECT count(*) FROM findings").fetchall()[0][0]
    assert h["findings_resolved"] == 0  # a first snapshot resolves nothing
    by_type = dict(con.execute("SELECT finding_type, count(*) FROM findings GROUP BY 1").fetchall())
    assert {r["finding_type"]: r["findings"] for r in published["findings_by_type"]} == by_type
    assert len(by_type) == 8
    assert h["rows_quarantined"] == sum(r["rows"] for r in published["quarantine_by_reason"]) == 40
    read = sum(r["rows_read"] for r in published["load_by_source"])
    applied = sum(r["rows_applied"] for r in published["load_by_source"])
    assert read == applied + h["rows_quarantined"]  # the load log reconciles


@pytest.mark.skipif(not CHROMIUM, reason="no chromium on this machine")
def test_report_renders_in_headless_chromium(published: dict, tmp_path: Path) -> None:
    png = tmp_path / "report.png"
    dom = render(Path(published["report"]), png, size="1200,3400")
    assert png.stat().st_size > 50_000  # a page with drawn charts, not a blank one
    assert dom.count('class="marks"') == 5  # every chart drawn
    assert "Chart error: " not in re.sub(r"<script.*?</script>", "", dom, flags=re.DOTALL)
