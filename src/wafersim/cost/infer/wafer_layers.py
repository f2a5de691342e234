"""Per-layer decode and prefill times of a model held in wafer SRAM (Cerebras-style inference).

Every weight matrix sits on its own rectangle of processing elements (PEs), its share of the
wafers' PEs proportional to its bytes (so all PEs hold weights and work on every token). A
matrix of shape [out, in] applied to t tokens costs one mesh GEMV with t*out rows
(`cost/kernels/wafer_gemv.py`: operand broadcast down columns, SIMD multiply, reduction hops along rows).
MoE layers run the experts a micro-batch touches in parallel, each on its own rectangle.
Attention reads the layer's KV cache from the SRAM of the layer's PEs (bandwidth per PE from the
catalog) and reduces the softmax across the layer's rectangle. Norms are one row/column
reduction each. Layers are averaged: per-layer time is the model's mean over its layers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from wafersim.catalog.schema import Architecture, Chip
from wafersim.cost.infer.common import expected_experts
from wafersim.cost.kernels.wafer_decode import coefficients_of, norm_cycles, softmax_cycles
from wafersim.cost.kernels.wafer_gemv import Mesh, gemv_time_s, mesh_of
from wafersim.errors import ConfigError
from wafersim.memo import memoised
from wafersim.models.spec import ModelSpec, bytes_per_param
from wafersim.ops.graph import Op, lower

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class PeRates:
    """A wafer's PE mesh and the per-PE rates attention needs."""

    mesh: Mesh
    sram_read_Bps_per_pe: float
    pes_per_wafer: int
    usable_bytes_per_pe: float  # SRAM a PE gives weights after code and buffers
    transcendental_passes: float  # vector passes per software exp or rsqrt (architecture kernels)

    @property
    def flops_per_s_per_pe(self) -> float:
        """Achieved 16-bit FLOP/s of one PE in a streaming loop (2 per FMAC)."""
        return 2.0 * self.mesh.simd_fp16 * self.mesh.clock_hz * self.mesh.efficiency

    @property
    def hop_s(self) -> float:
        return self.mesh.hop_cycles / self.mesh.clock_hz


@memoised(identity=(Chip, Architecture))
def pe_rates(chip: Chip, arch: Architecture | None) -> PeRates:
    """Mesh shape and rates of a wafer chip, and its architecture's kernel coefficients."""
    if arch is None:
        raise ConfigError(f"{chip.id}: no wafer architecture in the catalog (wafer.architecture)")
    mesh = mesh_of(chip)
    q = chip.wafer.sram_read_bytes_per_cycle if chip.wafer else None
    if q is None or q.value is None:
        raise ConfigError(f"{chip.id}: wafer sram_read_bytes_per_cycle is unknown in the catalog")
    usable = chip.wafer.sram_usable_fraction if chip.wafer else None
    share = usable.value if usable is not None and usable.value is not None else 1.0
    return PeRates(mesh, q.value * mesh.clock_hz, mesh.cols * mesh.rows,
                   mesh.sram_per_pe_bytes * share, coefficients_of(arch).transcendental_passes)


