"""Draw a `Chart` with matplotlib (Agg) into PNG or SVG bytes, and write it atomically.

Output is deterministic: the same figure gives the same bytes (no PNG Software tag, no SVG date,
a fixed SVG id salt). `check_static_path` refuses a path before any work: a folder, a missing
folder, an extension other than .png/.svg, or matplotlib not installed (the `plot` extra).
"""

from __future__ import annotations

import io
import textwrap
from pathlib import Path
from typing import Any

from wafersim.catalog.edit import Change, write_files
from wafersim.errors import ParameterError
from wafersim.figures.figure import Chart, Series
from wafersim.mesh.plot import check_output_path, require_matplotlib

FORMATS = ("png", "svg")
METADATA: dict[str, dict[str, Any]] = {"png": {"Software": None}, "svg": {"Date": None}}
RC = {"svg.hashsalt": "wafersim", "svg.fonttype": "path", "font.size": 9.0}
GUIDE = {"linestyle": "dashed", "linewidth": 1.0, "alpha": 0.7}


def static_format(plot_path: str | Path) -> str:
    """'png' or 'svg' from the path's extension, or a one-line error."""
    suffix = Path(plot_path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ParameterError("plot_path", str(plot_path), "{plot_path!r} must end in .png or .svg",
                             allowed="a path ending in .png or .svg")
    return suffix


def check_static_path(plot_path: str | Path) -> Path:
    """A path a chart can be written to (folder, extension, matplotlib), checked before work."""
    path = check_output_path("plot_path", plot_path)
    static_format(plot_path)
    require_matplotlib(plot_path)
    return path


ANNOTATED = 12  # scatter points up to which each is labelled on the chart


def _draw(ax: Any, s: Series, style: dict[str, Any]) -> Any:
    if s.kind == "scatter":
        return ax.scatter(s.x, s.y, label=s.name, s=18, **style)
    return ax.plot(s.x, s.y, marker="o", markersize=3.5, label=s.name, **style)[0]


def _annotate(ax: Any, fig: Chart) -> None:
    """Label each scatter point on the chart when there are few of them."""
    points = [(x, y, label) for s in fig.series if s.kind == "scatter" and s.labels
              for x, y, label in zip(s.x, s.y, s.labels, strict=True)]
    if len(points) <= ANNOTATED:
        for x, y, label in points:
            ax.annotate(label, (x, y), textcoords="offset points", xytext=(5, -10), fontsize=7)


def _bars(ax: Any, fig: Chart) -> None:
    """Bars side by side per category, or stacked when the figure says so."""
    categories = list(dict.fromkeys(str(x) for s in fig.series for x in s.x))
    width = 0.6 if fig.stacked else 0.8 / max(1, len(fig.series))
    bottom = [0.0] * len(categories)
    for i, s in enumerate(fig.series):
        at = [categories.index(str(x)) for x in s.x]
        offset = 0.0 if fig.stacked else (i - (len(fig.series) - 1) / 2) * width
        base = [bottom[j] for j in at] if fig.stacked else None
        ax.bar([j + offset for j in at], s.y, width, bottom=base, label=s.name)
        if fig.stacked:
            for j, y in zip(at, s.y, strict=True):
                bottom[j] += y
    ax.set_xticks(range(len(categories)), categories)


def _guide_colour(guide: Series, colours: dict[str, str]) -> str:
    """A guide named after a series ('cs-3 linear') takes its colour, else grey."""
    return next((c for name, c in colours.items() if guide.name.startswith(name + " ")), "0.4")


def _plot(ax: Any, fig: Chart) -> None:
    colours: dict[str, str] = {}
    if any(s.kind == "bar" for s in fig.series):
        _bars(ax, fig)
    else:
        lines_among_points = any(s.kind == "scatter" for s in fig.series)
        for s in fig.series:  # a line among point clouds (a front) is drawn black
            artist = _draw(ax, s, {"color": "black"} if lines_among_points and s.kind == "line" else {})
            colours[s.name] = artist.get_facecolor()[0] if s.kind == "scatter" else artist.get_color()
    for g in fig.guides:
        ax.plot(g.x, g.y, label=g.name, color=_guide_colour(g, colours), **GUIDE)
    _annotate(ax, fig)


def render(fig: Chart, fmt: str = "png") -> bytes:
    """The chart in `fmt` ('png' or 'svg') as bytes."""
    plt = require_matplotlib()
    with plt.rc_context(RC):
        canvas, ax = plt.subplots(figsize=(9, 5.6), constrained_layout=True)
        try:
            ax.set_xscale("log" if fig.x_log else "linear")  # before drawing: it resets ticks
            ax.set_yscale("log" if fig.y_log else "linear")
            _plot(ax, fig)
            ax.set_xlabel(fig.x_label)
            ax.set_ylabel(fig.y_label)
            ax.grid(True, which="major", alpha=0.3)
            canvas.suptitle(fig.title, fontsize=12)
            ax.set_title(textwrap.fill(fig.note, 120), fontsize=7.5, loc="left")
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
            buffer = io.BytesIO()
            canvas.savefig(buffer, format=fmt, dpi=110, metadata=METADATA[fmt])
        finally:
            plt.close(canvas)
    return buffer.getvalue()


def save_figure(fig: Chart, plot_path: str | Path) -> Path:
    """Write the chart to `plot_path`, rendered in memory first (temporary file and rename)."""
    path = check_static_path(plot_path)
    write_files([Change(path, render(fig, static_format(plot_path)))])
    return path
