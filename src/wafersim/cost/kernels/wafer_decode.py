"""One transformer layer's decode step on a wafer PE grid, analytically (cycles).

The same composition the PE mesh simulator runs (mesh/decode.py): on one `cols` x `rows` grid, a
Llama-style layer (RMS norm, fused QKV GEMV, per KV group SUMMA scores, softmax and SUMMA PV, Wo
GEMV, RMS norm, gate/up GEMV, SiLU, down GEMV), each result vector handed from the south-east
corner to the north row. Parts, in cycles (hop h, w the GEMV @fmach width, fp32 ops one element
per cycle, X = `transcendental_passes` vector passes per exp / rsqrt):

    norm     = 3 ceil(d / cols) + X + allreduce          (square, rsqrt, scale and gain)
    allreduce= reduction of one value along a row + h (cols - 1) + 1 back
    gemv     = cost/kernels/wafer_gemv.py
    handoff  = h (rows - 1 + cols - 1) + ceil(L / 2)     (L values, two per wavelet)
    summa    = P (max(kb tp ceil(tm / w), ceil(tm kb / 2), ceil(kb tp / 2)) + s) + h (P - 1),
               P = max(rows, cols)                        (SUMMA, double-buffered)
    softmax  = tile + X tile + X ceil(m / rows) + tile + 2 allreduce
    silu, residuals overlap the hand-off that precedes them: max(handoff, op)

X and s (`summa_step_cycles`, what a SUMMA step costs beyond its compute or panel stream) are the
free coefficients, shared by all generations: catalog data of the architecture part `wse`
(`kernels:`), s fitted to the simulator by `wafersim mesh calibrate`
(validate/kernels.py). One layer shape at a time (a few dozen operations).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from wafersim.catalog.schema import Architecture
from wafersim.cost.kernels.wafer_gemv import Figure, Mesh, gemv_cycles, reduction_cycles
from wafersim.errors import ConfigError


@dataclass(frozen=True)
class DecodeShape:
    """The widths of one decode layer (a catalog model scaled down, or a real one)."""

    d_model: int
    n_heads: int
    n_kv_heads: int
    head_dim: int
    d_ff: int
    seq_len: int


@dataclass(frozen=True)
class KernelCoefficients:
    """The free coefficients of the analytical wafer kernels (catalog: `wse.kernels`)."""

    summa_step_cycles: float
    transcendental_passes: float


def coefficients_of(arch: Architecture) -> KernelCoefficients:
    """The architecture's kernel coefficients from the catalog."""
    k = arch.kernels
    step = k.summa_step_cycles if k else None
    passes = k.transcendental_passes_count if k else None
    if step is None or step.value is None or passes is None or passes.value is None:
        raise ConfigError(f"{arch.id}: kernels.summa_step_cycles and "
                          "kernels.transcendental_passes_count are needed in the catalog")
    return KernelCoefficients(step.value, passes.value)


def _ceil(a: float, b: float) -> float:
    return float(math.ceil(a / b))


def allreduce_cycles(mesh: Mesh, cols: int, reduction: str = "chain") -> float:
    """One value reduced along a row of `cols` PEs and sent back."""
    back = mesh.hop_cycles * (cols - 1) + 1.0 if cols > 1 else 0.0
    return float(reduction_cycles(np.ones(()), cols, mesh.hop_cycles, reduction)) + back


def _handoff(mesh: Mesh, length: int, cols: int, rows: int) -> float:
    hops = mesh.hop_cycles * (rows - 1 + cols - 1)
    return hops + _ceil(length, mesh.link_payload_bits / 16) * mesh.cycles_per_wavelet


def summa_cycles(mesh: Mesh, m: int, k: int, n: int, cols: int, rows: int,
                 step_cycles: float) -> float:
    """SUMMA C[m, n] = A[m, k] @ B[k, n] on the grid (the module formula)."""
    steps = max(rows, cols)
    tm, kb, tp = _ceil(m, rows), _ceil(k, steps), _ceil(n, cols)
    work = kb * tp * _ceil(tm, mesh.gemv_width)
    per_step = max(work, _ceil(tm * kb, 2), _ceil(kb * tp, 2)) + step_cycles
    return steps * per_step + mesh.hop_cycles * (steps - 1)


def norm_cycles(mesh: Mesh, d: int, cols: int, passes: float, reduction: str = "chain") -> float:
    """RMS norm of a `d`-vector spread along a row of `cols` PEs (square, rsqrt, scale, gain)."""
    return 3 * _ceil(d, cols) + passes + allreduce_cycles(mesh, cols, reduction)


def softmax_cycles(mesh: Mesh, per_row: npt.ArrayLike, per_col: float, cols: int, passes: float,
                   reduction: str = "chain") -> Figure:
    """Softmax of scores held `per_row` rows x `per_col` columns per PE on a row of `cols` PEs:
    exp passes over the tile, max and sum each reduced along the row and sent back."""
    rows_per_pe = np.asarray(per_row, dtype=float)
    out = ((2 + passes) * rows_per_pe * per_col + passes * rows_per_pe
           + 2 * allreduce_cycles(mesh, cols, reduction))
    return float(out) if out.ndim == 0 else out


def _softmax(mesh: Mesh, m: int, n: int, cols: int, rows: int, passes: float,
             reduction: str) -> float:
    return float(softmax_cycles(mesh, _ceil(m, rows), _ceil(n, cols), cols, passes, reduction))


def decode_layer_cycles(shape: DecodeShape, mesh: Mesh, cols: int, rows: int,
                        coefficients: KernelCoefficients,
                        reduction: str = "chain") -> dict[str, float]:
    """Cycles of each part of one layer's decode step; the parts sum to the layer."""
    s, h = shape, shape.head_dim
    d, f, per = s.d_model, s.d_ff, s.n_heads // s.n_kv_heads
    qkv = (s.n_heads + 2 * s.n_kv_heads) * h

    def gemv(m: int, n: int) -> float:
        return float(gemv_cycles(m, n, cols, rows, mesh.gemv_width, mesh.hop_cycles, reduction,
                                 cycles_per_wavelet=mesh.cycles_per_wavelet))

    x, step = coefficients.transcendental_passes, coefficients.summa_step_cycles
    group = (summa_cycles(mesh, per, h, s.seq_len, cols, rows, step)
             + _softmax(mesh, per, s.seq_len, cols, rows, x, reduction)
             + summa_cycles(mesh, per, s.seq_len, h, cols, rows, step))
    residual = _ceil(d, cols)
    return {
        "norms": 2 * norm_cycles(mesh, d, cols, x, reduction),
        "gemvs": gemv(qkv, d) + gemv(d, s.n_heads * h) + gemv(2 * f, d) + gemv(d, f),
        "attention": s.n_kv_heads * group,
        "handoffs": (_handoff(mesh, qkv, cols, rows)
                     + 2 * max(_handoff(mesh, d, cols, rows), residual)
                     + max(_handoff(mesh, 2 * f, cols, rows), (x + 2) * _ceil(f, cols))),
    }
