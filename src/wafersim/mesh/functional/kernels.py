"""What each streamed unit costs a wafer, in mesh-simulator cycles.

Every matrix product and norm of a unit is run once per distinct shape through the mesh's public
kernels (`stream_gemm`, `gemm`, `softmax`, `layernorm`) on the wafer's PE region; their cycle
counts do not depend on the data, so one run per shape serves every step. The numbers themselves
are computed in NumPy float64 (gpt.py): the kernels draw their own inputs and accumulate in the
wafer's fp16, which a float64 training loop could not be compared with at 1e-5.

Modelled per unit (T tokens on this wafer, B sequences of S tokens, H heads of width hd):
- weight matmuls stream their weights: forward Y = X W as stream_gemm(T, k, n); backward the input
  gradient as stream_gemm(T, n, k) and the weight gradient as stream_gemm(T, k, n) (an assumption:
  the same products per PE, the gradient leaving where the weights arrived);
- attention per sequence and head: scores gemm(S, hd, S), softmax(S, S), values gemm(S, S, hd);
  backward four products (dP as the scores, dV, dQ, dK as the values product);
- LayerNorms layernorm(T, d), the backward as one more of the same;
- element-wise work (GELU, residual adds, the embedding gather and scatter) is not charged.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from wafersim.mesh import gemm, layernorm, softmax, stream_gemm
from wafersim.mesh.functional.config import GPTConfig


@dataclass(frozen=True)
class KernelCall:
    """One kernel shape run `count` times in a row; `cycles` is one run's."""

    kernel: str  # stream-gemm, gemm, softmax, layernorm
    sizes: tuple[int, ...]
    count: int
    cycles: int

    @property
    def total_cycles(self) -> int:
        return self.count * self.cycles


@lru_cache(maxsize=256)
def kernel_cycles(kernel: str, sizes: tuple[int, ...], grid: tuple[int, int], pe: str,
                  precision: str) -> int:
    """Cycles of one run of a mesh kernel at `sizes` on `grid` (memoised: they are data-free)."""
    a, b, *rest = sizes
    if kernel == "stream-gemm":
        return stream_gemm(a, b, rest[0], grid=grid, pe=pe, precision=precision).cycles
    if kernel == "gemm":
        return gemm(a, b, rest[0], grid=grid, pe=pe, precision=precision).cycles
    if kernel == "softmax":
        return softmax(a, b, grid=grid, pe=pe).cycles
    return layernorm(a, b, grid=grid, pe=pe).cycles


def _call(config: GPTConfig, pe: str, kernel: str, sizes: tuple[int, ...],
          count: int = 1) -> KernelCall:
    return KernelCall(kernel, sizes, count,
                      kernel_cycles(kernel, sizes, config.grid, pe, config.precision))


def _matmuls(config: GPTConfig, unit: str) -> list[tuple[int, int]]:
    d = config.d_model
    if unit == "head":
        return [(d, config.vocab)]
    return [(d, 3 * d), (d, d), (d, config.d_ff), (config.d_ff, d)]


def unit_calls(config: GPTConfig, unit: str, sequences: int, backward: bool,
               pe: str = "wse-3") -> tuple[KernelCall, ...]:
    """The kernels one wafer runs for `unit` on its `sequences` (forward or backward)."""
    if unit == "embed":
        return ()
    t, s, d = sequences * config.seq_len, config.seq_len, config.d_model
    calls = []
    for k, n in _matmuls(config, unit):
        calls.append(_call(config, pe, "stream-gemm", (t, n, k) if backward else (t, k, n)))
        if backward:
            calls.append(_call(config, pe, "stream-gemm", (t, k, n)))
    norms = 1 if unit == "head" else 2
    calls.append(_call(config, pe, "layernorm", (t, d), norms))
    if unit != "head":
        heads, hd = sequences * config.n_heads, config.head_dim
        calls.append(_call(config, pe, "gemm", (s, hd, s), heads))
        calls.append(_call(config, pe, "gemm", (s, s, hd), heads * (3 if backward else 1)))
        if not backward:
            calls.append(_call(config, pe, "softmax", (s, s), heads))
    return tuple(calls)
