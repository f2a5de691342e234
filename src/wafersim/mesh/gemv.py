"""GEMV y = W @ x on the PE mesh, after WaferLLM's MeshGEMV (He et al., OSDI 2025) and the
Cerebras SDK GEMV tutorials (gemv-01..09).

PE (r, c) holds the tile W[r-block, c-block] (see `layout`). Phases:

1. broadcast: each PE of the north row holds x[c-block] and multicasts it down its column on one
   color (two fp16 values per 32-bit wavelet);
2. compute: every arriving wavelet triggers a data task that runs one @fmach per value,
   y_tile += W_tile[:, j] * x[j], at the SIMD width the SRAM ports allow (`PEMachine.vector_width`);
   the north row uses its own copy of x. fp16 partial sums are then widened to fp32 (@fmovs);
3. reduce: the fp32 partial sums (one per wavelet) are reduced along each row eastwards, by a
   chain (add-and-forward) or a binary tree; y[r-block] ends on the east column.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wafersim.catalog import Catalog
from wafersim.errors import ParameterError
from wafersim.mesh.budget import check_host_memory
from wafersim.mesh.engine import TRACE_MAX_PES, MeshSim
from wafersim.mesh.kernel import PE, Arrival, Buffer, half
from wafersim.mesh.layout import (
    check_positive,
    dtype_of,
    max_abs_error,
    padded,
    tile_of,
    tile_view,
    to_slices,
    to_tiles,
)
from wafersim.mesh.lines import REDUCTIONS
from wafersim.mesh.machine import machine_of
from wafersim.mesh.result import MeshResult

BROADCAST_COLOR, REDUCE_COLOR = 0, 2


def check_reduction(reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ParameterError("reduction", reduction, f"{{reduction!r}} is not one of "
                             f"{', '.join(REDUCTIONS)}", allowed=f"one of {', '.join(REDUCTIONS)}")


def reserve(sim: MeshSim, m: int, n: int, precision: str, account: bool = True) -> GemvBuffers:
    """Declare the GEMV's buffers on every PE (fails before any data is made if they cannot fit)."""
    pe = PE(sim)
    tm, tn = tile_of(m, pe.height), tile_of(n, pe.width)
    return GemvBuffers(pe, pe.buffer("W", (tm, tn), precision, account=account),
                       pe.buffer("x", tn, precision, account=account),
                       pe.buffer("y", tm, precision, account=account),
                       pe.buffer("y32", tm, "fp32", account=account))


@dataclass(frozen=True)
class GemvBuffers:
    """The kernel's PE view and its buffers: the W tile, the x slice, y and its fp32 copy."""

    pe: PE
    w: Buffer
    x: Buffer
    y: Buffer
    y32: Buffer


def gemv_on(sim: MeshSim, w: np.ndarray, x: np.ndarray, reduction: str = "chain",
            precision: str = "fp16", allocate: bool = True,
            buffers: GemvBuffers | None = None) -> np.ndarray:
    """Run y = w @ x on `sim` (its SRAM, fabric and cores); returns y in fp32. A w made by
    `layout.padded` for the grid is held as it is, tiled by a view (leave it unchanged)."""
    m = w.shape[0]
    b = buffers or reserve(sim, m, w.shape[1], precision, account=allocate)
    pe = b.pe
    tiles = tile_view(w, pe.height, pe.width)
    b.w.adopt(to_tiles(w, pe.height, pe.width) if tiles is None else tiles)
    b.x.write(to_slices(x, pe.width)[None], where=pe.y == 0)
    start = pe.now()  # x is ready when everything before this kernel is done
    got = pe.multicast(BROADCAST_COLOR, "S", pe.y == 0, data=b.x, ready=start)
    sim.mark("broadcast")
    _compute(pe, b, got, start)
    sim.mark("compute")
    y = pe.reduce_line("E", b.y32, reduction, first_color=REDUCE_COLOR)
    sim.mark("reduce")
    return y.reshape(-1)[:m]


