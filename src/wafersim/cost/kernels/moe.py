"""Mixture-of-experts kernels: grouped expert GEMMs, routing load imbalance, capacity limits and
the fp8 quantisation passes of routed tokens. Shared by training and serving; vectorised.

Grouped GEMM. A MoE layer runs one GEMM per expert on the rows routed to it, M = tokens x top_k /
experts, in one grouped kernel that tiles each expert's rows separately: every expert's segment is
padded to the kernel's M tile (DeepGEMM's contiguous layout aligns each expert to the 128-row
block; CUTLASS grouped GEMMs tile 128 x 128), and a tensor-parallel share of an expert's width is
padded to the N tile. Small M therefore wastes tensor-core work: an expert with 8 rows costs a
whole tile. Below the tile, the time is bound by the expert's weight bytes (decode); near it the
padding shows.

Load imbalance. Expert-parallel ranks wait for one another at every dispatch and combine, so a
step runs at the pace of the most loaded rank. A rank holds E / R experts; its routed copies are a
multinomial draw (the sampling spread falls as 1 / sqrt(copies per rank)) on top of the trained
router's persistent preference for some experts (a coefficient of variation of expert load,
averaged over the rank's E / R experts). The expected maximum over R ranks of that spread is
z(R) standard deviations, z from Blom's approximation of the largest of R normal draws
(Blom 1958). Capacity-factor routing (GShard, Switch) drops what exceeds capacity_factor x the
mean, capping the factor; dropless frameworks (Megatron-Core default, DeepSeek-V3) have no cap.

FP8 quantisation. In fp8 training the routed tokens reach the expert GEMMs in 16 bits and are
quantised by separate memory passes (DeepSeek-V3 report Sec. 3.5.2: activations are read from
HBM, quantised and written back, only to be read again for the MMA): each expert GEMM reads its
16-bit input and writes fp8 row-wise and column-wise copies with their scales, forward (input)
and backward (output gradient).
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

from wafersim.cost.kernels.gemm import Device, gemm_time_s
from wafersim.errors import ConfigError
from wafersim.xp import Real, Whole, ceil, maximum, minimum, power, real

# rows and columns of one grouped-GEMM tile; each expert's rows are padded to it (DeepGEMM
# get_m_alignment_for_contiguous_layout() = 128; CUTLASS grouped GEMM 128x128 tiles); range 64-256
GROUPED_TILE_ROWS = 128.0
GROUPED_TILE_COLS = 128.0
# coefficient of variation of a trained router's per-expert load (tag: derived, unverified).
# Wang et al. 2024 (arXiv:2408.15664) report MaxVio (max expert load / mean - 1) from about 0.04
# (loss-free balancing) to about 0.7 (auxiliary loss) on 64-expert models; MaxVio ~ z(64) x cv
# gives cv 0.02-0.3; 0.1 taken (range 0-0.3). Benchmarks that force balanced routing have 0.
ROUTER_SKEW_CV = 0.1
# fp8 quantisation bytes per element of a GEMM operand quantised: read 2 (bf16), write 1 row-wise
# and 1 column-wise (TE cast-transpose; MXFP8 quantises both directions) plus a scale per 32
# (MXFP8 E8M0; DeepSeek-V3 1x128 fp32 scales are the same 1/32 byte per element)
QUANTISE_BYTES_PER_ELEMENT = 2.0 + 2.0 * (1.0 + 1.0 / 32.0)


def tokens_per_expert(tokens: Real, top_k: int, n_experts: int) -> Real:
    """Mean rows one expert's GEMM runs on when `tokens` tokens pick top_k of n_experts each."""
    out: Real = tokens * top_k / n_experts  # top-k copies spread over the experts
    return out


def padded_rows(rows: Real, tile: float = GROUPED_TILE_ROWS) -> Real:
    """Rows an expert's GEMM computes: at least one tile, and on average half a tile more than
    its rows once they span tiles (an expert's count rounds up to the next tile)."""
    out: Real = maximum(tile, rows + 0.5 * tile)
    return out


