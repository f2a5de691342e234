"""A `Chart` drawn by plotly for the HTML report: traces and layout as JSON, and the chart's div.

Output is deterministic: the div id comes from the figure's name, JSON keys are sorted, and
nothing random or dated is written. Text reaching the chart is HTML-escaped (plotly reads its
strings as a small subset of HTML). Needs the `plot` extra; `require_plotly` says so in one line.
"""

from __future__ import annotations

import json
import math
import re
from html import escape
from importlib import import_module
from typing import Any

from wafersim.errors import ConfigError
from wafersim.figures.figure import Chart, Series

EXTRA = "pip install 'wafersim[plot]'"
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")
GUIDE_COLOR = "#888888"
CONFIG = {"displaylogo": False, "responsive": True}


def require_plotly() -> Any:
    """The plotly package, or a ConfigError naming the extra."""
    try:
        return import_module("plotly")
    except ImportError:
        raise ConfigError(f"the HTML report needs plotly, from the plot extra: {EXTRA}") from None


def plotly_js() -> str:
    """plotly.js, minified, to inline once in a page."""
    require_plotly()
    offline = import_module("plotly.offline")
    return str(offline.get_plotlyjs())


def chart_id(figure: Chart) -> str:
    """The element id of a figure's chart: `chart-` and its name as a slug."""
    return "chart-" + (re.sub(r"[^a-z0-9]+", "-", figure.name.lower()).strip("-") or "figure")


def _number(value: float | str) -> float | str | None:
    """A value JSON and plotly accept: NaN and infinities become gaps."""
    if isinstance(value, str):
        return escape(value)
    return value if math.isfinite(value) else None


def _hover(series: Series) -> dict[str, Any]:
    """Hover text: the point's label when it has one, the series name, x and y."""
    name = escape(series.name)
    if series.labels is None:
        return {"hovertemplate": f"{name}<br>%{{x}}, %{{y:.4g}}<extra></extra>"}
    return {"customdata": [escape(label) for label in series.labels],
            "hovertemplate": f"%{{customdata}}<br>{name}<br>%{{x}}, %{{y:.4g}}<extra></extra>"}


def trace(series: Series, index: int) -> dict[str, Any]:
    """One plotly trace of a series: lines with markers, markers, or bars."""
    color = PALETTE[index % len(PALETTE)]
    base: dict[str, Any] = {"name": escape(series.name), "x": [_number(v) for v in series.x],
                            "y": [_number(v) for v in series.y], **_hover(series)}
    if series.kind == "bar":
        return base | {"type": "bar", "marker": {"color": color}}
    mode = "markers" if series.kind == "scatter" else "lines+markers"
    return base | {"type": "scatter", "mode": mode, "marker": {"color": color, "size": 7},
                   "line": {"color": color, "width": 2}}


def guide(series: Series) -> dict[str, Any]:
    """A reference line, dashed and grey, labelled on hover only."""
    return {"name": escape(series.name), "type": "scatter", "mode": "lines",
            "x": [_number(v) for v in series.x], "y": [_number(v) for v in series.y],
            "line": {"color": GUIDE_COLOR, "dash": "dash", "width": 1.5},
            "hovertemplate": f"{escape(series.name)}<br>%{{x}}, %{{y:.4g}}<extra></extra>",
            "showlegend": True, "legendgroup": "guides"}


def _axis(label: str, kind: str) -> dict[str, Any]:
    return {"title": {"text": escape(label)}, "type": kind, "automargin": True,
            "gridcolor": "#e5e5e5", "zeroline": False, "exponentformat": "SI"}


def _x_kind(figure: Chart) -> str:
    """log, category (names on the axis: bars per system) or linear."""
    if figure.x_log:
        return "log"
    named = any(isinstance(v, str) for s in figure.series for v in s.x)
    return "category" if named else "linear"


def layout(figure: Chart) -> dict[str, Any]:
    """Title, axes (log where the figure says), stacked or grouped bars, the legend below."""
    return {"title": {"text": escape(figure.title), "x": 0.02, "font": {"size": 16}},
            "xaxis": _axis(figure.x_label, _x_kind(figure)),
            "yaxis": _axis(figure.y_label, "log" if figure.y_log else "linear"),
            "barmode": "stack" if figure.stacked else "group", "hovermode": "closest",
            "legend": {"orientation": "h", "y": -0.2, "yanchor": "top"},
            "margin": {"l": 70, "r": 20, "t": 50, "b": 40}, "height": 440,
            "plot_bgcolor": "white", "paper_bgcolor": "white",
            "font": {"family": "system-ui, sans-serif", "size": 12}}


def figure_json(figure: Chart) -> dict[str, Any]:
    """The plotly figure (data, layout) as plain JSON-ready data, checked against plotly's schema
    (no theme: plotly.js draws its plain defaults)."""
    data = [trace(s, i) for i, s in enumerate(figure.series)] + [guide(g) for g in figure.guides]
    import_module("plotly.graph_objects").Figure(data=data, layout=layout(figure))  # validates
    return {"data": data, "layout": layout(figure)}


def _script_json(data: Any) -> str:
    """JSON safe inside a <script> element: sorted keys, and no `</` to close it early."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False).replace(
        "</", "<\\/")


def chart_div(figure: Chart) -> str:
    """The chart's container, its caption and the script that draws it once the page is parsed
    (its container has its final width then); plotly.js is loaded once elsewhere in the page."""
    require_plotly()
    ident = chart_id(figure)
    spec = figure_json(figure)
    caption = f"<figcaption>{escape(figure.note)}</figcaption>" if figure.note else ""
    return (f'<figure class="chart-box"><div id="{ident}" class="chart"></div>{caption}'
            f'<script>document.addEventListener("DOMContentLoaded",()=>Plotly.newPlot('
            f"{json.dumps(ident)},{_script_json(spec['data'])},{_script_json(spec['layout'])},"
            f"{_script_json(CONFIG)}));</script></figure>")