def _compute(pe: PE, b: GemvBuffers, got: Arrival, start: float) -> None:
    """A data task per wavelet of x: one @fmach y += W[:, j] * x[j] per value it carries (the
    north row starts on its own copy at once); then y is widened to fp32."""
    tn = b.x.length
    per = pe.machine.values_per_wavelet(b.x.precision)
    arrived = got.delivery.with_senders(pe.y == 0, start, -(-tn // per))
    pe.receive(b.x, got)
    column = pe.fmac_cycles(b.y)
    last = tn - (arrived.wavelets - 1) * per
    b.y.write(0)
    pe.on_data("gemv", arrived, per * column, last * column, flops=2.0 * b.y.length * tn)
    pe.fmac_columns(b.y, b.w, b.x)  # column order of the @fmach loop, vectorised over every PE
    if b.y.precision == "fp16":  # widened through its bits: NumPy's half cast is software
        pe.copy(b.y32, half.to_float32(b.y.read()))
    elif b.y.precision != "fp32":
        pe.copy(b.y32, b.y)
    else:
        b.y32.write(b.y.read())


CHUNK_VALUES = 1 << 22  # values of W drawn and scaled at a time (cache-sized, bounded temporaries)
CHECK_VALUES = 1 << 24  # past this many values of W the reference checks evenly spaced rows


def inputs(seed: int, precision: str, m: int, n: int,
           tiles: tuple[int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Uniform(-1, 1) W (scaled by 1/sqrt(n)) and x: the values of `random_inputs` with the
    scaling, drawn a block of rows at a time (the generator's stream does not depend on it).
    With `tiles` = (rows, cols) of a grid, W is drawn into storage padded to its whole tiles
    (`layout.padded`), which `gemv_on` tiles without a copy."""
    rng, dt = np.random.default_rng(seed), dtype_of(precision)
    w = np.empty((m, n), dtype=dt) if tiles is None else padded(m, n, *tiles, dt)
    step, scale = max(1, CHUNK_VALUES // n), np.sqrt(n)
    for i in range(0, m, step):
        w[i:i + step] = rng.uniform(-1.0, 1.0, size=(min(step, m - i), n)).astype(dt) / scale
    return w, rng.uniform(-1.0, 1.0, size=n).astype(dt)


def checked_rows(m: int, n: int) -> slice:
    """The rows of y checked against the reference: all, or every k-th past CHECK_VALUES."""
    return slice(None, None, max(1, -(-m * n // CHECK_VALUES)))


def reference(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    """NumPy y = W @ x in float64 (float32 for very large W, to bound memory)."""
    wide = np.float64 if w.size <= 1 << 24 else np.float32
    return w.astype(wide) @ x.astype(wide)


def gemv(m: int, n: int, grid: tuple[int, int] = (4, 4), pe: str = "wse-3",
         reduction: str = "chain", precision: str = "fp16", seed: int = 0, trace: bool = False,
         catalog: Catalog | None = None, hop_latency_cycles: float | None = None,
         link_wavelets_per_cycle: float | None = None) -> MeshResult:
    """Simulate y = W[m, n] @ x on a `grid` = (cols, rows) mesh of `pe`; random inputs."""
    check_positive(m=m, n=n)
    check_reduction(reduction)
    dtype_of(precision)
    machine = machine_of(pe, grid, catalog, hop_latency_cycles, link_wavelets_per_cycle)
    sim = MeshSim(machine, trace=trace and machine.pes <= TRACE_MAX_PES)
    buffers = reserve(sim, m, n, precision)
    check_host_memory("gemv", m * n, machine.pes, m=m, n=n)
    with sim.off_clock():
        w, x = inputs(seed, precision, m, n, sim.shape)
    y = gemv_on(sim, w, x, reduction, precision, buffers=buffers)
    with sim.off_clock():
        rows = checked_rows(m, n)
        error = max_abs_error(y[rows], reference(w[rows], x))
    return sim.finish("gemv", precision, 2.0 * m * n, y, error,
                      {"m": m, "n": n, "reduction": reduction, "seed": seed})
