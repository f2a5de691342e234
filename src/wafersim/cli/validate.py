"""``wafersim validate``: every published measurement against wafersim's prediction."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from wafersim.cli.common import catalog, console, print_json
from wafersim.cli.plotting import check_plot, plot_option, write_plot
from wafersim.cli.progress import progress
from wafersim.errors import ConfigError
from wafersim.figures.validation import validation_figure
from wafersim.validate.records import read
from wafersim.validate.run import KINDS, Outcome, summary
from wafersim.validate.run import validate as run_validate

WORST = 5


def validate(
    data: str = typer.Option(None, "--data", help="CSV in the public.csv schema (default: the "
                             "published set shipped with wafersim)."),
    kind: str = typer.Option(None, "--kind", help="train, infer or micro (default: all)."),
    with_range: bool = typer.Option(False, "--range", help="Also predict each row with its "
                                    "system's efficiency ranges at their low and high bounds; "
                                    "report low, high and whether the measurement is inside."),
    as_json: bool = typer.Option(False, "--json", help="Rows and summary for machines."),
    markdown: bool = typer.Option(False, "--markdown", help="Rows and per-kind summary as "
                                  "Markdown tables (for docs/validation.md)."),
    plot: str = plot_option("predicted against measured, log-log, one colour per system family"),
) -> None:
    """Predict every row, print predicted vs measured, signed error and source, then summaries."""
    if kind is not None and kind not in KINDS:
        raise ConfigError(f"--kind {kind!r} is not one of {', '.join(KINDS)}")
    if as_json and markdown:
        raise ConfigError("--json and --markdown disagree (two output formats); give one of them")
    check_plot(plot)
    cat = catalog()
    rows = read(data, cat)
    with progress(f"predicting {len(rows):,} measurements"):
        outcomes = run_validate(rows, (kind,) if kind else KINDS, cat, with_range)
    report = summary(outcomes)
    if plot is not None:
        write_plot(validation_figure(outcomes, catalog=cat), plot)
    if as_json:
        print_json({"rows": [o.to_json() for o in outcomes], "summary": report})
        return
    if markdown:
        typer.echo(markdown_tables(outcomes, report))
        return
    _rows_table(outcomes, with_range)
    _summary_tables(report, outcomes)
    if with_range:
        _range_table(report)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _rows_table(outcomes: list[Outcome], with_range: bool = False) -> None:
    table = Table(title="predicted vs measured (c: calibration row)", title_justify="left")
    band = ("low", "high", "in") if with_range else ()
    for head in ("id", "system", "model", "metric", "measured", "predicted", *band, "error", "source"):
        table.add_column(head, overflow="fold" if head == "source" else "ellipsis")
    for o in outcomes:
        error = f"{o.error_pct:+.1f}%" if o.error_pct is not None else f"skipped: {o.reason}"
        inside = () if not with_range else (
            _fmt(o.low), _fmt(o.high), "-" if o.inside is None else "yes" if o.inside else "no")
        table.add_row(o.id + (" c" if o.calibration else ""), o.system, o.model, o.metric,
                      _fmt(o.measured), _fmt(o.predicted), *inside, error, o.source[:60])
    console().print(table)


def _range_table(report: dict[str, Any]) -> None:
    table = Table(title="measurements inside their band (efficiency ranges at low and high)",
                  title_justify="left")
    for head in ("group", "n", "inside", "share", "bands wider than a point"):
        table.add_column(head)
    for title, key in (("kind", "range_per_kind"), ("held-out", "range_held_out_per_kind")):
        for name, c in report[key].items():
            if c["n"]:
                table.add_row(f"{title}: {name}", str(c["n"]), str(c["inside"]),
                              f"{c['inside_fraction']:.0%}", str(c["with_spread"]))
    console().print(table)


def _summary_tables(report: dict[str, Any], outcomes: list[Outcome]) -> None:
    table = Table(title="absolute error (%)", title_justify="left")
    for head in ("group", "n", "median", "mean", "max"):
        table.add_column(head)
    for title, key in (("kind", "per_kind"), ("held-out", "held_out_per_kind"),
                       ("held-out family", "held_out_per_family"), ("system", "per_system"),
                       ("metric", "per_metric")):
        for name, s in report[key].items():
            if s.get("n"):
                table.add_row(f"{title}: {name}", str(s["n"]), f"{s['median_abs_error_pct']:.1f}",
                              f"{s['mean_abs_error_pct']:.1f}", f"{s['max_abs_error_pct']:.1f}")
    console().print(table)
    ok = [o for o in outcomes if o.status == "ok" and o.kind != "micro"]
    worst = sorted(ok, key=lambda o: -abs(o.error_pct or 0.0))[:WORST]
    console().print("worst rows: " + ", ".join(f"{o.id} {o.error_pct:+.0f}%" for o in worst))
    console().print(f"skipped rows: {report['skipped']}")


def markdown_tables(outcomes: list[Outcome], report: dict[str, Any]) -> str:
    """Every row and the per-kind summary as Markdown (c marks a calibration row)."""
    lines = ["| id | system | model | metric | measured | predicted | error |",
             "|---|---|---|---|---|---|---|"]
    for o in outcomes:
        error = f"{o.error_pct:+.1f}%" if o.error_pct is not None else f"skipped: {o.reason}"
        lines.append(f"| {o.id}{' c' if o.calibration else ''} | {o.system} | {o.model} | "
                     f"{o.metric} | {_fmt(o.measured)} | {_fmt(o.predicted)} | {error} |")
    lines += ["", "| kind | rows | median abs. error | mean | max | held-out rows | held-out median |",
              "|---|---|---|---|---|---|---|"]
    for name, s in report["per_kind"].items():
        h = report["held_out_per_kind"].get(name, {"n": 0})
        held = f"{h['median_abs_error_pct']:.1f}%" if h.get("n") else "-"
        if s.get("n"):
            lines.append(f"| {name} | {s['n']} | {s['median_abs_error_pct']:.1f}% | "
                         f"{s['mean_abs_error_pct']:.1f}% | {s['max_abs_error_pct']:.1f}% | "
                         f"{h.get('n', 0)} | {held} |")
    return "\n".join(lines + ["", *_family_lines(report)])


def _family_lines(report: dict[str, Any]) -> list[str]:
    """Error per family (serving stack, training framework): all rows and held-out rows."""
    lines = ["| family | rows | median abs. error | held-out rows | held-out median | held-out max |",
             "|---|---|---|---|---|---|"]
    for name, s in report["per_family"].items():
        h = report["held_out_per_family"].get(name, {"n": 0})
        if s.get("n") and not name.startswith("micro"):
            held = (f"{h['median_abs_error_pct']:.1f}% | {h['max_abs_error_pct']:.1f}%"
                    if h.get("n") else "- | -")
            lines.append(f"| {name} | {s['n']} | {s['median_abs_error_pct']:.1f}% | "
                         f"{h.get('n', 0)} | {held} |")
    return lines
