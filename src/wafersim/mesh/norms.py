"""Row-wise softmax and layer norm (or RMS norm) of a matrix X[m, n] spread over the grid.

PE (r, c) holds the tile X[r-block, c-block] in fp32. A row of X spans one row of PEs, so every
row statistic is a local reduction over the tile followed by an all-reduce along the PE row
(`collectives.allreduce_on`, chain or tree):

    softmax:   mu = max_j x;  e = exp(x - mu);  s = sum_j e;  y = e / s
    layernorm: mu = mean_j x;  v = mean_j (x - mu)^2;  y = (x - mu) * rsqrt(v + eps) * g + b
    rmsnorm:   y = x * rsqrt(mean_j x^2 + eps) * g

Element-wise costs follow `elementwise` (SIMD width capped by the SRAM ports; software
transcendentals).
"""

from __future__ import annotations

import numpy as np

from wafersim.catalog import Catalog
from wafersim.mesh.budget import check_host_memory
from wafersim.mesh.collectives import allreduce_on
from wafersim.mesh.engine import TRACE_MAX_PES, MeshSim
from wafersim.mesh.gemv import check_reduction
from wafersim.mesh.kernel import PE, Buffer
from wafersim.mesh.layout import (
    check_positive,
    from_tiles,
    max_abs_error,
    random_inputs,
    tile_of,
    to_slices,
    to_tiles,
)
from wafersim.mesh.machine import machine_of
from wafersim.mesh.result import MeshResult


def _tiles(sim: MeshSim, xt: np.ndarray, n: int) -> tuple[PE, Buffer, Buffer, Buffer, np.ndarray]:
    """The PE view, the x and y tiles (the caller reserved them as "X"), a statistic per tile row,
    and the mask of the tile columns inside the first `n` columns."""
    pe = PE(sim)
    tm, tn = xt.shape[2], xt.shape[3]
    x, y = pe.buffer("x", (tm, tn), account=False), pe.buffer("y", (tm, tn), account=False)
    stat = pe.buffer("stat", tm, account=False)
    valid = (np.arange(pe.width)[:, None] * tn + np.arange(tn)) < n  # (cols, tn)
    return pe, x, y, stat, valid[None, :, None, :]


def softmax_on(sim: MeshSim, xt: np.ndarray, n: int, reduction: str = "chain") -> np.ndarray:
    """Row-wise softmax of the tiles `xt` (rows, cols, tm, tn) over the first `n` columns."""
    pe, x, e, stat, valid = _tiles(sim, xt, n)
    x.write(np.where(valid, xt, -np.inf))
    pe.reduce_local("max", stat, x)
    pe.mark("local")
    top = allreduce_on(sim, stat.read(), "row", reduction, "max")
    pe.exp(e, x.read() - top[..., None])
    pe.mark("local")
    pe.reduce_local("sum", stat, e, charge=False)  # fused into the exp pass
    total = allreduce_on(sim, stat.read(), "row", reduction, "sum")
    pe.unary("recip", stat, total)
    pe.mul(e, e, stat.read()[..., None])
    pe.mark("local")
    return e.read().copy()


def norm_on(sim: MeshSim, xt: np.ndarray, n: int, gamma: np.ndarray, beta: np.ndarray | None,
            eps: float = 1e-5, reduction: str = "chain") -> np.ndarray:
    """Layer norm (beta given) or RMS norm (beta None) of each row of the tiles over `n` columns."""
    pe, x, y, stat, valid = _tiles(sim, xt, n)
    x.write(xt)
    if beta is not None:
        pe.reduce_local("sum", stat, x)
        pe.mark("local")
        mean = allreduce_on(sim, stat.read(), "row", reduction) / np.float32(n)
        pe.binary("sub", x, x, np.where(valid, mean[..., None], x.read()))  # padding stays 0
        pe.mark("local")
    pe.mul(y, x, x)
    pe.mark("local")
    pe.reduce_local("sum", stat, y, charge=False)  # fused into the square pass
    ss = allreduce_on(sim, stat.read(), "row", reduction)
    pe.unary("rsqrt", stat, ss / np.float32(n) + np.float32(eps))
    pe.mark("local")
    pe.mul(y, x, stat.read()[..., None])
    pe.mul(y, y, to_slices(gamma.astype(np.float32), pe.width)[None, :, None, :])
    if beta is not None:
        pe.add(y, y, to_slices(beta.astype(np.float32), pe.width)[None, :, None, :])
    pe.mark("local")
    return y.read().copy()


def _start(pe: str, grid: tuple[int, int], catalog: Catalog | None, trace: bool, m: int,
           n: int, kernel: str) -> MeshSim:
    machine = machine_of(pe, grid, catalog)
    sim = MeshSim(machine, trace=trace and machine.pes <= TRACE_MAX_PES)
    sim.alloc("X", tile_of(m, machine.rows) * tile_of(n, machine.cols) * 4 * 2)
    check_host_memory(kernel, m * n, machine.pes, m=m, n=n)
    return sim


def softmax(m: int, n: int, grid: tuple[int, int] = (4, 4), pe: str = "wse-3",
            reduction: str = "chain", seed: int = 0, trace: bool = False,
            catalog: Catalog | None = None) -> MeshResult:
    """Row-wise softmax of a random fp32 X[m, n] (scaled to [-4, 4]) on the mesh."""
    check_positive(m=m, n=n)
    check_reduction(reduction)
    sim = _start(pe, grid, catalog, trace, m, n, "softmax")
    with sim.off_clock():
        (x,) = random_inputs(seed, "fp32", (m, n))
        x = (4 * x).astype(np.float32)
    y = from_tiles(softmax_on(sim, to_tiles(x, *sim.shape), n, reduction), (m, n))
    with sim.off_clock():
        wide = np.exp(x - x.max(axis=1, keepdims=True).astype(np.float64))
        error = max_abs_error(y, wide / wide.sum(axis=1, keepdims=True))
    return sim.finish("softmax", "fp32", 5.0 * m * n, y, error,
                      {"m": m, "n": n, "reduction": reduction, "seed": seed})


def layernorm(m: int, n: int, grid: tuple[int, int] = (4, 4), pe: str = "wse-3",
              reduction: str = "chain", rms: bool = False, seed: int = 0, trace: bool = False,
              catalog: Catalog | None = None) -> MeshResult:
    """Layer norm (or RMS norm) of each row of a random fp32 X[m, n] with random gain and bias."""
    check_positive(m=m, n=n)
    check_reduction(reduction)
    sim = _start(pe, grid, catalog, trace, m, n, "layernorm")
    with sim.off_clock():
        x, gamma, beta = random_inputs(seed, "fp32", (m, n), (n,), (n,))
    b = None if rms else beta
    y = from_tiles(norm_on(sim, to_tiles(x, *sim.shape), n, gamma, b, 1e-5, reduction), (m, n))
    with sim.off_clock():
        error = max_abs_error(y, norm_reference(x, gamma, b, 1e-5))
    return sim.finish("rmsnorm" if rms else "layernorm", "fp32", 8.0 * m * n, y, error,
                      {"m": m, "n": n, "reduction": reduction, "seed": seed})


def norm_reference(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray | None,
                   eps: float) -> np.ndarray:
    """NumPy layer norm (beta given) or RMS norm in float64."""
    w = x.astype(np.float64)
    if beta is not None:
        w = w - w.mean(axis=-1, keepdims=True)
    y = w / np.sqrt((w * w).mean(axis=-1, keepdims=True) + eps) * gamma
    return y + beta if beta is not None else y
