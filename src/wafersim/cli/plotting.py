"""`--plot FILE`: checking the path before any work and writing the chart after it."""

from __future__ import annotations

from typing import Any

import typer

from wafersim.figures.figure import Chart
from wafersim.figures.static import check_static_path, save_figure


def plot_option(what: str) -> Any:
    """The `--plot` option of a command drawing `what`."""
    return typer.Option(None, "--plot", metavar="FILE", help=f"Also draw {what} to FILE, a .png "
                        "or .svg (needs the plot extra: pip install 'wafersim[plot]').")


def check_plot(plot: str | None) -> None:
    """Refuse a path the chart cannot go to (folder, extension, matplotlib) before any work."""
    if plot is not None:
        check_static_path(plot)


def write_plot(figure: Chart, plot: str | None) -> None:
    """Write the chart (temporary file and rename) and say where, on stderr."""
    if plot is not None:
        save_figure(figure, plot)
        typer.echo(f"plot: {plot}", err=True)
