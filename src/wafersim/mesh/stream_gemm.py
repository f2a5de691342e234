"""The weight-streaming training matmul Y[T, n] = X[T, k] @ W[k, n] on the PE mesh.

In weight streaming (Cerebras HC34, Lie 2022; "Scaling Up and Out", James 2021) a layer's
activations stay resident in PE SRAM while its weights arrive over the fabric from the wafer edge.
PE (r, c) holds the activation tile X[c-block of tokens, r-block of k] (tb x kb). Phases:

1. stream: the west PE of row r injects W[r-block, :] (as if from the edge) and multicasts it east
   along the row: column j of the block, v consecutive weights W[k.., j] per 32-bit wavelet
   (v = 2 in fp16, 1 in fp32);
2. compute: every arriving wavelet triggers a data task that applies its v weights (held as
   scalars) to the resident activation columns X[:, k..k+v) and adds the products into the
   partial sums P[:, j] (tb values): the partial sums are read and written once per wavelet,
   i.e. once per v FMACs (`wavelet_cycles`). fp16 partial sums are then widened to fp32;
3. reduce: the fp32 partial sums (tb x n per PE, one per wavelet) are reduced along each PE
   column southwards, chain or tree; Y[c-block, :] ends on the south row.

Applying a whole wavelet before writing the partial sums back is the modelled operand reuse (an
assumption: the SDK documents @fmach with one scalar; a two-scalar data task is what lets WSE-3's
8-wide SIMD pass the SRAM-port cap of a GEMV, which published CS-3 training throughput requires).
kb is padded to a multiple of v.
"""

from __future__ import annotations

import numpy as np

from wafersim.catalog import Catalog
from wafersim.mesh.budget import check_host_memory
from wafersim.mesh.core import simd_cycles
from wafersim.mesh.engine import TRACE_MAX_PES, MeshSim
from wafersim.mesh.fabric import Delivery
from wafersim.mesh.gemv import check_reduction
from wafersim.mesh.kernel import PE
from wafersim.mesh.layout import (
    check_positive,
    dtype_of,
    max_abs_error,
    random_inputs,
    tile_of,
    to_tiles,
)
from wafersim.mesh.machine import PRECISION_BYTES, PEMachine, machine_of
from wafersim.mesh.result import MeshResult

STREAM_COLOR, REDUCE_COLOR = 0, 2


def wavelet_cycles(m: PEMachine, tokens: int, precision: str = "fp16") -> float:
    """Cycles of one wavelet's task: v * tokens FMACs reading v activation columns and the
    partial sums, writing the partial sums (SIMD width or SRAM ports, whichever binds)."""
    size, v = PRECISION_BYTES[precision], m.values_per_wavelet(precision)
    return float(max(np.ceil(v * tokens / m.simd_fmac_per_cycle[precision]),
                     np.ceil((v + 1) * tokens * size / m.sram_read_bytes_per_cycle),
                     np.ceil(tokens * size / m.sram_write_bytes_per_cycle)))


def k_block(m: PEMachine, k: int, precision: str) -> int:
    """Rows of W per PE row, padded to whole wavelets."""
    v = m.values_per_wavelet(precision)
    return v * tile_of(tile_of(k, m.rows), v)


def reserve(sim: MeshSim, t: int, k: int, n: int, precision: str) -> None:
    """Allocate the resident activations and the partial sums on every PE."""
    pe = PE(sim)
    tb, kb = tile_of(t, pe.width), k_block(sim.machine, k, precision)
    pe.buffer("X", (kb, tb), precision)
    pe.buffer("P", (tb, n), precision)
    pe.buffer("P fp32", (tb, n), "fp32")
    pe.buffer("weights in", 2, "fp32")  # a two-wavelet input queue


