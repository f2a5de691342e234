"""Step times of one chosen serving plan at every batch size: the curves an event-driven
simulation (`serve/`) steps along.

For the plan layer 1 picked (`InferResult.plan`), `tpot_s[b - 1]` is each request's time per
output token while b requests decode together, and `ttft_s[k - 1]` the time to prefill k
prompts in one pass. Both come from the cost functions `infer` uses, so a simulation whose batch
stays at b reproduces layer 1's TPOT at b. Decode times are taken at the request shape's mean
context (`Serving.mean_decode_context`), as layer 1 takes them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np

from wafersim.catalog.system import System
from wafersim.cost.infer.common import SelfDraft, Serving
from wafersim.cost.infer.dispatch import grid_of, hbm_points
from wafersim.cost.infer.wafer import Speculative, fit, wafer_points
from wafersim.models.spec import ModelSpec
from wafersim.plan.infer_grid import Plans


@dataclass(frozen=True)
class Curve:
    """Decode and prefill step times of one plan, indexed by requests (1-based)."""

    tpot_s: np.ndarray  # [b - 1]: seconds per output token per request, b requests decoding
    ttft_s: np.ndarray  # [k - 1]: seconds to prefill k prompts together
    max_batch: int  # requests whose KV cache fits at full context (0: none)
    schedulers: int  # independent batch schedulers: replicas x data-parallel attention ranks

    def decode_s(self, batch: int) -> float:
        """Seconds per token of each of `batch` requests decoding together."""
        return float(self.tpot_s[min(batch, self.tpot_s.size) - 1])

    @cached_property
    def _prompts(self) -> np.ndarray:
        return np.arange(1, self.ttft_s.size + 1, dtype=float)

    def prefill_s(self, prompts: float) -> float:
        """Seconds to prefill `prompts` prompts (fractional: tokens / prompt length) in one pass."""
        return float(np.interp(max(prompts, 1.0), self._prompts, self.ttft_s))


def _plans(plan: dict[str, Any]) -> Plans:
    one = [np.array([int(plan[key])]) for key in ("tp", "pp", "ep", "replicas")]
    return Plans(*one, np.array([int(plan.get("attention_dp", 1))]))


def hbm_curve(model: ModelSpec, system: System, serving: Serving, plan: dict[str, Any],
              top: int, mtp: SelfDraft | None = None) -> Curve:
    """The curves of an HBM plan (`InferResult.plan` of kind hbm) for 1..`top` requests."""
    plans, b = grid_of(_plans(plan), np.arange(1, top + 1))
    pts = hbm_points(model, system, serving, plans, b, mtp)
    schedulers = int(plan["replicas"]) * int(plan.get("attention_dp", 1))
    return Curve(pts.tpot_s, pts.ttft_s, int(pts.max_batch[0]), schedulers)


def wafer_curve(model: ModelSpec, system: System, serving: Serving, wafers: int, top: int,
                spec: Speculative | None = None) -> Curve:
    """The curves of SRAM-resident serving on `wafers` wafers for 1..`top` requests."""
    f = fit(model, system, serving, spec)
    tpot, ttft = wafer_points(model, system, serving, np.arange(1, top + 1), wafers, f, spec)
    return Curve(np.asarray(sum(tpot.values())), np.asarray(sum(ttft.values())),
                 f.max_batch(wafers), 1)


def curve_of(model: ModelSpec, system: System, serving: Serving, plan: dict[str, Any], top: int,
             spec: Speculative | SelfDraft | None = None) -> Curve:
    """The curves of a co-located plan, HBM or wafer, on the `system` layer 1 served it on."""
    if plan["kind"] == "sram_resident":
        assert not isinstance(spec, SelfDraft)
        return wafer_curve(model, system, serving, int(plan["wafers"]), top, spec)
    assert not isinstance(spec, Speculative)
    return hbm_curve(model, system, serving, plan, top, spec)


def pool_curves(model: ModelSpec, system: System, serving: Serving, plan: dict[str, Any],
                top: int, spec: SelfDraft | None = None) -> tuple[Curve, Curve]:
    """(prefill pool, decode pool) curves of a disaggregated plan (`plan['kind']` disaggregated)."""
    prompts = replace(serving, output_tokens=1, decode_only=False)
    pre = hbm_curve(model, system.with_chips(plan["prefill_devices"]), prompts, plan["prefill"],
                    top)
    decoding = replace(serving, decode_only=True)
    dec = hbm_curve(model, system.with_chips(plan["decode_devices"]), decoding, plan["decode"],
                    top, spec)
    return pre, dec

