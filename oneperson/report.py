"""The run report: one self-contained HTML page per snapshot, for the people who act on a night.

Counts and charts of what the snapshot holds (findings by type and province, the duplicate
province-pair matrix, how strongly records were linked) and of what the night read (the load log
and quarantine). It is written into the snapshot folder before the snapshot is published, so it
always describes exactly the tables beside it, and summarised as Prefect artifacts by the flow.

It carries no personal data: counts, codes and pseudonymous ids only. Quarantine reasons are
grouped by their text before the first colon (the field that failed), never with the raw value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from matching.divisions import PROVINCES
from oneperson.htmlpage import data_table, esc, page
from oneperson.store import read_parquet_sql
from schemas.findings import FindingType
from schemas.store import Finding, FindingHistory, Person, PersonRecord

REPORT_FILE = "report.html"
UNKNOWN = "unknown"
_STYLE = """
dl.summary { display: grid; grid-template-columns: max-content auto; gap: .2em 1.2em; }
dl.summary dt { font-weight: bold; } dl.summary dd { margin: 0; font-variant-numeric: tabular-nums; }
section { margin-bottom: 1.5em; } p.note { color: #555; font-size: .92em; max-width: 60em; }
"""


@dataclass
class RunReport:
    """What the page shows, also handed to the Prefect flow for its artifacts."""

    snapshot_id: str
    headline: dict[str, int]
    findings_by_type: list[dict[str, Any]]
    load_by_source: list[dict[str, Any]]
    quarantine_by_reason: list[dict[str, Any]]
    charts: list[tuple[str, dict]] = field(default_factory=list)
    html: str = ""


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _province(code: str | None) -> str:
    return f"{code} {PROVINCES.get(code, '')}".strip() if code else UNKNOWN


def _type_label(value: str) -> str:
    return f"{value} {FindingType(value).zh}"


def _bar(data: list[dict], x: str, y: str, title: str, color: str | None = None) -> dict:
    spec: dict[str, Any] = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": title,
        "data": {"values": data},
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "y": {"field": y, "type": "nominal", "sort": "-x", "title": None},
            "x": {"field": x, "type": "quantitative", "title": x},
        },
        "width": 520,
    }
    if color:
        spec["encoding"]["color"] = {"field": color, "type": "nominal"}
    return spec


def _heatmap(data: list[dict], x: str, y: str, value: str, title: str) -> dict:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": title,
        "data": {"values": data},
        "encoding": {
            "x": {"field": x, "type": "ordinal", "title": x},
            "y": {"field": y, "type": "ordinal", "title": y},
        },
        "layer": [
            {
                "mark": {"type": "rect", "tooltip": True},
                "encoding": {
                    "color": {"field": value, "type": "quantitative", "scale": {"scheme": "oranges"}}
                },
            },
            {
                "mark": {"type": "text", "fontSize": 10},
                "encoding": {"text": {"field": value, "type": "quantitative"}},
            },
        ],
    }


def build_report(
    con: duckdb.DuckDBPyConnection, snapshot: Path, snapshot_id: str, manifest: dict
) -> RunReport:
    """Read the snapshot's tables (and the warehouse's load log through `con`) into a report."""
    findings = read_parquet_sql(snapshot, Finding)
    persons = read_parquet_sql(snapshot, Person)
    records = read_parquet_sql(snapshot, PersonRecord)
    history = read_parquet_sql(snapshot, FindingHistory)
    run_id = manifest.get("run_id", "")

    headline = _rows(
        con,
        f"""SELECT
            (SELECT count(*) FROM {persons}) AS persons,
            (SELECT count(*) FROM {records}) AS records,
            (SELECT count(*) FROM {findings}) AS findings,
            (SELECT count(*) FROM {findings} WHERE first_seen_snapshot = '{snapshot_id}') AS findings_new,
            (SELECT count(*) FROM {history} WHERE resolved_in_snapshot = '{snapshot_id}')
                AS findings_resolved,
            (SELECT count(*) FROM {records} WHERE match_probability IS NOT NULL) AS records_linked_by_model,
            (SELECT count(*) FROM quarantine) AS rows_quarantined,
            (SELECT count(*) FROM quarantine WHERE run_id = '{run_id}') AS rows_quarantined_this_run""",
    )[0]

    by_type = _rows(
        con,
        f"""SELECT t.finding_type, count(f.finding_id) AS findings,
                   count(f.finding_id) FILTER (f.first_seen_snapshot = '{snapshot_id}') AS new,
                   count(f.finding_id) FILTER (f.min_match_probability < 0.95) AS on_weak_links
            FROM (SELECT unnest({[t.value for t in FindingType]}) AS finding_type) AS t
            LEFT JOIN {findings} AS f USING (finding_type)
            GROUP BY t.finding_type""",
    )
    order = {t.value: i for i, t in enumerate(FindingType)}
    by_type.sort(key=lambda r: order[r["finding_type"]])
    resolved = dict(
        con.execute(
            f"""SELECT finding_type, count(*) FROM {history}
                WHERE resolved_in_snapshot = '{snapshot_id}' GROUP BY 1"""
        ).fetchall()
    )
    for r in by_type:
        r["resolved"] = resolved.get(r["finding_type"], 0)

    by_province = _rows(
        con,
        f"""SELECT f.finding_type, p.hukou_province AS province, count(*) AS findings
            FROM {findings} AS f LEFT JOIN {persons} AS p USING (person_id)
            GROUP BY ALL ORDER BY ALL""",
    )
    pairs = _rows(
        con,
        f"""WITH provinces AS (
                SELECT finding_id, list_distinct(list_transform(
                    list_filter(record_keys, lambda k: regexp_matches(k, '^[0-9]{{2}}[|]')),
                    lambda k: left(k, 2))) AS ps
                FROM {findings} WHERE finding_type = 'duplicate_cross_province'
            ),
            pair AS (
                SELECT a.p AS a, b.p AS b
                FROM provinces, unnest(ps) AS a(p), unnest(ps) AS b(p)
                WHERE a.p <> b.p
            )
            SELECT a, b, count(*) AS findings FROM pair GROUP BY ALL ORDER BY ALL""",
    )
    histogram = _rows(
        con,
        f"""SELECT floor(match_probability * 20) / 20 AS bin, count(*) AS records
            FROM {records} WHERE match_probability IS NOT NULL GROUP BY 1 ORDER BY 1""",
    )
    load = _rows(
        con,
        f"""SELECT source,
                count(*) FILTER (status = 'applied') AS files_applied,
                count(*) FILTER (status = 'duplicate') AS files_duplicate,
                count(*) FILTER (status IN ('held_back', 'failed')) AS files_held_or_failed,
                coalesce(sum(rows_read), 0)::BIGINT AS rows_read,
                coalesce(sum(rows_applied), 0)::BIGINT AS rows_applied,
                coalesce(sum(rows_quarantined), 0)::BIGINT AS rows_quarantined,
                coalesce(sum(values_nulled), 0)::BIGINT AS values_nulled,
                count(*) FILTER (run_id = '{run_id}') AS files_this_run
            FROM load_log GROUP BY source ORDER BY source""",
    )
    quarantine = _rows(
        con,
        """SELECT source, split_part(reason, ':', 1) AS reason, count(*) AS rows
           FROM quarantine GROUP BY ALL ORDER BY source, rows DESC, reason""",
    )

    report = RunReport(snapshot_id, headline, by_type, load, quarantine)
    report.charts = [
        (
            "chart-types",
            _bar(
                [
                    {"finding type": _type_label(r["finding_type"]), "findings": r["findings"]}
                    for r in by_type
                ],
                "findings",
                "finding type",
                "Findings by type",
            ),
        ),
        (
            "chart-provinces",
            _heatmap(
                [
                    {
                        "province": _province(r["province"]),
                        "finding type": r["finding_type"],
                        "findings": r["findings"],
                    }
                    for r in by_province
                ],
                "province",
                "finding type",
                "findings",
                "Findings by type and the person's hukou province",
            ),
        ),
        (
            "chart-pairs",
            _heatmap(
                [
                    {
                        "province A": _province(r["a"]),
                        "province B": _province(r["b"]),
                        "findings": r["findings"],
                    }
                    for r in pairs
                ],
                "province A",
                "province B",
                "findings",
                "Cross-province duplicates: the provinces enrolling the same person",
            ),
        ),
        (
            "chart-probability",
            {
                "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
                "title": "Records joined by the model: match probability of their strongest link",
                "data": {"values": histogram},
                "mark": {"type": "bar", "tooltip": True},
                "encoding": {
                    "x": {
                        "field": "bin",
                        "type": "quantitative",
                        "bin": {"binned": True, "step": 0.05},
                        "title": "match probability",
                        "scale": {"domain": [0, 1]},
                    },
                    "x2": {"expr": "datum.bin + 0.05"},
                    "y": {
                        "field": "records",
                        "type": "quantitative",
                        "scale": {"type": "symlog"},
                        "title": "records (symlog scale)",
                    },
                },
                "width": 520,
            },
        ),
        (
            "chart-quarantine",
            _bar(
                [{"reason": r["reason"], "rows": r["rows"], "source": r["source"]} for r in quarantine],
                "rows",
                "reason",
                "Quarantined rows by reason",
                color="source",
            ),
        ),
    ]
    report.html = _render(report, manifest, pairs)
    return report


def _render(report: RunReport, manifest: dict, pairs: list[dict]) -> str:
    h = report.headline
    batches = manifest.get("input_batches", {})
    summary = [
        ("Persons", h["persons"]),
        ("Source records", h["records"]),
        ("… joined by the model (not by an exact ID)", h["records_linked_by_model"]),
        ("Findings", h["findings"]),
        ("… new in this snapshot", h["findings_new"]),
        ("… resolved in this snapshot", h["findings_resolved"]),
        (
            "Rows quarantined (all time / this run)",
            f"{h['rows_quarantined']:,} / {h['rows_quarantined_this_run']:,}",
        ),
    ]
    body = [
        f"<h1>oneperson run report: snapshot {esc(report.snapshot_id)}</h1>",
        '<p class="note">Counts and pseudonymous ids only: no names or ID numbers. '
        "Works offline; the tables it describes are beside this file.</p>",
        '<dl class="summary">'
        + "".join(
            f"<dt>{esc(k)}</dt><dd>{v:,}</dd>"
            if isinstance(v, int)
            else f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>"
            for k, v in summary
        )
        + "".join(
            f"<dt>{esc(k)}</dt><dd>{esc(str(manifest.get(k, '')))}</dd>"
            for k in ("run_id", "model_version", "code_version")
        )
        + "</dl>",
        "<section><h2>Findings</h2>",
        data_table(
            ["finding type", "findings", "new", "resolved", "on links below 0.95"],
            [
                [_type_label(r["finding_type"]), r["findings"], r["new"], r["resolved"], r["on_weak_links"]]
                for r in report.findings_by_type
            ],
            [False, True, True, True, True],
        ),
        '<div class="chart" id="chart-types"></div>',
        '<div class="chart" id="chart-provinces"></div>',
        "</section>",
        "<section><h2>Duplicate enrollments across provinces</h2>",
        '<p class="note">Each cell counts cross-province duplicate findings in which both provinces hold '
        "an active enrollment of the person (the matrix is symmetric).</p>",
        '<div class="chart" id="chart-pairs"></div>' if pairs else "<p>None in this snapshot.</p>",
        "</section>",
        "<section><h2>Linkage</h2>",
        '<p class="note">Records joined to their person by the probabilistic model, by the match '
        "probability of their strongest link to another of the person's records. Records joined by "
        "an exact valid ID number, or alone, are not shown.</p>",
        '<div class="chart" id="chart-probability"></div>',
        "</section>",
        "<section><h2>Input: load log and quarantine</h2>",
        "<p>Input batches applied: "
        + esc("; ".join(f"{s}: {', '.join(b)}" for s, b in sorted(batches.items())))
        + "</p>",
        data_table(
            [
                "source",
                "files applied",
                "duplicate files",
                "held back / failed",
                "rows read",
                "rows applied",
                "rows quarantined",
                "values nulled",
                "files this run",
            ],
            [list(r.values()) for r in report.load_by_source],
            [False] + [True] * 8,
        ),
        data_table(
            ["source", "reason", "rows"],
            [[r["source"], r["reason"], r["rows"]] for r in report.quarantine_by_reason],
            [False, False, True],
        )
        if report.quarantine_by_reason
        else "<p>No row was quarantined.</p>",
        '<div class="chart" id="chart-quarantine"></div>' if report.quarantine_by_reason else "",
        "</section>",
    ]
    charts = [
        c
        for c in report.charts
        if (c[0] != "chart-pairs" or pairs) and (c[0] != "chart-quarantine" or report.quarantine_by_reason)
    ]
    return page(f"oneperson run report {report.snapshot_id}", body, charts, style=_STYLE)


def write_report(
    con: duckdb.DuckDBPyConnection, snapshot: Path, snapshot_id: str, manifest: dict
) -> RunReport:
    """Build the report and write it as `<snapshot>/report.html`."""
    report = build_report(con, snapshot, snapshot_id, manifest)
    (Path(snapshot) / REPORT_FILE).write_text(report.html, encoding="utf-8")
    return report
