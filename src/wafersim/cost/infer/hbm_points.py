"""Many (plan, batch) points of HBM serving costed at once: memory, fit, TPOT and TTFT parts.

`batch` is the number of requests in flight on the whole system; the plan's replicas split it.
The KV cache is paged (`KV_BLOCK_TOKENS`), and `HBM_USABLE_FRACTION` of each device's HBM holds
weights and KV cache. MTP modules (DeepSeek-V3: ~14 B, one MoE layer plus a projection; HF
config) count as extra mean layers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from wafersim.catalog.system import System
from wafersim.cost.infer import hbm
from wafersim.cost.infer.common import KV_BLOCK_TOKENS, SelfDraft, Serving
from wafersim.cost.infer.scenario import InferScenario
from wafersim.cost.kernels.gemm import Device, device_of
from wafersim.errors import ConfigError
from wafersim.models.spec import ModelSpec
from wafersim.plan.infer_grid import Plans

MAX_SEARCH_BATCH = 2**16  # largest batch the throughput search tries (requests in flight)


@dataclass(frozen=True)
class Points:
    """Many (plan, batch) points costed at once; arrays of equal length."""

    plans: Plans
    batch: np.ndarray  # requests in flight, whole system
    per_replica: np.ndarray
    tpot: dict[str, np.ndarray]
    ttft: dict[str, np.ndarray]
    fits: np.ndarray  # weights and KV of the batch fit
    max_batch: np.ndarray  # whole system
    memory: dict[str, np.ndarray]  # per device

    @property
    def tpot_s(self) -> np.ndarray:
        return _total(self.tpot)

    @property
    def ttft_s(self) -> np.ndarray:
        return _total(self.ttft)

    def throughput(self, serving: Serving) -> np.ndarray:
        return self.batch * serving.output_tokens / serving.wall_s(self.ttft_s, self.tpot_s)

    def at(self, i: int) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
        """(TPOT parts, TTFT parts, memory) of point `i` as floats."""
        return _floats(self.tpot, i), _floats(self.ttft, i), _floats(self.memory, i)


def _floats(parts: dict[str, np.ndarray], i: int) -> dict[str, float]:
    return {k: float(v[i]) for k, v in parts.items()}


def _total(parts: dict[str, np.ndarray]) -> np.ndarray:
    out: Any = sum(parts.values())
    return np.asarray(out, dtype=float)


def hbm_device(system: System, serving: Serving) -> Device:
    """The calibrated device in the weight format (falling back to a precision the chip runs)."""
    for prec in (serving.precision, "fp8", "bf16", "fp16"):
        if system.chip.peak_dense_flops.get(prec) is not None:  # type: ignore[call-overload]  # StrEnum keys match plain str
            return device_of(system.chip, prec)
    raise ConfigError(f"{system.chip.id} has no dense peak for {serving.precision} or 16-bit")


def hbm_points(sc: InferScenario, plans: Plans, batch: Any, mtp: SelfDraft | None = None) -> Points:
    """Cost every (plan, batch) pair given as equal-length arrays."""
    model, system, serving = sc.model, sc.system, sc.serving
    device = hbm_device(system, serving)
    b = np.asarray(batch, dtype=float)
    per_rep = np.ceil(b / plans.dp)
    extra = 1.0 if mtp is None else (model.n_layers + model.mtp_layers) / model.n_layers
    weights = hbm.weight_bytes_per_device(model, serving.precision, plans) * extra
    kv_tok = hbm.kv_bytes_per_token_device(model, serving.kv_precision, plans) * extra
    blocks = math.ceil(serving.context_tokens / KV_BLOCK_TOKENS) * KV_BLOCK_TOKENS
    kv_req = kv_tok * blocks
    usable = hbm_bytes(system) * hbm.HBM_USABLE_FRACTION
    per_rep_max = np.maximum(0, np.floor((usable - weights) / kv_req))
    tpot = hbm.decode_parts(model, system, device, serving, plans, per_rep, mtp)
    ttft = hbm.prefill_parts(model, system, device, serving, plans, per_rep)
    memory = {"weights": weights + 0 * b, "kv_cache": per_rep * kv_req, "usable": usable + 0 * b}
    return Points(plans, b, per_rep, tpot, ttft, per_rep <= per_rep_max, per_rep_max * plans.dp,
                  memory)


def hbm_bytes(system: System) -> float:
    q = system.chip.hbm_bytes
    if q is None or q.value is None:
        raise ConfigError(f"{system.chip.id} has no HBM size in the catalog")
    return q.value


def devices_needed(model: ModelSpec, system: System, serving: Serving) -> int:
    """Fewest devices whose usable HBM holds the weights and one request's KV cache."""
    need = model.weight_bytes(serving.precision) + serving.kv_bytes_per_request(model)
    return math.ceil(need / (hbm_bytes(system) * hbm.HBM_USABLE_FRACTION))


def grid_of(plans: Plans, batches: Any) -> tuple[Plans, np.ndarray]:
    """Every plan paired with every batch: (plans repeated, batches tiled)."""
    b = np.asarray(batches, dtype=np.int64)
    i = np.repeat(np.arange(len(plans)), b.size)
    return plans.take(i), np.tile(b, len(plans))


def search_batches(sc: InferScenario, plans: Plans, mtp: SelfDraft | None) -> list[int]:
    """Batches the throughput search tries: powers of two up to the largest that fits, and each
    plan's own largest."""
    pts = hbm_points(sc, plans, np.ones(len(plans)), mtp)
    top = int(min(np.max(pts.max_batch), MAX_SEARCH_BATCH))
    if top < 1:
        return []
    grid = {2**i for i in range(int(math.log2(top)) + 1)} | {top}
    grid |= {int(x) for x in pts.max_batch if 1 <= x <= top}
    return sorted(grid)
