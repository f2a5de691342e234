"""Prefill/decode-disaggregated serving: prompts on one pool of devices, decoding on another.

Disaggregation (DistServe, Zhong et al. OSDI 2024; Splitwise, Patel et al. ISCA 2024) runs the
compute-bound prefill and the bandwidth-bound decode on separate devices, each with its own plan,
and ships every prompt's KV cache from the prefill pool to the decode pool.

- The decode pool holds `batch` requests decoding (`Serving.decode_only`); it serves
  batch / (output tokens x TPOT) requests per second.
- The prefill pool runs the plan and prompt batch with the most prompts per second; when that
  outruns the decode pool, the smallest prompt batch that keeps up is taken (lowest TTFT).
- In steady state the system serves the slower pool's request rate (the pools are in series), so
  output tokens/s = rate x output tokens. When the prefill pool is the slower one, the decode
  pool holds only the requests it is fed: the largest batch (to 1/64) whose rate it does not
  exceed.
- TTFT = the prompt batch's prefill + its KV cache crossing the outermost tier the two pools
  span (each prefill device of a replica sends its share).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from wafersim.catalog.system import System
from wafersim.cost.infer.curve import Curve
from wafersim.cost.infer.hbm import STATIC_BATCH
from wafersim.cost.infer.hbm_points import devices_needed, grid_of, hbm_points, search_batches
from wafersim.cost.infer.hbm_serving import HbmServing, degrees_curve
from wafersim.cost.infer.result import InferResult
from wafersim.cost.infer.scenario import InferScenario
from wafersim.cost.kernels.collectives import p2p_s, tiers_for
from wafersim.cost.kernels.economics import serving_economics
from wafersim.errors import InfeasibleParameter
from wafersim.plan.infer import DisaggregatedPlan, HbmPlan, PrefillPlan, Split
from wafersim.xp import item


@dataclass(frozen=True)
class PrefillPoint:
    """The prefill pool's chosen plan and prompt batch."""

    plan: PrefillPlan
    parts: dict[str, float]  # TTFT breakdown of one prompt batch


class DisaggregatedServing:
    """Two pools of one HBM backend: prompts on the first, decoding on the second."""

    name = "disaggregated"

    def __init__(self, pools: HbmServing) -> None:
        self.pools = pools

    def serve(self, sc: InferScenario, batches: list[int], search: bool) -> list[InferResult]:
        """`batch` is the number of requests decoding in the decode pool; with `search` the decode
        batch and plan with the most tokens/s (under the SLO) are searched."""
        split = _split(sc)
        self.pools.check(sc)
        decoding = sc.on(split.decode_devices).with_serving(decode_only=True)
        decoded = self.pools.serve(decoding, batches, search)
        return [self._combine(sc, split, d) for d in decoded]

    def pool_curves(self, sc: InferScenario, plan: DisaggregatedPlan, top: int) -> tuple[Curve, Curve]:
        """(prefill pool, decode pool) step-time curves of a disaggregated plan."""
        prompts = sc.on(plan.prefill_devices).with_serving(output_tokens=1, decode_only=False)
        decoding = sc.on(plan.decode_devices).with_serving(decode_only=True)
        return (degrees_curve(replace(prompts, drafting=None), plan.prefill.degrees, top),
                degrees_curve(decoding, plan.decode.degrees, top))

    @staticmethod
    def occupied(sc: InferScenario, plan: DisaggregatedPlan) -> System:
        """Both pools' devices."""
        return sc.system.with_devices(plan.devices)

    def _combine(self, sc: InferScenario, split: Split, decode: InferResult) -> InferResult:
        out = sc.serving.output_tokens
        demand = decode.batch / (out * decode.tpot_s)  # requests/s the decode pool finishes
        pre = prefill_point(sc.on(split.prefill_devices), demand)
        bound = "prefill" if pre.plan.prompts_per_s < demand else "decode"
        if bound == "prefill":
            decode = self._fed_decode(sc.on(split.decode_devices), decode.batch,
                                      pre.plan.prompts_per_s)
        ttft = pre.parts | {"kv_transfer": kv_transfer_s(sc, split,
                                                         pre.plan.degrees.devices_per_replica)}
        rate = min(pre.plan.prompts_per_s, demand)
        return _result(sc, split, decode, pre, ttft, rate * out, bound)

    def _fed_decode(self, pool: InferScenario, batch: int, rate: float) -> InferResult:
        """The largest decode batch up to `batch` (to 1/64 of it) whose requests/s `rate` feeds."""
        batches = sorted({max(1, round(batch * f / 64)) for f in range(1, 65)})
        decoding = replace(pool.with_serving(decode_only=True), tpot_slo_s=None)
        results = self.pools.serve(decoding, batches, False)
        out = pool.serving.output_tokens
        fed = [r for r in results if r.batch / (out * r.tpot_s) <= rate]
        return max(fed, key=lambda r: r.batch) if fed else results[0]


