"""``wafersim sweep``: run a spec of points into a Parquet store (resumable), query it with SQL,
print its Pareto front. Needs the sweep extra (pyarrow, duckdb; ray for ``--executor ray``)."""

from __future__ import annotations

import json
import sys
from typing import Any

import typer
from rich.table import Table

from wafersim.cli.common import catalog, console, print_json, state
from wafersim.cli.plotting import check_plot, plot_option, write_plot
from wafersim.cli.progress import progress
from wafersim.errors import ConfigError
from wafersim.figures.pareto import pareto_figure
from wafersim.sweep.execute import CHUNK_MAX, CHUNK_POINTS, EXECUTORS, WORKERS_MAX, run_sweep
from wafersim.sweep.query import default_front
from wafersim.sweep.query import pareto as front_of
from wafersim.sweep.query import query as run_query
from wafersim.sweep.spec import load_spec
from wafersim.sweep.store import check_dir, require

app = typer.Typer(no_args_is_help=True, add_completion=False, rich_markup_mode=None,
                  help="Design-space sweeps: run a spec into a Parquet store, query it, Pareto fronts.")

JSON = typer.Option(False, "--json", help="Machine output: a JSON list of rows (SI units).")


@app.command("run")
def run(spec: str = typer.Argument(..., metavar="SPEC.yaml", help="Sweep spec (docs/sweeps.md)."),
        out: str = typer.Option(..., "--out", metavar="DIR", help="Results directory (created; "
                                "points already there are skipped)."),
        executor: str = typer.Option("process", "--executor", help="serial, process or ray."),
        workers: int | None = typer.Option(None, "--workers", min=1, max=WORKERS_MAX,
                                           help="Processes of the pool (default 2)."),
        address: str | None = typer.Option(None, "--address", help="Ray cluster address "
                                           "(--executor ray; default: a local Ray)."),
        chunk: int = typer.Option(CHUNK_POINTS, "--chunk", min=1, max=CHUNK_MAX,
                                  help="Points per task and per Parquet part.")) -> None:
    """Evaluate every point of SPEC not yet in DIR; each chunk of points becomes a Parquet part."""
    if executor not in EXECUTORS:
        raise ConfigError(f"--executor {executor!r}: give one of {', '.join(EXECUTORS)}")
    if address is not None and executor != "ray":
        raise ConfigError("--address only applies with --executor ray; add it or drop --address")
    require("pyarrow")
    if executor == "ray":
        require("ray")
    sweep = load_spec(spec, catalog())
    points = len(sweep.points())  # every point valid before anything is written
    path = check_dir(out)
    with progress(f"sweeping {points:,} points", total=points) as step:
        def advance(n: int) -> None:
            for _ in range(n):
                step()
        outcome = run_sweep(sweep, path, executor, workers, address, state.catalog_dirs, advance,
                            chunk)
    console().print(f"{outcome.points:,} points: {outcome.skipped:,} already stored, "
                    f"{outcome.evaluated:,} evaluated ({outcome.failed:,} infeasible) into "
                    f"{outcome.parts:,} new parts under {path}")


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else str(value)


def _table(columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    table = Table(*columns)
    for r in rows:
        table.add_row(*(_cell(v) for v in r))
    console().print(table)


@app.command("query")
def query(out: str = typer.Argument(..., metavar="DIR", help="Results directory."),
          sql: str = typer.Argument(..., metavar="SQL", help="A DuckDB statement over `results`."),
          as_json: bool = JSON) -> None:
    """Run SQL over the store with DuckDB; the table is `results`, one row per point."""
    columns, rows = run_query(out, sql)
    if as_json:
        sys.stdout.write(json.dumps([dict(zip(columns, r, strict=True)) for r in rows],
                                    indent=2, default=str) + "\n")
    else:
        _table(columns, rows)


SHOWN = ("kind", "model", "system", "count", "batch", "tp", "pp", "devices")


@app.command("pareto")
def pareto(out: str = typer.Argument(..., metavar="DIR", help="Results directory."),
           x: str | None = typer.Option(None, "--x", help="First figure (default: wall_time_s "
                                        "for training points, else user_tokens_per_s)."),
           y: str | None = typer.Option(None, "--y", help="Second figure (default: cost_usd, "
                                        "else throughput_tokens_per_s)."),
           z: str | None = typer.Option(None, "--z", help="Optional third figure."),
           as_json: bool = JSON,
           plot: str | None = plot_option("the stored points on --x and --y and the front")) -> None:
    """The points no other point beats on every figure given: time, cost and energy minimised,
    tokens/s and MFU maximised."""
    check_plot(plot)
    if (x is None) != (y is None):
        raise ConfigError("sweep pareto: give both --x and --y, or neither for the default front")
    figures = default_front(out) if x is None or y is None else [x, y]
    figures += [z] if z is not None else []
    front = front_of(out, figures)
    if plot is not None:
        write_plot(pareto_figure(out, figures), plot)
    if as_json:
        print_json(front)
        return
    columns = [*SHOWN, *figures]
    _table(columns, [tuple(r[c] for c in columns) for r in front])
