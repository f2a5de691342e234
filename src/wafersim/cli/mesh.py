"""``wafersim mesh``: run kernels on the cycle-level PE mesh simulator; check the analytical
wafer kernels against it (``calibrate``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from wafersim.catalog.edit import write_files
from wafersim.cli.common import catalog, console, print_json
from wafersim.cli.mesh_functional import decode_tiny, train_tiny
from wafersim.cli.writing import print_written, progress, write_target
from wafersim.errors import ConfigError
from wafersim.mesh import allreduce as run_allreduce
from wafersim.mesh import broadcast as run_broadcast
from wafersim.mesh import decode_layer as run_decode
from wafersim.mesh import gemm as run_gemm
from wafersim.mesh import gemv as run_gemv
from wafersim.mesh import layernorm as run_layernorm
from wafersim.mesh import machine_of, parse_grid
from wafersim.mesh import softmax as run_softmax
from wafersim.mesh.plot import check_output_path, check_plot_path, heatmaps_change
from wafersim.mesh.result import MeshResult
from wafersim.mesh.stream_gemm import stream_gemm as run_stream_gemm
from wafersim.mesh.trace import check_traceable, trace_change
from wafersim.units import fmt_bytes, fmt_flops, fmt_time
from wafersim.validate.kernels import calibrate as run_calibrate
from wafersim.validate.kernels import coefficients, write_catalog

app = typer.Typer(no_args_is_help=True, add_completion=False, rich_markup_mode=None,
                  help="Cycle-level PE mesh simulator: kernels on real data, checked against NumPy.")

SIZE_MAX = 2**40  # sizes past this cannot fit any wafer's SRAM nor a host's memory


def _size(default: int, flag: str, text: str) -> Any:
    """A size option: a whole number from 1 to SIZE_MAX."""
    return typer.Option(default, flag, min=1, max=SIZE_MAX, help=text)


GRID = typer.Option("16x16", "--grid", help="PE grid COLSxROWS (up to the wafer's fabric).")
PE = typer.Option("wse-3", "--pe", help="Wafer id from the catalog (wse-2, wse-3).")
REDUCTION = typer.Option("chain", "--reduction", help="Row reduction pattern: chain or tree.")
PRECISION = typer.Option("fp16", "--precision", help="fp16 or fp32.")
PLOT = typer.Option(None, "--plot", help="Write utilisation heatmaps to this PNG (needs the "
                    "plot extra).")
TRACE = typer.Option(None, "--trace", help="Write a Chrome/Perfetto trace JSON (small grids).")
JSON = typer.Option(False, "--json", help="Machine output in SI units.")
SEED = typer.Option(0, "--seed", min=0, max=2**63 - 1, help="Seed of the random inputs.")


def _run(grid: str, pe: str, plot: str | None, trace: str | None, as_json: bool,
         run: Callable[..., MeshResult]) -> None:
    """Check the outputs are possible, simulate, then print and write what was asked: the files
    only once everything has succeeded, all of them or none."""
    cols, rows = parse_grid(grid)
    machine_of(pe, (cols, rows), catalog())
    if trace is not None:
        check_traceable(cols * rows)
        check_output_path("trace_path", trace)
    if plot is not None:
        check_plot_path(plot)
    if plot is not None and trace is not None and Path(plot).resolve() == Path(trace).resolve():
        raise ConfigError(f"--plot and --trace name the same file {plot}; give two paths")
    with progress("mesh") as step:
        step(f"simulating on {cols}x{rows} PEs", 0, 1)
        result = run(grid=(cols, rows), pe=pe, trace=trace is not None, catalog=catalog())
        files = ([heatmaps_change(result, plot)] if plot is not None else []) + (
            [trace_change(result, trace)] if trace is not None else [])
        step("done", 1, 1)
    write_files(files)
    if as_json:
        print_json(result.to_json())
    else:
        _print(result)


def _print(r: MeshResult) -> None:
    out = console()
    cols, rows = r.grid
    out.print(f"{r.kernel} on {cols}x{rows} PEs of {r.pe} ({r.precision})", style="bold")
    table = Table(show_header=False)
    rows_ = {
        "cycles": f"{r.cycles:,}",
        "time": f"{fmt_time(r.time_s)} ({fmt_time(r.time_s_lo)} to {fmt_time(r.time_s_hi)} over "
                "the catalog clock range)",
        "achieved": f"{fmt_flops(r.flops_per_s)}",
        "max abs error vs NumPy": f"{r.max_abs_error:.3g}",
        "compute utilisation": f"mean {r.compute_util.mean():.1%}, max {r.compute_util.max():.1%}",
        "link utilisation": f"mean {r.link_util.mean():.1%}, max {r.link_util.max():.1%}",
        "peak SRAM per PE": fmt_bytes(r.peak_sram_bytes_per_pe),
        "wavelets sent / received": f"{r.wavelets_sent:,} / {r.wavelets_received:,}",
        "simulation": f"{r.sim_wall_s:.2f} s wall, {r.pe_cycles_per_s:.3g} PE-cycles/s",
    }
    for key, value in rows_.items():
        table.add_row(key, value)
    out.print(table)
    parts = Table(title="cycle breakdown", title_justify="left")
    for head in ("phase", "cycles", "share"):
        parts.add_column(head)
    for phase, cycles in r.breakdown.items():
        parts.add_row(phase, f"{cycles:,}", f"{cycles / r.cycles:.1%}")
    out.print(parts)


@app.command("gemv")
def gemv(m: int = _size(4096, "--m", "Rows of W (outputs)."),
         n: int = _size(4096, "--n", "Columns of W (inputs)."),
         grid: str = GRID, pe: str = PE, reduction: str = REDUCTION, precision: str = PRECISION,
         plot: str = PLOT, trace: str = TRACE, as_json: bool = JSON, seed: int = SEED) -> None:
    """y = W[m, n] @ x: x multicast down columns, partial sums reduced along rows."""
    _run(grid, pe, plot, trace, as_json, lambda **kw: run_gemv(
        m, n, reduction=reduction, precision=precision, seed=seed, **kw))


@app.command("gemm")
def gemm(m: int = _size(512, "--m", "Rows of A and C."),
         k: int = _size(512, "--k", "Columns of A, rows of B."),
         n: int = _size(512, "--n", "Columns of B and C."),
         grid: str = GRID, pe: str = PE, precision: str = PRECISION, plot: str = PLOT,
         trace: str = TRACE, as_json: bool = JSON, seed: int = SEED) -> None:
    """C[m, n] = A[m, k] @ B[k, n] by SUMMA (row and column panel multicasts)."""
    _run(grid, pe, plot, trace, as_json, lambda **kw: run_gemm(
        m, k, n, precision=precision, seed=seed, **kw))


@app.command("stream-gemm")
def stream_gemm(tokens: int = _size(256, "--tokens", "Rows of X (tokens)."),
                k: int = _size(1024, "--k", "Columns of X, rows of W."),
                n: int = _size(64, "--n", "Columns of W (outputs)."),
                grid: str = GRID, pe: str = PE, reduction: str = REDUCTION,
                precision: str = PRECISION, plot: str = PLOT, trace: str = TRACE,
                as_json: bool = JSON, seed: int = SEED) -> None:
    """Weight-streaming matmul Y = X @ W: X resident, W streamed in from the west edge."""
    _run(grid, pe, plot, trace, as_json, lambda **kw: run_stream_gemm(
        tokens, k, n, reduction=reduction, precision=precision, seed=seed, **kw))


@app.command("allreduce")
def allreduce(length: int = _size(1024, "--length", "fp32 values per PE."),
              scope: str = typer.Option("row", "--scope", help="row, col or grid."),
              op: str = typer.Option("sum", "--op", help="sum or max."),
              grid: str = GRID, pe: str = PE, reduction: str = REDUCTION, plot: str = PLOT,
              trace: str = TRACE, as_json: bool = JSON, seed: int = SEED) -> None:
    """All-reduce a vector within every row, every column or the whole grid."""
    if op not in ("sum", "max"):
        raise ConfigError(f"--op {op!r} is not one of sum, max")
    _run(grid, pe, plot, trace, as_json, lambda **kw: run_allreduce(
        length, scope=scope, reduction=reduction, op=op, seed=seed, **kw))


@app.command("broadcast")
def broadcast(length: int = _size(1024, "--length", "fp32 values."),
              scope: str = typer.Option("row", "--scope", help="row, col or grid."),
              grid: str = GRID, pe: str = PE, plot: str = PLOT, trace: str = TRACE,
              as_json: bool = JSON, seed: int = SEED) -> None:
    """Multicast a vector along every row, every column or over the whole grid."""
    _run(grid, pe, plot, trace, as_json, lambda **kw: run_broadcast(
        length, scope=scope, seed=seed, **kw))


@app.command("softmax")
def softmax(m: int = _size(64, "--m", "Rows of X."),
            n: int = _size(1024, "--n", "Columns of X (softmax axis)."),
            grid: str = GRID, pe: str = PE, reduction: str = REDUCTION, plot: str = PLOT,
            trace: str = TRACE, as_json: bool = JSON, seed: int = SEED) -> None:
    """Row-wise softmax of X[m, n] (fp32)."""
    _run(grid, pe, plot, trace, as_json, lambda **kw: run_softmax(
        m, n, reduction=reduction, seed=seed, **kw))


@app.command("layernorm")
def layernorm(m: int = _size(64, "--m", "Rows of X."),
              n: int = _size(1024, "--n", "Columns of X (normalised axis)."),
              rms: bool = typer.Option(False, "--rms", help="RMS norm (no mean, no bias)."),
              grid: str = GRID, pe: str = PE, reduction: str = REDUCTION, plot: str = PLOT,
              trace: str = TRACE, as_json: bool = JSON, seed: int = SEED) -> None:
    """Layer norm (or RMS norm) of each row of X[m, n] (fp32)."""
    _run(grid, pe, plot, trace, as_json, lambda **kw: run_layernorm(
        m, n, reduction=reduction, rms=rms, seed=seed, **kw))


@app.command("decode-layer")
def decode_layer(model: str = typer.Option("llama-3.1-8b", "--model", help="Catalog model."),
                 d_model: int = _size(128, "--d-model", "Scaled-down width."),
                 heads: int = _size(4, "--heads", "Scaled-down query heads."),
                 seq_len: int = _size(16, "--seq-len", "Tokens incl. the new one."),
                 grid: str = typer.Option("8x8", "--grid", help="PE grid COLSxROWS."),
                 pe: str = PE, reduction: str = REDUCTION, precision: str = PRECISION,
                 plot: str = PLOT, trace: str = TRACE, as_json: bool = JSON,
                 seed: int = SEED) -> None:
    """One decode step of a scaled-down layer of MODEL, checked against a NumPy layer."""
    _run(grid, pe, plot, trace, as_json, lambda **kw: run_decode(
        model, d_model, heads, seq_len, reduction=reduction, precision=precision, seed=seed,
        **kw))


@app.command("calibrate")
def calibrate(pe: str | None = typer.Option(None, "--pe", help="Show one wafer's rows only "
                                            "(the fit always uses both generations)."),
              write: bool = typer.Option(False, "--write", help="Write the fitted coefficient "
                                         "into a copy of wse.yaml under the user catalog "
                                         "directory; show the diff."),
              catalog_dir: str = typer.Option(None, "--catalog-dir", metavar="DIR",
                                              help="User catalog directory for --write (default: "
                                              "the first $WAFERSIM_CATALOG directory, else "
                                              "~/.config/wafersim/catalog)."),
              in_place: bool = typer.Option(False, "--in-place", help="With --write: edit the "
                                            "package's wse.yaml, keeping wse.yaml.bak."),
              as_json: bool = JSON) -> None:
    """Compare the analytical wafer kernels (GEMV, weight-streaming matmul, decode layer) with the
    simulator and fit their one shared coefficient."""
    directory = write_target(write, catalog_dir, in_place)
    if pe is not None:
        machine_of(pe, (1, 1), catalog())
    before = coefficients(catalog()).summa_step_cycles
    with progress("mesh calibrate") as step:
        cal = run_calibrate(catalog(), step=step)
    changes = write_catalog(cal, catalog(), directory) if write else []
    points = [p for p in cal.points if pe is None or p.pe == pe]
    if as_json:
        print_json({**cal.to_json(), "points": [p.to_json() for p in points],
                    "catalog_before": before,
                    "written": str(changes[0].path) if changes else None,
                    "diff": "".join(c.diff() for c in changes) if write else None})
        return
    out = console()
    out.print(f"wse.kernels.summa_step_cycles = {cal.summa_step_cycles:g} (catalog had "
              f"{before:g}); decode-layer error mean {cal.mean_rel_error:.2%}, max "
              f"{cal.max_rel_error:.2%}", style="bold")
    table = Table()
    for head in ("kernel", "wafer", "sizes", "grid", "reduction", "mesh cycles", "analytical",
                 "error"):
        table.add_column(head)
    for p in points:
        table.add_row(p.kernel, p.pe, p.sizes, f"{p.grid[0]}x{p.grid[1]}", p.reduction,
                      f"{p.mesh_cycles:,}", f"{p.analytical_cycles:,.0f}", f"{p.error:+.1%}")
    out.print(table)
    print_written(changes, directory, write)


app.command("train-tiny")(train_tiny)
app.command("decode-tiny")(decode_tiny)
