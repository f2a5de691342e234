"""Decode on one square grid of PEs per layer, every matrix over the whole grid (WaferLLM).

He et al., "WaferLLM: Large Language Model Inference at Wafer Scale", OSDI 2025, §4.2 and §6.
A stack with `decode_grid_side_count` P partitions every weight matrix of a layer over both axes
of a P x P grid of PEs and runs the layers one after another on it; a model larger than one
grid's SRAM spans several grids, pipeline stages a token passes in turn, so a request's token
meets every layer on P^2 PEs (unlike the default layout, `wafer_layers.py`, where each matrix
owns a rectangle sized by its bytes). The input vector is replicated along one axis, so a GEMV
needs no operand broadcast: each PE multiplies its tile (@fmach at the mesh's GEMV width) and the
partial sums are all-reduced along the other axis by a K-tree, P hops and K P^(1/K) / 2 routing
stages on the critical path (§6.1), each stage adding the partial sums that pass it (one wavelet
a value) and paying `routing_stage_cycles` of routing work. Per layer, for t tokens a pass and c
cached keys:

    gemv      = sum over the layer's matrices [n, k]:  t ceil(k/P) ceil(ceil(n/P) / width)
                                                       + allreduce(t ceil(n/P))
    attention = 2 t ceil(q/P) ceil(c/P) / width        (scores and values on each PE's KV slice)
                + allreduce(t ceil(c/P)) + 2 allreduce(t) + allreduce(t ceil(q/P))
                                                       (scores; softmax max and sum; values)
    norms     = norms_per_layer (t ceil(d/P) / width + allreduce(t))
    allreduce(v) = hop P + K P^(1/K) / 2 (routing_stage_cycles + v cycles_per_wavelet)

The LM head is one more GEMV on the grid. A batch's tokens pass each layer together (no
pipelining of requests across the grids).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from wafersim.catalog.software import Stack
from wafersim.cost.infer.wafer_layers import PeRates, gemm_ops, mean_layer_params
from wafersim.cost.kernels.wafer_gemv import Mesh
from wafersim.errors import ConfigError
from wafersim.models.spec import ModelSpec

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class DecodeGrid:
    """The square decode grid of a stack and how its all-reduce runs."""

    side: int  # PEs per side
    levels: float  # K of the K-tree all-reduce
    stage_cycles: float  # routing work per stage on the critical path

    @property
    def stages(self) -> float:
        """Routing stages on the all-reduce's critical path: K P^(1/K) / 2 (He et al. §6.1)."""
        return self.levels * self.side ** (1.0 / self.levels) / 2.0


def grid_of(stack: Stack | None) -> DecodeGrid | None:
    """The stack's decode grid, or None for the default layout."""
    if stack is None or not stack.grid_decodes:
        return None
    return DecodeGrid(int(stack.value_or_zero("decode_grid_side_count")),
                stack.value_or_zero("allreduce_tree_levels_count"),
                stack.value_or_zero("routing_stage_cycles"))


def allreduce_cycles(mesh: Mesh, grid: DecodeGrid, values: npt.ArrayLike) -> Array:
    """A K-tree all-reduce of `values` partial sums along a line of the grid (He et al. §6.1)."""
    v = np.asarray(values, dtype=float)
    return mesh.hop_cycles * grid.side + grid.stages * (grid.stage_cycles
                                                        + v * mesh.cycles_per_wavelet)


def matvec_cycles(n: int, k: int, tokens: Array, mesh: Mesh, grid: DecodeGrid) -> Array:
    """One [n, k] matrix applied to `tokens` tokens on the grid: local tiles, then all-reduce."""
    tile_n, tile_k = math.ceil(n / grid.side), math.ceil(k / grid.side)
    local = tokens * tile_k * math.ceil(tile_n / mesh.gemv_width)
    return local + allreduce_cycles(mesh, grid, tokens * tile_n)


def check_grid(model: ModelSpec, rates: PeRates, grid: DecodeGrid, weight_bpp: float) -> None:
    """One-line errors: a grid larger than the wafer, a layer its SRAM cannot hold, an MoE model."""
    mesh = rates.mesh
    if grid.side < 1 or grid.side > min(mesh.cols, mesh.rows):
        raise ConfigError(f"decode_grid_side_count {grid.side} does not fit the {mesh.cols} x "
                          f"{mesh.rows} PE mesh; use 1 to {min(mesh.cols, mesh.rows)}")
    if model.n_experts:
        raise ConfigError(f"{model.name}: the grid decode layout models dense layers only; serve "
                          "an MoE model with a stack that decodes on the default layout")
    per_pe = mean_layer_params(model) * weight_bpp / grid.side ** 2
    if per_pe > rates.usable_bytes_per_pe:
        raise ConfigError(f"{model.name}: one layer needs {per_pe / 1e3:.1f} kB per PE of a "
                          f"{grid.side} x {grid.side} grid, past its {rates.usable_bytes_per_pe / 1e3:.1f}"
                          " kB; raise decode_grid_side_count")


def grid_parts(model: ModelSpec, rates: PeRates, grid: DecodeGrid, tokens: npt.ArrayLike,
               context: float) -> dict[str, Array]:
    """Seconds of one decode pass of `tokens` tokens (array) by part: every layer and the head."""
    mesh, t = rates.mesh, np.asarray(tokens, dtype=float)
    ops = gemm_ops(model)
    layers = sum((matvec_cycles(op.n, op.k, t, mesh, grid) * op.repeat for op in ops if op.layer),
                 0.0 * t)
    head = sum((matvec_cycles(op.n, op.k, t, mesh, grid) for op in ops if not op.layer), 0.0 * t)
    q = model.n_heads * model.qk_dim
    keys = math.ceil(context / grid.side)
    local = 2.0 * t * math.ceil(q / grid.side) * keys / mesh.gemv_width
    reduces = (allreduce_cycles(mesh, grid, t * keys) + 2.0 * allreduce_cycles(mesh, grid, t)
               + allreduce_cycles(mesh, grid, t * math.ceil(q / grid.side)))
    norm = t * math.ceil(model.d_model / grid.side) / mesh.gemv_width + allreduce_cycles(mesh, grid, t)
    L, clock = model.n_layers, mesh.clock_hz
    return {"gemv": layers / clock, "attention": L * (local + reduces) / clock,
            "norms": L * model.norms_per_layer * norm / clock, "lm_head": head / clock}