def padded_cols(cols: Real, tile: float = GROUPED_TILE_COLS) -> Real:
    """Columns an expert's GEMM computes: its (tensor-parallel share of the) width rounded up
    to whole tiles."""
    out: Real = ceil(real(cols) / tile) * tile
    return out


def grouped_gemm_time_s(rows: Real, n: Real, k: Real, device: Device, instances: Real,
                        weight_precision: str | None = None, act_bytes: float = 2.0) -> Real:
    """Seconds of `instances` expert GEMMs of `rows` mean rows each in one grouped kernel:
    the calibrated GEMM roofline (`gemm.py`), its work on tile-padded rows and columns, its
    bytes on the real ones (padding rows are masked, never read)."""
    return gemm_time_s(rows, n, k, device, weight_precision, act_bytes, instances,
                       tiles=(padded_rows(rows), padded_cols(n)))


def max_normal(draws: Real) -> Real:
    """Expected largest of `draws` standard normal draws (Blom 1958: the (n - 3/8) / (n + 1/4)
    quantile); 0 for one draw."""
    inv = NormalDist().inv_cdf

    def one(n: float) -> float:
        return inv((n - 0.375) / (n + 0.25))
    if isinstance(draws, np.ndarray):
        out: Real = np.vectorize(one, otypes=[float])(draws)
        return out
    return one(float(draws))


def rank_imbalance(copies: Real, n_experts: int, ranks: Real | Whole, skew_cv: float = ROUTER_SKEW_CV,
                   capacity_factor: float | None = None) -> Real:
    """Load of the most loaded of `ranks` expert-parallel ranks over the mean rank's, when
    `copies` routed token copies (tokens x top_k) spread over n_experts experts held E / ranks
    apiece; capped at `capacity_factor` when the framework drops the excess."""
    if skew_cv < 0:
        raise ConfigError(f"routing skew_cv {skew_cv} is negative; a coefficient of variation is 0 or more")
    r = maximum(real(ranks), 1.0)
    per_rank = maximum(copies / r, 1e-9)
    local = maximum(n_experts / r, 1.0)  # experts one rank holds
    # multinomial sampling spread, plus the router's per-expert preference averaged over the rank
    relative_var = (1.0 - 1.0 / r) / per_rank + skew_cv * skew_cv / local
    factor: Real = 1.0 + max_normal(r) * power(relative_var, 0.5)
    if capacity_factor is not None:
        if capacity_factor < 1.0:
            raise ConfigError(f"capacity_factor {capacity_factor} is below 1, which drops tokens of a "
                              "balanced step; use 1 or more, or none for dropless routing")
        factor = minimum(factor, capacity_factor)
    return factor


def touched_imbalance(touched: Real, n_experts: int, ranks: Real | Whole) -> Real:
    """Distinct experts the busiest of `ranks` ranks reads over the mean rank's, when `touched`
    of n_experts experts are touched in a step: the mean count plus z(R) Poisson spreads, at most
    every expert the rank holds (rises with the touched count, never past the rank's share)."""
    r = maximum(real(ranks), 1.0)
    local = maximum(n_experts / r, 1.0)
    mean = maximum(touched / n_experts, 1e-9) * local  # touched experts on the mean rank
    busiest = minimum(mean + max_normal(r) * power(mean, 0.5), maximum(local, mean))
    out: Real = busiest / mean
    return out


def quantise_time_s(rows: Real, n: Real, k: Real, device: Device) -> Real:
    """Seconds of the fp8 quantisation passes of one expert GEMM over `rows` rows, forward and
    backward: its k-wide input and n-wide output gradient, each read in 16 bits and written
    back in fp8 both ways with scales."""
    out: Real = rows * (n + k) * QUANTISE_BYTES_PER_ELEMENT / device.memory_Bps
    return out