def _grid(pes: float, mesh: Mesh) -> tuple[int, int]:
    """A near-square rectangle of about `pes` PEs that fits one wafer."""
    side = max(1, int(math.isqrt(max(1, int(pes)))))
    cols = min(side, mesh.cols)
    rows = min(max(1, int(pes // cols)), mesh.rows)
    return cols, rows


def gemm_ops(model: ModelSpec) -> list[Op]:
    return [op for op in lower(model, "decode", 1, 0).ops if op.n and op.k]


def mean_layer_params(model: ModelSpec) -> float:
    """Matrix weights of one average layer (the layers' GEMMs over the layer count)."""
    return sum(op.weight_params * op.repeat for op in gemm_ops(model) if op.layer) / model.n_layers


@dataclass(frozen=True)
class LayerModel:
    """Everything needed to time one average layer and the head for any micro-batch."""

    model: ModelSpec
    rates: PeRates
    pes_per_byte: float  # PEs given to each byte of weights (all wafers' PEs / all weights)
    weight_bpp: float
    kv_bpp: float

    def _op_s(self, op: Op, tokens: npt.ArrayLike) -> Array:
        """Seconds of one occurrence of `op` for `tokens` tokens (array)."""
        t = np.asarray(tokens, dtype=float)
        instances: float | Array
        instances, per_instance = 1.0, t
        if op.kind == "expert":
            m = self.model
            instances = expected_experts(m.n_experts, m.top_k, t)
            per_instance = t * m.top_k / instances  # tokens each touched expert sees
        low = np.maximum(np.floor(per_instance), 1.0)  # a fractional token count (a mean) is a
        frac = per_instance - low  # mix of its two neighbouring whole counts
        t_low, t_high = (np.min([np.asarray(gemv_time_s(op.n * x, op.k, self.rates.mesh, cols=c,
                                                        rows=r)) for c, r in self._grids(op)],
                                axis=0) for x in (low, low + 1.0))
        return t_low + frac * (t_high - t_low)

    def _grids(self, op: Op) -> tuple[tuple[int, int], ...]:
        """Rectangles that can hold one instance of `op`'s matrix (`rectangles`)."""
        return rectangles(op.n * op.k * self.weight_bpp, self.pes_per_byte, self.rates)

    def layer_pes(self) -> float:
        """PEs holding one average layer's matrices."""
        return mean_layer_params(self.model) * self.weight_bpp * self.pes_per_byte

    def attention_s(self, tokens: npt.ArrayLike, context: float) -> Array:
        """KV read or score compute on the layer's PEs, plus softmax reductions across them."""
        m, r = self.model, self.rates
        pes = self.layer_pes()
        kv_per_token = m.kv_cache_bytes_per_token("bf16") / 2 / m.n_layers * self.kv_bpp
        read = np.asarray(tokens, float) * context * kv_per_token / (pes * r.sram_read_Bps_per_pe)
        flops = 2.0 * np.asarray(tokens, float) * context * m.n_heads * (m.qk_dim + m.v_dim)
        return np.maximum(read, flops / (pes * r.flops_per_s_per_pe)) + self._softmax_s(tokens, context)

    def _softmax_s(self, tokens: npt.ArrayLike, context: float) -> Array:
        """Softmax of the scores on the layer's rectangle: the mesh kernel's cycles (exp passes
        over each PE's tile of scores, max and sum reduced along a row; cost/kernels/wafer_decode)."""
        r = self.rates
        cols, rows = _grid(self.layer_pes(), r.mesh)
        per_row = np.asarray(tokens, float) * self.model.n_heads / rows  # a mean: fluid, as in _op_s
        cycles = softmax_cycles(r.mesh, per_row, math.ceil(context / cols), cols,
                                r.transcendental_passes)
        return np.asarray(cycles) / r.mesh.clock_hz

    def norms_s(self) -> float:
        """Each norm as the mesh runs it on the layer's rectangle: the vector spread along a row,
        its sum of squares reduced and sent back, rsqrt, scale (cost/kernels/wafer_decode)."""
        r = self.rates
        cols, _ = _grid(self.layer_pes(), r.mesh)
        one = norm_cycles(r.mesh, self.model.d_model, cols, r.transcendental_passes)
        return self.model.norms_per_layer * one / r.mesh.clock_hz

    def layer_gemv_s(self, tokens: npt.ArrayLike) -> float | Array:
        """Mean GEMV seconds per layer for `tokens` tokens per pass."""
        ops = [op for op in gemm_ops(self.model) if op.layer]
        total = sum(np.asarray(self._op_s(op, tokens)) * op.repeat for op in ops)
        return total / self.model.n_layers

    def head_s(self, tokens: npt.ArrayLike) -> Array:
        """LM head GEMV plus the arg-max reduction over the vocabulary."""
        head = next(op for op in gemm_ops(self.model) if op.name == "lm_head")
        pes = head.n * head.k * self.weight_bpp * self.pes_per_byte  # tied: the embedding table
        argmax = 2.0 * math.sqrt(max(pes, 1.0)) * self.rates.hop_s
        return np.asarray(self._op_s(head, tokens)) + argmax


@memoised(4096, identity=(PeRates,))
def rectangles(matrix_bytes: float, pes_per_byte: float, rates: PeRates) -> tuple[tuple[int, int], ...]:
    """Rectangles that can hold a matrix of `matrix_bytes`: its byte share of the wafers' PEs,
    and every power-of-two count of PEs below it that still holds it; the fastest is used (a
    small matrix spread over a whole wafer loses more to the fill and reduction hops than it
    gains in SIMD lanes)."""
    share = matrix_bytes * pes_per_byte
    return tuple(_grid(pes, rates.mesh)
                 for pes in ladder(matrix_bytes / rates.usable_bytes_per_pe, share))


def wafer_weight_bytes(model: ModelSpec, precision: str, host_embedding: bool) -> float:
    """Weights held on the wafers; an untied embedding table stays with the host."""
    emb = model.embedding_params() if host_embedding else 0.0
    return (model.params_total - emb) * bytes_per_param(precision)


def ladder(least: float, share: float) -> list[float]:
    """`share` and the powers of two from `least` (rounded up) below it: the same rungs on every
    generation, so a larger wafer never has fewer choices."""
    rungs, rung = [share], 2.0 ** math.ceil(math.log2(max(least, 1e-300)))
    while rung < share:
        rungs.append(rung)
        rung *= 2.0
    return rungs


@memoised(identity=(ModelSpec, PeRates))
def spread(model: ModelSpec, rates: PeRates, pes_per_byte: float, weight_bpp: float,
           kv_bpp: float, context: float) -> LayerModel:
    """The layers on their byte share of the PEs, or on fewer PEs per byte (powers of two, while
    the weights still fit): whichever gives one token the shortest layer (a small model spread
    over a whole wafer pays more in reduction hops across its rectangles than it gains)."""
    best, best_s = None, math.inf
    for per_byte in ladder(1.0 / rates.usable_bytes_per_pe, pes_per_byte):
        layers = LayerModel(model, rates, per_byte, weight_bpp, kv_bpp)
        one = (float(np.asarray(layers.layer_gemv_s(1.0))) + layers.norms_s()
               + float(np.asarray(layers.attention_s(1.0, context))))
        if one < best_s:
            best, best_s = layers, one
    assert best is not None  # the ladder always holds the share
    return best
