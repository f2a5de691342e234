"""GEMM time on one accelerator: a calibrated roofline with a fixed per-kernel cost.

    t(m, n, k) = max(2mnk / (eta_mm * peak), bytes / (eta_hbm * hbm_bandwidth)) + t_kernel

eta_mm is the best achieved matmul throughput over the dense peak (MAMF, per chip and precision,
from the micro-benchmark rows), eta_hbm the achieved share of HBM bandwidth (triad/read rows);
both are catalog data with their sources. Efficiency then depends on size by itself: skinny
GEMMs (decode) are bound by bytes, tiny ones by the kernel cost, big square ones reach eta_mm.
A weight-only quantised GEMM (w4a16, w8a16) runs the 16-bit matmul on weights it dequantises in
registers: its device is the 16-bit one, it reads the packed bytes, and its dequantisation (ALU
work per weight, not hidden under the loads) adds `weight_only_dequant_ratio` x a 16-bit read's
time per weight: each weight costs packed bytes + 2 bytes x ratio of bandwidth time.
Roofline: Williams, Waterman, Patterson 2009. Vectorised: m, n, k may be numpy arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from wafersim.catalog.schema import Chip
from wafersim.errors import ConfigError, ParameterError, literal
from wafersim.memo import memoised
from wafersim.models.spec import bytes_per_param
from wafersim.precision import BYTES_PER_ELEMENT
from wafersim.xp import Real, maximum, real

DEFAULT_MATMUL_EFFICIENCY = 0.7  # assumption where no micro-benchmark exists (range 0.5-0.85)
DEFAULT_HBM_EFFICIENCY = 0.8  # assumption where no bandwidth benchmark exists (range 0.6-0.9)
KERNEL_OVERHEAD_S = 5e-6  # assumption: launch plus tail of one kernel, order of CUDA launch latency
Seconds = float | npt.NDArray[np.float64]  # one figure, or one per broadcast shape
FALLBACK = {"fp16": "bf16", "bf16": "fp16", "fp8": "bf16", "int8": "fp8", "fp4": "fp8", "int4": "fp8"}


@dataclass(frozen=True)
class Device:
    """The numbers of one accelerator a GEMM needs, in one precision."""

    chip: str
    precision: str
    peak_flops_per_s: float
    matmul_efficiency: float
    memory_Bps: float  # achieved
    kernel_overhead_s: float
    assumptions: tuple[str, ...] = ()
    weight_only_dequant_ratio: float = 0.0  # weight-only GEMMs (cost/infer/common.py)


def _efficiency(chip: Chip, precision: str, notes: list[str]) -> float:
    table = chip.matmul_efficiency_fraction
    for prec in (precision, FALLBACK.get(precision)):
        q = table.get(prec) if prec else None  # type: ignore[call-overload]  # StrEnum keys match plain str
        if q is not None and q.value is not None:
            if prec != precision:
                notes.append(f"{chip.id} {precision} matmul efficiency taken from {prec}")
            return float(q.value)
    notes.append(f"{chip.id} has no {precision} GEMM benchmark: matmul efficiency "
                 f"{DEFAULT_MATMUL_EFFICIENCY} assumed")
    return DEFAULT_MATMUL_EFFICIENCY


def _memory_Bps(chip: Chip, notes: list[str]) -> float:
    q = chip.hbm_bandwidth_Bps if chip.hbm_bandwidth_Bps and chip.hbm_bandwidth_Bps.value else (
        chip.sram_bandwidth_Bps)
    if q is None or q.value is None:
        raise ConfigError(f"{chip.id} has no memory bandwidth in the catalog; add hbm_bandwidth")
    eff = chip.hbm_efficiency_fraction
    if eff is None or eff.value is None:
        notes.append(f"{chip.id} memory efficiency {DEFAULT_HBM_EFFICIENCY} assumed (no benchmark)")
        return q.value * DEFAULT_HBM_EFFICIENCY
    return q.value * eff.value


@memoised(identity=(Chip,))
def device_of(chip: Chip, precision: str) -> Device:
    """Peak, calibrated efficiencies and kernel cost of `chip` in `precision` (memoised)."""
    peak = chip.peak_dense_flops_per_s.get(precision)  # type: ignore[call-overload]  # StrEnum keys match plain str
    if peak is None or peak.value is None:
        have = ", ".join(sorted(p.value for p in chip.peak_dense_flops_per_s)) or "none"
        raise ParameterError("precision", precision, f"{literal(chip.id)} has no dense "
                             f"{literal(precision)} peak (it has: {have}); choose another "
                             "{precision.flag}", allowed=f"one of {have}")
    notes: list[str] = []
    eff = _efficiency(chip, precision, notes)
    return Device(chip=chip.id, precision=precision, peak_flops_per_s=peak.value, matmul_efficiency=eff,
                  memory_Bps=_memory_Bps(chip, notes), kernel_overhead_s=_kernel_overhead_s(chip, notes),
                  assumptions=tuple(notes))


def _kernel_overhead_s(chip: Chip, notes: list[str]) -> float:
    """The chip's cost per kernel from the catalog (0 where the compiler fuses whole decoder
    layers into one streaming kernel), else the GPU launch-order assumption."""
    q = chip.kernel_overhead_s
    if q is not None and q.value is not None:
        return q.value
    notes.append(f"kernel overhead {KERNEL_OVERHEAD_S * 1e6:g} us per GEMM (assumed)")
    return KERNEL_OVERHEAD_S


def gemm_time_s(m: npt.ArrayLike, n: npt.ArrayLike, k: npt.ArrayLike, device: Device,
                weight_precision: str | None = None, act_bytes: float = 2.0,
                instances: Real = 1.0, tiles: tuple[Real, Real] | None = None) -> Real:
    """Seconds for `instances` GEMMs y[m, n] = x[m, k] @ W[k, n]; arrays broadcast, and plain
    numbers give a float. `tiles`: the (rows, columns) the kernel computes when it pads m and n
    to whole tiles (grouped expert GEMMs); the bytes stay those of m and n."""
    if not (isinstance(m, float) and isinstance(n, float) and isinstance(k, float)):  # type: ignore[unreachable]  # numpy scalars reach it at run time
        m, n, k = real(m), real(n), real(k)
    precision = weight_precision or device.precision
    w_bytes = BYTES_PER_ELEMENT.get(precision) or bytes_per_param(precision)  # the error when unknown
    rows, cols = (m, n) if tiles is None else tiles
    flops = 2.0 * rows * cols * k * instances
    w_read = k * n * (w_bytes + 2.0 * device.weight_only_dequant_ratio)  # + dequantisation
    moved = ((m * k + m * n) * act_bytes + w_read) * instances
    compute = flops / (device.matmul_efficiency * device.peak_flops_per_s)
    t: Real = maximum(compute, moved / device.memory_Bps) + device.kernel_overhead_s
    return t


def gemm_efficiency(m: npt.ArrayLike, n: float | npt.NDArray[Any], k: float | npt.NDArray[Any],
                    device: Device, weight_precision: str | None = None) -> npt.NDArray[np.float64]:
    """Achieved FLOP/s over the dense peak for one GEMM of this shape."""
    t = gemm_time_s(m, n, k, device, weight_precision)
    return 2.0 * np.asarray(m, float) * n * k / (np.asarray(t) * device.peak_flops_per_s)
