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
from wafersim.cost.infer.common import SelfDraft, Serving
from wafersim.cost.infer.dispatch import (
    check_hbm_draft,
    check_request,
    devices_needed,
    grid_of,
    hbm_points,
    hbm_serve,
    search_batches,
)
from wafersim.cost.infer.hbm import STATIC_BATCH
from wafersim.cost.infer.result import InferResult
from wafersim.cost.infer.wafer import Speculative
from wafersim.cost.kernels.collectives import p2p_s, tiers_for
from wafersim.cost.kernels.economics import economics
from wafersim.errors import ConfigError, InfeasiblePlan
from wafersim.memo import memoised
from wafersim.models.spec import ModelSpec
from wafersim.plan.infer_grid import enumerate_plans


@dataclass(frozen=True)
class Split:
    """Devices given to prompts (prefill) and to decoding."""

    prefill_devices: int
    decode_devices: int

    def __post_init__(self) -> None:
        if self.prefill_devices < 1 or self.decode_devices < 1:
            raise ConfigError(f"--disaggregate {self}: each pool needs at least 1 device; "
                              "write PREFILL:DECODE, e.g. 16:16")

    def __str__(self) -> str:
        return f"{self.prefill_devices}:{self.decode_devices}"

    @property
    def devices(self) -> int:
        return self.prefill_devices + self.decode_devices

    @classmethod
    def parse(cls, text: str) -> Split:
        """'16:16' -> Split(16, 16)."""
        p, sep, d = text.partition(":")
        if not sep or not p.strip().isdigit() or not d.strip().isdigit():
            raise ConfigError(f"--disaggregate {text!r} is not PREFILL:DECODE device counts; "
                              "write e.g. 16:16")
        return cls(int(p), int(d))


def split_for(disaggregate: str | Split, count: int | None) -> Split:
    """The split `disaggregate` names, checked against a device `count` if one is given."""
    split = disaggregate if isinstance(disaggregate, Split) else Split.parse(disaggregate)
    if count is not None and count != split.devices:
        raise ConfigError(f"--count {count} differs from --disaggregate {split} ({split.devices} "
                          "devices); drop --count or make them agree")
    return split


@dataclass(frozen=True)
class PrefillPoint:
    """The prefill pool's chosen plan and prompt batch."""

    plan: dict[str, int]
    batch: int  # prompts prefilled together, whole pool
    rate: float  # prompts per second
    parts: dict[str, float]  # TTFT breakdown of one prompt batch
    devices_per_replica: int


def _prefill_points(model: ModelSpec, system: System, serving: Serving,
                    plan: dict[str, int | None]):  # type: ignore[no-untyped-def]
    """Every (plan, prompt batch) of the prefill pool that fits, with its prompts per second."""
    prompts = replace(serving, output_tokens=1, decode_only=False)  # the pool holds prompts only
    plans = enumerate_plans(model, system, plan.get("tp"), plan.get("pp"), plan.get("ep"),
                            plan.get("attention_dp"))
    try:
        batches = search_batches(model, system, prompts, plans, None)
    except InfeasiblePlan as exc:
        need = devices_needed(model, system, prompts)
        raise InfeasiblePlan(f"a {serving.input_tokens}-token prompt of {model.id} does not fit the "
                             f"{system.chips}-device prefill pool; it needs at least {need} "
                             f"(--disaggregate {need}:DECODE)") from exc
    grid, b = grid_of(plans, batches)
    pts = hbm_points(model, system, prompts, grid, b)
    return pts, np.where(pts.fits, pts.batch / pts.ttft_s, -np.inf)


def prefill_point(model: ModelSpec, system: System, serving: Serving,
                  plan: dict[str, int | None], demand: float) -> PrefillPoint:
    """The lowest-TTFT point that serves `demand` prompts/s, else the one with the most."""
    pts, rate = _prefill_points(model, system, serving, plan)
    keeps_up = rate >= demand
    i = (int(np.argmin(np.where(keeps_up, pts.ttft_s, np.inf))) if keeps_up.any()
         else int(np.argmax(rate)))
    plans = pts.plans
    return PrefillPoint(plans.describe(i), int(pts.batch[i]), float(rate[i]),
                        {k: float(v[i]) for k, v in pts.ttft.items()},
                        int(plans.tp[i] * plans.pp[i]))


def kv_transfer_s(model: ModelSpec, system: System, serving: Serving, split: Split,
                  devices_per_replica: int) -> float:
    """One prompt's KV cache from its prefill replica to the decode pool (outermost tier)."""
    nbytes = serving.input_tokens * model.kv_cache_bytes_per_token(serving.kv_precision)
    link = tiers_for(system, split.devices)[-1][0]  # a split has at least two devices
    return float(p2p_s(nbytes / devices_per_replica, link))


