"""The weight-streaming training matmul on a wafer's PE mesh, analytically (cycles).

Y[T, n] = X[T, k] @ W[k, n] on `cols` x `rows` PEs as the PE mesh simulator runs it
(mesh/stream_gemm.py; weight streaming after Lie, HC34 2022): PE (r, c) keeps the activation
tile X[c-block of tokens, r-block of k] (tb x kb) in SRAM; row r's weights W[r-block, :] enter at
the west edge and stream east along the row, v values per 32-bit wavelet (v = 2 for 16-bit
formats, 1 for fp32); each wavelet's task applies its v weights to v resident activation columns
and adds them into the tb partial sums of its output column, which are read and written once per
wavelet; the partial sums are then widened to fp32 and reduced down each PE column. With
tb = ceil(T / cols), kb = v * ceil(ceil(k / rows) / v), L = n * kb / v wavelets per row:

    cycles    = hop * (cols - 1) + max(L * task, (L - 1) * wavelet + task) + widen + reduction
    task      = max(ceil(v tb / simd), ceil((v + 1) tb bytes / read), ceil(tb bytes / write))
                                                  (SIMD width or SRAM ports, whichever binds)
    widen     = tb * n                            (16-bit formats: fp16 -> fp32, one per cycle)
    reduction = chain: (hop + 1) * (rows - 1) + tb n - 1
                tree:  hop * (rows - 1) + ceil(log2 rows) * tb n

Per cycle a PE then does v tb / task FMACs: on WSE-3 (SIMD 8, 16 B/cycle of reads) 16/3 = 5.33 of
8 (0.67 of the dense peak), on WSE-2 the full 4. The reuse of the partial sums across a wavelet's
weights is an assumption (docs/mesh.md); without it the SRAM ports cap WSE-3 at 0.5. No fitted
parameter: the simulator and this formula agree within a few percent (validate/kernels.py).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from wafersim.cost.kernels.wafer_gemv import REDUCTIONS, Figure, Mesh, reduction_cycles
from wafersim.errors import ConfigError

BYTES = {"fp16": 2.0, "bf16": 2.0, "fp32": 4.0}  # the formats the PE's SIMD unit runs


def _check(precision: str, reduction: str) -> None:
    if precision not in BYTES:
        raise ConfigError(f"precision {precision!r} is not one of {', '.join(BYTES)} on a wafer PE")
    if reduction not in REDUCTIONS:
        raise ConfigError(f"reduction {reduction!r} is not one of {', '.join(REDUCTIONS)}")


def task_cycles(tokens: npt.ArrayLike, mesh: Mesh, precision: str = "fp16") -> Figure:
    """Cycles of one wavelet's task on `tokens` resident activations (see the module formula)."""
    size = BYTES[precision]
    v = max(1.0, mesh.link_payload_bits // (8 * size))
    simd = mesh.simd_fp32 if size == 4 else mesh.simd_fp16
    tb = np.asarray(tokens, dtype=float)
    out = np.maximum(np.maximum(np.ceil(v * tb / simd),
                                np.ceil((v + 1) * tb * size / mesh.sram_read_bytes_per_cycle)),
                     np.ceil(tb * size / mesh.sram_write_bytes_per_cycle))
    return float(out) if out.ndim == 0 else out


def stream_gemm_cycles(t: npt.ArrayLike, k: npt.ArrayLike, n: npt.ArrayLike, mesh: Mesh,
                       precision: str = "fp16", reduction: str = "chain",
                       cols: int | None = None, rows: int | None = None) -> Figure:
    """Cycles of Y[t, n] = X[t, k] @ W[k, n] by weight streaming on (part of) the wafer."""
    _check(precision, reduction)
    cols, rows = cols or mesh.cols, rows or mesh.rows
    size = BYTES[precision]
    v = max(1.0, mesh.link_payload_bits // (8 * size))
    tb = np.maximum(np.ceil(np.asarray(t, dtype=float) / cols), 1.0)
    kb = v * np.ceil(np.maximum(np.ceil(np.asarray(k, dtype=float) / rows), 1.0) / v)
    outputs = np.asarray(n, dtype=float)
    wavelets = outputs * kb / v
    task = np.asarray(task_cycles(tb, mesh, precision))
    stream = np.maximum(wavelets * task, (wavelets - 1) * mesh.cycles_per_wavelet + task)
    widen = tb * outputs if size < 4 else 0.0 * tb
    out = (mesh.hop_cycles * (cols - 1) + stream + widen
           + reduction_cycles(tb * outputs, rows, mesh.hop_cycles, reduction))
    return float(out) if out.ndim == 0 else out


def stream_gemm_time_s(t: npt.ArrayLike, k: npt.ArrayLike, n: npt.ArrayLike, mesh: Mesh,
                       precision: str = "fp16", reduction: str = "chain") -> Figure:
    """Seconds of one layer matmul [t, k] x [k, n] on the wafer's full PE rectangle."""
    return stream_gemm_cycles(t, k, n, mesh, precision, reduction) / mesh.clock_hz


def achieved_fraction(t: npt.ArrayLike, k: npt.ArrayLike, n: npt.ArrayLike, mesh: Mesh,
                      precision: str = "fp16", reduction: str = "chain") -> Figure:
    """Share of the dense SIMD peak of the full rectangle the layer matmul achieves."""
    simd = mesh.simd_fp32 if BYTES[precision] == 4 else mesh.simd_fp16
    fmacs = np.asarray(t, dtype=float) * np.asarray(k, dtype=float) * np.asarray(n, dtype=float)
    cycles = np.asarray(stream_gemm_cycles(t, k, n, mesh, precision, reduction))
    out = fmacs / (cycles * simd * mesh.cols * mesh.rows)
    return float(out) if out.ndim == 0 else out
