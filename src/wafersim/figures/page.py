"""The report people read: one self-contained HTML file per model.

`build_report(model, ...)` computes the contents (`gather.gather`) and returns the page;
`render(contents)` draws given contents; `write_report(path, html)` writes it atomically. The page
holds the comparison tables, the charts (plotly, its JavaScript inline once: no network), the
validation table and the claims. Same inputs, same bytes: nothing random or dated is written.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from wafersim import __version__
from wafersim.catalog import Catalog
from wafersim.catalog.edit import replace_file
from wafersim.cost.kernels.economics import unknown_inputs
from wafersim.errors import writable
from wafersim.figures.contents import DEFAULT_TOKENS, REPORT_SYSTEMS, ReportContents
from wafersim.figures.interactive import chart_div, plotly_js, require_plotly
from wafersim.figures.tables import (
    basis,
    claims_section,
    serving_table,
    summary_table,
    training_table,
    validation_table,
)

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d1d1f;
background:#fafafa;line-height:1.45}
header{background:#12263a;color:#fff;padding:1.2rem 2rem}header h1{margin:0 0 .3rem;font-size:1.6rem}
header p{margin:.1rem 0;color:#c9d6e3}nav a{color:#fff;margin-right:1.2rem}
main{max-width:1200px;margin:0 auto;padding:1rem 2rem 3rem}
section{background:#fff;border:1px solid #e3e3e3;border-radius:6px;padding:1rem 1.4rem;margin:1.2rem 0}
h2{margin-top:.2rem;border-bottom:2px solid #12263a;padding-bottom:.3rem}
.table-wrap{overflow-x:auto;margin:.8rem 0}
table{border-collapse:collapse;font-size:.88rem;min-width:60%}
caption{text-align:left;font-weight:600;padding:.3rem 0}
th,td{border-bottom:1px solid #e6e6e6;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#f0f3f6}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.notes{font-size:.85rem;color:#555}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:1rem}
.chart-box{margin:0;border:1px solid #eee;border-radius:4px;padding:.4rem}
.chart{width:100%;min-height:440px}
figcaption{font-size:.82rem;color:#555;padding:.2rem .4rem}
details summary{cursor:pointer;font-weight:600;margin:.6rem 0}
.claim{border-top:1px solid #eee;padding:.6rem 0}.claim h3{margin:.2rem 0;font-size:1.05rem}
.claim blockquote{margin:.3rem 0 .3rem 1rem;color:#444;font-style:italic}
.claim ul{margin:.2rem 0;font-size:.88rem}.claim p{margin:.3rem 0;font-size:.9rem}
.verdict{font-size:.78rem;padding:.1rem .5rem;border-radius:3px;margin-left:.5rem;color:#fff;
background:#666;font-style:normal}
.v-holds{background:#2e7d32}.v-holds-only-if{background:#b26a00}
.v-does-not-hold{background:#c62828}.v-cannot-be-checked{background:#5c6b7a}
.note{color:#666}
"""


def _notes(contents: ReportContents) -> list[str]:
    """Uncatalogued inputs behind any figure shown as '-'."""
    serving = [f"{r.system}: {n}" for r in contents.serving for n in r.columns.get("unknown") or ()]
    training = [f"{t.system}: {n}" for t in contents.training if t.result
                for n in unknown_inputs(t.result.assumptions)]
    return serving + training


def _comparison(contents: ReportContents) -> str:
    notes = [f"Every dollar figure is on {basis(contents.pricing)}; '-' where an input is not in "
             "the catalog.",
             "Serving runs on the fewest devices that hold the model; power, $ and J at the "
             "max-throughput batch (power = J/token x tokens/s).",
             "Training wall time, energy and cost include interruptions, checkpoints and "
             "restarts.", *_notes(contents)]
    items = "".join(f"<li>{escape(n)}</li>" for n in notes)
    return (f'<section id="comparison"><h2>Comparison</h2>{serving_table(contents)}'
            f'{training_table(contents)}<ul class="notes">{items}</ul></section>')


def _charts(contents: ReportContents) -> str:
    if not contents.figures:
        return ""
    sweep = (f"<p class=notes>Sweep results: {escape(contents.sweep)}</p>" if contents.sweep
             else "")
    divs = "".join(chart_div(f) for f in contents.figures)
    return (f'<section id="charts"><h2>Charts</h2>{sweep}<p class=notes>Hover a point for its '
            f'system, count or row; drag to zoom, double-click to reset.</p>'
            f'<div class="charts">{divs}</div></section>')


def _validation(contents: ReportContents) -> str:
    if not contents.validation:
        return ""
    return (f'<section id="validation"><h2>Validation</h2>'
            f"{summary_table(contents.validation_summary)}<details><summary>"
            f"All {len(contents.validation):,} rows</summary>{validation_table(contents)}"
            "</details></section>")


def _claims(contents: ReportContents) -> str:
    if not contents.claims:
        return ""
    return f'<section id="claims"><h2>Claims</h2>{claims_section(contents)}</section>'


def _header(contents: ReportContents) -> str:
    links = [(key, title) for key, title, shown in (
        ("comparison", "Comparison", True), ("charts", "Charts", bool(contents.figures)),
        ("validation", "Validation", bool(contents.validation)),
        ("claims", "Claims", bool(contents.claims))) if shown]
    nav = "".join(f'<a href="#{k}">{t}</a>' for k, t in links)
    return (f"<header><h1>wafersim report: {escape(contents.model)}</h1>"
            f"<p>Systems: {escape(', '.join(contents.systems))}. Costs on "
            f"{escape(basis(contents.pricing))}.</p><p>wafersim {escape(__version__)}</p>"
            f"<nav>{nav}</nav></header>")


def render(contents: ReportContents) -> str:
    """The page of `contents`: plotly.js inline once in the head, then every section."""
    require_plotly()
    script = plotly_js().replace("</script", "<\\/script")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>wafersim report: {escape(contents.model)}</title><style>{STYLE}</style>"
            f"<script>{script}</script></head><body>{_header(contents)}<main>"
            f"{_comparison(contents)}{_charts(contents)}{_validation(contents)}"
            f"{_claims(contents)}</main></body></html>\n")


def build_report(model: str, systems: tuple[str, ...] = REPORT_SYSTEMS,
                 tokens: float = DEFAULT_TOKENS, pricing: str = "tco",
                 sweep: str | Path | None = None, catalog: Catalog | None = None,
                 **options: Any) -> str:
    """The HTML report of `model` on `systems` (see `gather.gather` for `options`: train_devices,
    input_tokens, output_tokens, claim_ids, with_validation)."""
    from wafersim.figures.gather import gather

    require_plotly()
    return render(gather(model, systems, tokens, pricing, sweep, catalog, **options))


def write_report(path: str | Path, html: str) -> Path:
    """Write `html` to `path` atomically: a temporary file in the same folder, renamed into place
    (whatever was at `path` survives a failure)."""
    out = writable("output", path)
    replace_file(out, html)
    return out