def stream_gemm_on(sim: MeshSim, x: np.ndarray, w: np.ndarray, reduction: str = "chain",
                   precision: str = "fp16", allocate: bool = True) -> np.ndarray:
    """Run Y = x @ w with x resident and w streamed; returns Y in fp32."""
    t, k = x.shape
    n = w.shape[1]
    rows, cols = sim.shape
    if allocate:
        reserve(sim, t, k, n, precision)
    kb, v = k_block(sim.machine, k, precision), sim.machine.values_per_wavelet(precision)
    xt = to_tiles(_pad(x.T, rows * kb, None), rows, cols)  # (rows, cols, kb, tb)
    wt = _pad(w, rows * kb, None).reshape(rows, kb, n)  # row r's weight block
    pe = PE(sim)
    got = _stream(pe, n * kb // v)
    pe.mark("stream")
    partial = _compute(pe, xt, wt, got, precision)
    pe.mark("compute")
    y = pe.reduce_line("S", partial.reshape(rows, cols, -1), reduction, first_color=REDUCE_COLOR)
    pe.mark("reduce")
    tb = xt.shape[3]
    return y.reshape(cols * tb, n)[:t]


def _pad(a: np.ndarray, rows: int, cols: int | None) -> np.ndarray:
    out = np.zeros((rows, cols or a.shape[1]), dtype=a.dtype)
    out[: a.shape[0], : a.shape[1]] = a
    return out


def _stream(pe: PE, wavelets: int) -> Delivery:
    """The west column injects the row's weights (as if from the wafer edge) and multicasts them
    east; it works on them as they leave."""
    west = pe.x == 0
    start = pe.now()
    got = pe.multicast(STREAM_COLOR, "E", west, wavelets=wavelets, ready=start).delivery
    return got.with_senders(west, start, wavelets)


def _compute(pe: PE, xt: np.ndarray, wt: np.ndarray, got: Delivery,
             precision: str) -> np.ndarray:
    m = pe.machine
    kb, tb, n = xt.shape[2], xt.shape[3], wt.shape[2]
    task, v = wavelet_cycles(m, tb, precision), m.values_per_wavelet(precision)
    pe.on_data("stream-gemm", got, task, task, flops=2.0 * tb * kb * n)
    acc = np.zeros((*xt.shape[:2], tb, n), dtype=xt.dtype)
    for j in range(0, kb, v):  # one wavelet's weights per step, every output column at once
        xs = xt[:, :, j:j + v].astype(np.float32)  # (rows, cols, v, tb)
        ws = wt[:, j:j + v].astype(np.float32)  # (rows, v, n)
        acc = (acc.astype(np.float32) + np.einsum("rcvt,rvn->rctn", xs, ws)).astype(acc.dtype)
    if precision != "fp32":
        pe.task("widen", simd_cycles(tb * n, m.vector_width("fp32", reads=1, writes=1)))
    return acc.astype(np.float32)


def stream_gemm(tokens: int, k: int, n: int, grid: tuple[int, int] = (4, 4), pe: str = "wse-3",
                reduction: str = "chain", precision: str = "fp16", seed: int = 0,
                trace: bool = False, catalog: Catalog | None = None) -> MeshResult:
    """Simulate Y[tokens, n] = X[tokens, k] @ W[k, n] by weight streaming on a (cols, rows) grid."""
    check_positive(tokens=tokens, k=k, n=n)
    check_reduction(reduction)
    dtype_of(precision)
    machine = machine_of(pe, grid, catalog)
    sim = MeshSim(machine, trace=trace and machine.pes <= TRACE_MAX_PES)
    reserve(sim, tokens, k, n, precision)
    check_host_memory("stream-gemm", tokens * k + k * n + tokens * n, machine.pes, tokens=tokens,
                      k=k, n=n)
    with sim.off_clock():
        x, w = random_inputs(seed, precision, (tokens, k), (k, n))
        w = (w / np.sqrt(k)).astype(w.dtype)
    y = stream_gemm_on(sim, x, w, reduction, precision, allocate=False)
    with sim.off_clock():
        error = max_abs_error(y, x.astype(np.float64) @ w.astype(np.float64))
    return sim.finish("stream-gemm", precision, 2.0 * tokens * k * n, y, error,
                      {"tokens": tokens, "k": k, "n": n, "reduction": reduction, "seed": seed})
