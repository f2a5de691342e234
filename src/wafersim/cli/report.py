"""``wafersim report``: one self-contained HTML file comparing a model across systems, with its
charts, the validation table and the claims. Needs the plot extra (plotly)."""

from __future__ import annotations

import time

import typer

from wafersim.cli.common import catalog, console, parse_amount
from wafersim.cli.options import PRICING
from wafersim.cli.progress import progress
from wafersim.figures.contents import DEFAULT_DEVICES, REPORT_SYSTEMS


def report(
    model: str = typer.Argument(..., help="Model id or config.json path."),
    output: str = typer.Option(..., "-o", "--output", metavar="FILE",
                               help="The HTML file to write (replaced atomically)."),
    systems: str = typer.Option(",".join(REPORT_SYSTEMS), "--systems",
                                help="Comma-separated system ids."),
    sweep: str = typer.Option(None, "--sweep", metavar="DIR", help="A sweep results directory "
                              "(wafersim sweep run): its Pareto front is charted."),
    tokens: str = typer.Option("1T", "--tokens", help="Training tokens of the training table "
                               "and the scaling chart (e.g. 2T)."),
    train_devices: int = typer.Option(DEFAULT_DEVICES, "--train-devices", min=1,
                                      help="Accelerators (or wafer systems) per system in the "
                                      "training table."),
    pricing: str = PRICING,
) -> None:
    """Write one HTML file: MODEL compared across systems (tables, interactive charts), the
    validation table and the claims; no network needed to read it."""
    from wafersim.errors import writable
    from wafersim.figures.interactive import require_plotly
    from wafersim.figures.page import build_report, write_report

    require_plotly()
    writable("output", output)
    amount = parse_amount(tokens, "--tokens")
    started = time.perf_counter()
    with progress(f"building the report of {model}"):
        html = build_report(model, tuple(systems.split(",")), amount, pricing, sweep, catalog(),
                            train_devices=train_devices)
    path = write_report(output, html)
    console().print(f"wrote {path} ({len(html.encode()) / 1e6:.1f} MB) in "
                    f"{time.perf_counter() - started:.1f} s")
