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

import numpy as np

from wafersim.catalog import Catalog
from wafersim.errors import ParameterError
from wafersim.mesh.budget import check_host_memory
from wafersim.mesh.core import simd_cycles
from wafersim.mesh.engine import TRACE_MAX_PES, MeshSim
from wafersim.mesh.fabric import Delivery
from wafersim.mesh.layout import (
    check_positive,
    dtype_of,
    max_abs_error,
    random_inputs,
    tile_of,
    to_slices,
    to_tiles,
)
from wafersim.mesh.lines import REDUCTIONS, multicast, reduce_line
from wafersim.mesh.machine import PRECISION_BYTES, machine_of
from wafersim.mesh.result import MeshResult

BROADCAST_COLOR, REDUCE_COLOR = 0, 2


def check_reduction(reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ParameterError("reduction", reduction, f"{{reduction!r}} is not one of "
                             f"{', '.join(REDUCTIONS)}", allowed=f"one of {', '.join(REDUCTIONS)}")


def reserve(sim: MeshSim, m: int, n: int, precision: str) -> None:
    """Allocate the GEMV's SRAM on every PE (fails before any data is made if it cannot fit)."""
    rows, cols = sim.shape
    tm, tn = tile_of(m, rows), tile_of(n, cols)
    size = PRECISION_BYTES[precision]
    sim.alloc("W", tm * tn * size)
    sim.alloc("x", tn * size)
    sim.alloc("y", tm * (size + 4))  # accumulator and fp32 partial sums


def gemv_on(sim: MeshSim, w: np.ndarray, x: np.ndarray, reduction: str = "chain",
            precision: str = "fp16", allocate: bool = True) -> np.ndarray:
    """Run y = w @ x on `sim` (its SRAM, fabric and cores); returns y in fp32."""
    m, n = w.shape
    rows, cols = sim.shape
    tn = tile_of(n, cols)
    if allocate:
        reserve(sim, m, n, precision)
    wt, xt = to_tiles(w, rows, cols), to_slices(x, cols)
    got = _broadcast(sim, tn, precision)
    sim.mark("broadcast")
    partial = _compute(sim, wt, xt, got, precision)
    sim.mark("compute")
    y, _ = reduce_line(sim, "E", partial, reduction, first_color=REDUCE_COLOR)
    sim.mark("reduce")
    return y.reshape(-1)[:m]


def _broadcast(sim: MeshSim, tn: int, precision: str) -> Delivery:
    wavelets = -(-tn // sim.machine.values_per_wavelet(precision))
    north = np.zeros(sim.shape, dtype=bool)
    north[0] = True
    start = sim.now()  # x is ready when everything before this kernel is done
    got = multicast(sim, BROADCAST_COLOR, "S", north, wavelets, start)
    first = np.where(north, start, got.first)  # the north row reads its own copy
    return Delivery(first, np.where(north, wavelets, got.wavelets), got.spacing)


def _compute(sim: MeshSim, wt: np.ndarray, xt: np.ndarray, got: Delivery,
             precision: str) -> np.ndarray:
    m = sim.machine
    tm, tn = wt.shape[2], wt.shape[3]
    per = m.values_per_wavelet(precision)
    column = simd_cycles(tm, m.vector_width(precision, reads=2, writes=1))
    last = tn - (got.wavelets - 1) * per
    sim.consume("gemv", got, per * column, last * column, flops=2.0 * tm * tn)
    acc = np.zeros(wt.shape[:3], dtype=wt.dtype)
    for j in range(tn):  # column order of the @fmach loop (vectorised over every PE)
        acc += wt[..., j] * xt[None, :, j, None]
    if precision != "fp32":
        sim.compute("widen", sim.core.free, simd_cycles(tm, m.vector_width("fp32", reads=1, writes=1)))
    return acc.astype(np.float32)


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
    reserve(sim, m, n, precision)
    check_host_memory("gemv", m * n, machine.pes, m=m, n=n)
    w, x = random_inputs(seed, precision, (m, n), (n,))
    w = (w / np.sqrt(n)).astype(w.dtype)
    y = gemv_on(sim, w, x, reduction, precision, allocate=False)
    error = max_abs_error(y, reference(w, x))
    return sim.finish("gemv", precision, 2.0 * m * n, y, error,
                      {"m": m, "n": n, "reduction": reduction, "seed": seed})
