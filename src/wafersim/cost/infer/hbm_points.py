"""Many (plan, batch) points of HBM serving costed at once: memory, fit, TPOT and TTFT parts.

`batch` is the number of requests in flight on the whole system; the plan's replicas split it.
The KV cache is paged (`KV_BLOCK_TOKENS`), and `HBM_USABLE_FRACTION` of each device's HBM holds
weights and KV cache. MTP modules (DeepSeek-V3: ~14 B, one MoE layer plus a projection; HF
config) count as extra mean layers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from wafersim.catalog.memory import device_memory_bytes
from wafersim.catalog.schema import Chip
from wafersim.catalog.system import System
from wafersim.cost.infer import hbm
from wafersim.cost.infer.common import KV_BLOCK_TOKENS, SelfDraft, Serving
from wafersim.cost.infer.scenario import InferScenario
from wafersim.cost.kernels.gemm import Device, device_of
from wafersim.errors import ConfigError
from wafersim.memo import memoised
from wafersim.models.spec import ModelSpec
from wafersim.plan.infer_grid import OnePlan, Plans
from wafersim.precision import math_precision
from wafersim.xp import Flag, Real, ceil, floor, item, maximum, real, total

MAX_SEARCH_BATCH = 2**16  # largest batch the throughput search tries (requests in flight)


@dataclass(frozen=True)
class Points:
    """Many (plan, batch) points costed at once, arrays of equal length; or one point (its plan
    as ints, `points_of`), every figure a float."""

    plans: Plans
    batch: Real  # requests in flight, whole system
    per_replica: Real
    tpot: dict[str, Real]
    ttft: dict[str, Real]
    fits: Flag  # weights and KV of the batch fit
    max_batch: Real  # whole system
    memory: dict[str, Real]  # per device

    @property
    def tpot_s(self) -> Real:
        return _total(self.tpot)

    @property
    def ttft_s(self) -> Real:
        return _total(self.ttft)

    def throughput(self, serving: Serving) -> Real:
        out: Real = self.batch * serving.output_tokens / serving.wall_s(self.ttft_s, self.tpot_s)  # type: ignore[type-var]  # xp.Real: float or float64 array
        return out

    def at(self, i: int) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
        """(TPOT parts, TTFT parts, memory) of point `i` as floats."""
        if not isinstance(self.batch, np.ndarray):  # one point: its figures are floats
            return ({k: float(v) for k, v in self.tpot.items()},
                    {k: float(v) for k, v in self.ttft.items()},
                    {k: float(v) for k, v in self.memory.items()})
        tpot, ttft, memory = ({k: item(v, i) for k, v in d.items()}
                              for d in (self.tpot, self.ttft, self.memory))
        return tpot, ttft, memory


def _total(parts: dict[str, Real]) -> Real:
    return real(total(parts.values()))


def hbm_device(system: System, serving: Serving) -> Device:
    """The calibrated device in the weights' math format (falling back to a precision the chip
    runs); weight-only formats run 16-bit matmuls at the stack's dequantisation speed."""
    device = hbm_device_of(system.chip, math_precision(serving.precision))
    ratio = serving.weight_only_dequant_ratio
    return device if ratio is None else replace(device, weight_only_dequant_ratio=ratio)


@memoised(identity=(Chip,))
def hbm_device_of(chip: Chip, precision: str) -> Device:
    """`hbm_device` of a chip and a weight format (memoised)."""
    for prec in (precision, "fp8", "bf16", "fp16"):
        if chip.peak_dense_flops_per_s.get(prec) is not None:  # type: ignore[call-overload]
            return device_of(chip, prec)
    raise ConfigError(f"{chip.id} has no dense peak for {precision} or 16-bit")


def hbm_points(sc: InferScenario, plans: Plans, batch: Any, mtp: SelfDraft | None = None) -> Points:
    """Cost every (plan, batch) pair given as equal-length arrays."""
    model, system, serving = sc.model, sc.system, sc.serving
    device = hbm_device(system, serving)
    b = real(batch)
    per_rep = ceil(b / plans.dp)
    extra = 1.0 if mtp is None else (model.n_layers + model.mtp_layers) / model.n_layers
    weights = hbm.weight_bytes_per_device(model, serving.precision, plans) * extra
    kv_tok = hbm.kv_bytes_per_token_device(model, serving.kv_precision, plans) * extra
    blocks = math.ceil(serving.context_tokens / KV_BLOCK_TOKENS) * KV_BLOCK_TOKENS
    kv_req = kv_tok * model.kv_tokens_held(blocks)  # windowed layers keep their span
    usable = hbm_bytes(system) * hbm.HBM_USABLE_FRACTION
    per_rep_max = maximum(0.0, floor((usable - weights) / kv_req))
    shapes = hbm.gemm_shapes(model, plans)
    tpot = hbm.decode_parts(model, system, device, serving, plans, per_rep, mtp, shapes)
    ttft = hbm.prefill_parts(model, system, device, serving, plans, per_rep, shapes)
    memory = {"weights": weights + 0 * b, "kv_cache": per_rep * kv_req, "usable": usable + 0 * b}
    return Points(plans, b, per_rep, tpot, ttft, per_rep <= per_rep_max, per_rep_max * plans.dp,
                  memory)


def hbm_bytes(system: System) -> float:
    size = device_memory_bytes(system.chip)
    if size is None:
        raise ConfigError(f"{system.chip.id} has no device memory size in the catalog (HBM, or "
                          "SRAM on chips without HBM); add hbm_bytes")
    return size


def devices_needed(model: ModelSpec, system: System, serving: Serving) -> int:
    """Fewest devices whose usable HBM holds the weights and one request's KV cache."""
    need = model.weight_bytes(serving.precision) + serving.kv_bytes_per_request(model)
    return math.ceil(need / (hbm_bytes(system) * hbm.HBM_USABLE_FRACTION))


def grid_of(plans: Plans, batches: Any) -> tuple[Plans, np.ndarray]:
    """Every plan paired with every batch: (plans repeated, batches tiled)."""
    b = np.asarray(batches, dtype=np.int64)
    i = np.repeat(np.arange(len(plans)), b.size)
    return plans.take(i), np.tile(b, len(plans))


def points_of(plans: Plans, batches: list[int]) -> tuple[Plans, Real]:
    """`grid_of`, but one plan at one batch as plain numbers (costed without arrays)."""
    if len(plans) == 1 and len(batches) == 1:
        return _alone(plans), float(batches[0])
    return grid_of(plans, batches)


@memoised(256, identity=(Plans,))
def _alone(plans: Plans) -> OnePlan:
    """The one plan of `plans` as ints; memoised, so that figures memoised per plan find it by
    identity."""
    return plans.one(0)


def search_batches(sc: InferScenario, plans: Plans, mtp: SelfDraft | None) -> list[int]:
    """Batches the throughput search tries: powers of two up to the largest that fits, and each
    plan's own largest."""
    pts = hbm_points(sc, plans, np.ones(len(plans)), mtp)
    top = int(min(np.max(pts.max_batch), MAX_SEARCH_BATCH))
    if top < 1:
        return []
    grid = set(powers_of_two_to(top)) | {int(x) for x in np.asarray(pts.max_batch) if 1 <= x <= top}
    return sorted(grid)


def powers_of_two_to(top: int) -> list[int]:
    """Batches a throughput search tries: 1, 2, 4, ... up to `top`, and `top` itself."""
    return sorted({2**i for i in range(int(math.log2(top)) + 1)} | {top})
