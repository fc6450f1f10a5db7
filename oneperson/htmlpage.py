"""Self-contained, offline HTML pages with Vega-Lite charts (the run report, a person's explanation).

The Vega / Vega-Lite / vega-embed JavaScript is the copy bundled in the splink wheel (what
`SplinkChart.save_offline_chart` inlines), included once per page: nothing loads from the network,
and a Content-Security-Policy forbids fetching anything, so a page opened from a file or mailed
to a colleague shows the same thing.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from splink.internals.html_utils import CHART_LIBRARIES, load_chart_libraries

# Only the page's own inline scripts and styles may run; nothing may be fetched (Vega needs eval).
CSP = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:"
)
# Export buttons only: "open in Vega editor" would post the chart's data to an outside site.
EMBED_OPTIONS = {"actions": {"export": True, "source": False, "compiled": False, "editor": False}}

BASE_STYLE = """
body { font-family: system-ui, "Noto Sans CJK SC", "Microsoft YaHei", sans-serif;
       margin: 1.5em 2em; color: #222; }
h1 { font-size: 1.4em; margin-bottom: .2em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
table.data { border-collapse: collapse; font-size: .92em; }
table.data th, table.data td { border: 1px solid #ccc; padding: .25em .6em; text-align: left; }
table.data th { background: #f2f2f2; }
table.data td.n { text-align: right; font-variant-numeric: tabular-nums; }
.chart.vega-embed { width: 100%; display: flex; }
"""

esc = html.escape


def json_for_script(value: Any) -> str:
    """JSON that is safe inside a <script> element (no `</script>` can close it early)."""

    def default(o: Any) -> Any:
        if isinstance(o, Decimal):
            return float(o)
        if isinstance(o, date):
            return o.isoformat()
        raise TypeError(f"not JSON serialisable: {type(o).__name__}")

    text = json.dumps(value, default=default, ensure_ascii=False)
    return text.replace("<", r"\u003c").replace(">", r"\u003e").replace("&", r"\u0026")


def data_table(header: Sequence[str], rows: Sequence[Sequence[Any]], numeric: Sequence[bool] = ()) -> str:
    """An HTML table; cells escaped, numbers right-aligned with thousands separators."""
    numeric = list(numeric) or [False] * len(header)

    def cell(value: Any, is_number: bool) -> str:
        if value is None:
            return "<td></td>"
        if is_number and isinstance(value, int):
            return f'<td class="n">{value:,}</td>'
        if is_number and isinstance(value, float):
            return f'<td class="n">{value:,.4g}</td>'
        return f"<td>{esc(str(value))}</td>"

    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(cell(v, n) for v, n in zip(row, numeric, strict=True)) + "</tr>" for row in rows
    )
    return f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def page(title: str, body: Sequence[str], charts: Sequence[tuple[str, dict]] = (), style: str = "") -> str:
    """The whole page: `body` HTML fragments, then one vegaEmbed per (element id, Vega-Lite spec)."""
    scripts = ""
    if charts:
        libraries = load_chart_libraries()
        embeds = "\n".join(
            f'vegaEmbed("#{element}", {json_for_script(spec)}, options).catch(failed("{element}"));'
            for element, spec in charts
        )
        scripts = (
            "".join(
                f"<!-- {name} {version} (bundled in splink) --><script>{libraries[name]}</script>\n"
                for name, version in CHART_LIBRARIES.items()
            )
            + "<script>\nconst options = "
            + json_for_script(EMBED_OPTIONS)
            + ";\nfunction failed(id) { return function (err) { const el = document.getElementById(id);"
            " el.textContent = 'Chart error: ' + (err.message || err); el.style.color = 'red'; }; }\n"
            + embeds
            + "\n</script>\n"
        )
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"<title>{esc(title)}</title><style>{BASE_STYLE}{style}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n"
        + scripts
        + "</body></html>\n"
    )