def _split(sc: InferScenario) -> Split:
    assert sc.split is not None
    return sc.split


def prefill_point(pool: InferScenario, demand: float) -> PrefillPoint:
    """The lowest-TTFT point of the prefill pool that serves `demand` prompts/s, else the one with
    the most prompts/s."""
    prompts = replace(pool.with_serving(output_tokens=1, decode_only=False), drafting=None)
    plans = HbmServing().plans(prompts)
    batches = search_batches(prompts, plans, None)
    if not batches:
        need = devices_needed(pool.model, pool.system, prompts.serving)
        raise InfeasibleParameter("disaggregate", pool.split or f"{pool.system.devices}:DECODE",
                                  f"a {pool.serving.input_tokens}-token prompt of {pool.model.id} "
                                  f"does not fit the {pool.system.devices}-device prefill pool; it "
                                  f"needs at least {need} ({{disaggregate.flag}} {need}:DECODE)",
                                  allowed=f">= {need}:1")
    grid, b = grid_of(plans, batches)
    pts = hbm_points(prompts, grid, b)
    rate = np.where(pts.fits, pts.batch / pts.ttft_s, -np.inf)
    keeps_up = rate >= demand
    i = (int(np.argmin(np.where(keeps_up, pts.ttft_s, np.inf))) if keeps_up.any()
         else int(np.argmax(rate)))
    plan = PrefillPlan(pts.plans.degrees(i), int(item(pts.batch, i)), float(rate[i]))
    return PrefillPoint(plan, {k: item(v, i) for k, v in pts.ttft.items()})


def kv_transfer_s(sc: InferScenario, split: Split, devices_per_replica: int) -> float:
    """One prompt's KV cache from its prefill replica to the decode pool (outermost tier)."""
    nbytes = sc.model.kv_cache_bytes(sc.serving.input_tokens, sc.serving.kv_precision)
    link = tiers_for(sc.system, split.devices)[-1][0]  # a split has at least two devices
    return float(p2p_s(nbytes / devices_per_replica, link))


def _result(sc: InferScenario, split: Split, decode: InferResult, pre: PrefillPoint,
            ttft: dict[str, float], tokens_per_s: float, bound: str) -> InferResult:
    eco = serving_economics(sc.system.with_devices(split.devices), 1.0)  # one second of both pools
    energy, usd = eco.per_token(tokens_per_s)
    assert isinstance(decode.plan, HbmPlan)
    plan = DisaggregatedPlan(split.prefill_devices, split.decode_devices, pre.plan, decode.plan)
    notes = (f"prefill/decode disaggregated: {split.prefill_devices} prefill + "
             f"{split.decode_devices} decode devices; the {bound} pool sets the request rate",
             "output tokens/s = the slower pool's requests/s x output tokens (pools in series, "
             "steady state)", "TTFT = prompt batch prefill + KV cache transfer to the decode pool",
             *(n for n in decode.assumptions if n != STATIC_BATCH))
    return InferResult(model=sc.model.id, system=sc.system.id, devices=split.devices,
                       batch=decode.batch, ttft_s=sum(ttft.values()), tpot_s=decode.tpot_s,
                       throughput_tokens_per_s=tokens_per_s, max_batch=decode.max_batch,
                       memory_bytes_per_device=decode.memory_bytes_per_device,
                       energy_per_token_J=energy, usd_per_million_tokens=usd,
                       plan=plan, decode_breakdown=dict(decode.decode_breakdown),
                       prefill_breakdown=ttft, assumptions=notes + eco.assumptions,
                       memory=dict(decode.memory), cost_basis=eco.basis)