def _fed_decode(model: ModelSpec, system: System, serving: Serving, batch: int, rate: float,
                plan: dict[str, int | None], spec: SelfDraft | None) -> InferResult:
    """The largest decode batch up to `batch` (to 1/64 of it) whose requests/s `rate` feeds."""
    batches = sorted({max(1, round(batch * f / 64)) for f in range(1, 65)})
    decoding = replace(serving, decode_only=True)
    results = hbm_serve(model, system, decoding, batches, plan, mtp=spec)
    fed = [r for r in results if r.batch / (serving.output_tokens * r.tpot_s) <= rate]
    return max(fed, key=lambda r: r.batch) if fed else results[0]


@memoised(identity=(System,))
def disaggregated_serve(model: ModelSpec, system: System, serving: Serving, split: Split,
                        batches: list[int], plan: dict[str, int | None] | None = None,
                        spec: Speculative | SelfDraft | None = None, slo_s: float | None = None,
                        search: bool = False) -> list[InferResult]:
    """Serve with prompts on `split.prefill_devices` and decoding on `split.decode_devices`.

    `batch` is the number of requests decoding in the decode pool; with `search` the decode batch
    and plan with the most tokens/s (under `slo_s`) are searched.
    """
    if system.chip.device_class == "wafer":
        raise ConfigError(f"--disaggregate {split}: {system.id} pipelines layers over wafers; "
                          "prefill/decode pools are modelled on HBM systems (drop it)")
    check_request(batches, slo_s)
    serving.check_stack(system.chip)
    check_hbm_draft(model, spec)
    assert not isinstance(spec, Speculative)
    plan = plan or {}
    pools = system.with_chips(split.prefill_devices), system.with_chips(split.decode_devices)
    decoding = replace(serving, decode_only=True)
    decoded = hbm_serve(model, pools[1], decoding, batches, plan, slo_s, search, spec)
    return [_combine(model, system, pools, serving, split, d, plan, spec) for d in decoded]


def _combine(model: ModelSpec, system: System, pools: tuple[System, System], serving: Serving,
             split: Split, decode: InferResult, plan: dict[str, int | None],
             spec: SelfDraft | None) -> InferResult:
    out = serving.output_tokens
    demand = decode.batch / (out * decode.tpot_s)  # requests/s the decode pool finishes
    pre = prefill_point(model, pools[0], serving, plan, demand)
    bound = "prefill" if pre.rate < demand else "decode"
    if bound == "prefill":
        decode = _fed_decode(model, pools[1], serving, decode.batch, pre.rate, plan, spec)
    ttft = pre.parts | {"kv_transfer": kv_transfer_s(model, system, serving, split,
                                                     pre.devices_per_replica)}
    return _result(model, system, split, decode, pre, ttft, min(pre.rate, demand) * out, bound)


def _result(model: ModelSpec, system: System, split: Split, decode: InferResult, pre: PrefillPoint,
            ttft: dict[str, float], tokens_per_s: float, bound: str) -> InferResult:
    eco = economics(system.with_chips(split.devices), 1.0)  # one second of both pools
    usd = None if eco.cost_usd is None else eco.cost_usd / tokens_per_s * 1e6
    plan = {"kind": "disaggregated", "prefill_devices": split.prefill_devices,
            "decode_devices": split.decode_devices,
            "prefill": pre.plan | {"prompt_batch": pre.batch, "prompts_per_s": pre.rate},
            "decode": dict(decode.plan)}
    notes = (f"prefill/decode disaggregated: {split.prefill_devices} prefill + "
             f"{split.decode_devices} decode devices; the {bound} pool sets the request rate",
             "output tokens/s = the slower pool's requests/s x output tokens (pools in series, "
             "steady state)", "TTFT = prompt batch prefill + KV cache transfer to the decode pool",
             *(n for n in decode.assumptions if n != STATIC_BATCH))
    return InferResult(model=model.id, system=system.id, devices=split.devices, batch=decode.batch,
                       ttft_s=sum(ttft.values()), tpot_s=decode.tpot_s,
                       throughput_tokens_per_s=tokens_per_s, max_batch=decode.max_batch,
                       memory_bytes_per_device=decode.memory_bytes_per_device,
                       energy_per_token_J=eco.energy_J / tokens_per_s, usd_per_million_tokens=usd,
                       plan=plan, decode_breakdown=dict(decode.decode_breakdown),
                       prefill_breakdown=ttft, assumptions=notes, memory=dict(decode.memory))
