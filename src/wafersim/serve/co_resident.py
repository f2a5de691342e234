"""A benchmark run against several models resident together on one set of wafers.

Each model keeps its own share of the PEs (`cost/infer/co_resident.py`), so each gets its own
queue: its share of the requests (`mix`, weights per model; default even, largest remainders
rounded up first), of the concurrency cap and of the arrival rate, played on its own pool with
its own step-time curves. The set is the one `infer_models` picks at one request each; a
model's requests beyond what its share of the KV cache holds queue. The run lasts until the last
model's last request; the wafers draw power for all of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from wafersim.cost.backends import serve_models
from wafersim.cost.infer.co_resident import place, point
from wafersim.cost.infer.result import CoResidentResult
from wafersim.cost.infer.scenario import InferScenario
from wafersim.cost.infer.wafer_serving import WaferServing, wafer_system
from wafersim.cost.kernels.economics import serving_economics
from wafersim.errors import ParameterError
from wafersim.serve.result import ServeResult
from wafersim.serve.simulate import play, queued, result_of
from wafersim.serve.workload import Workload


@dataclass(frozen=True)
class CoResidentServeResult:
    """Each model's run (its own requests, queue and figures) and the shared totals."""

    system: str
    devices: int
    models: tuple[ServeResult, ...]
    duration_s: float  # until the last model's last request
    energy_per_token_J: float | None  # all occupied wafers for the whole run; None: no power
    usd_per_million_tokens: float | None
    steady_state: CoResidentResult  # layer 1: the set at one request each
    assumptions: tuple[str, ...] = ()
    cost_basis: str = "tco"  # what $ per million tokens pays for: owning ("tco") or renting

    @property
    def throughput_tokens_per_s(self) -> float:
        return sum(m.output_tokens for m in self.models) / self.duration_s

    def to_json(self) -> dict[str, Any]:
        return {"system": self.system, "devices": self.devices,
                "replicas": self.steady_state.plan.replicas,
                "pipeline_wafers": self.steady_state.plan.pipeline_wafers,
                "duration_s": self.duration_s,
                "throughput_tokens_per_s": self.throughput_tokens_per_s,
                "energy_per_token_J": self.energy_per_token_J,
                "usd_per_million_tokens": self.usd_per_million_tokens,
                "cost_basis": self.cost_basis, "plan": self.steady_state.plan.to_json(),
                "models": [m.to_json() for m in self.models],
                "assumptions": list(self.assumptions)}


def split_requests(total: int, weights: list[float]) -> list[int]:
    """`total` requests over the models by `weights` (largest remainders first), each >= 1."""
    if len(weights) and (min(weights) <= 0 or not all(map(math.isfinite, weights))):
        raise ParameterError("mix", ",".join(f"{w:g}" for w in weights), "{mix.flag} weights "
                             "must be positive numbers, one per model", allowed="positive weights")
    if total < len(weights):
        raise ParameterError("requests", total, f"{{requests}}: {len(weights)} models need at "
                             "least one request each", allowed=f">= {len(weights)}")
    exact = [total * w / sum(weights) for w in weights]
    out = [max(1, math.floor(x)) for x in exact]
    order = sorted(range(len(exact)), key=lambda i: out[i] - exact[i])
    for i in order[:total - sum(out)]:
        out[i] += 1
    return out


def simulate_models(scs: list[InferScenario], workload: Workload, mix: list[float] | None,
                    prefill_tokens: int) -> CoResidentServeResult:
    """Play `workload` split over the models resident together (see the module notes)."""
    weights = mix or [1.0] * len(scs)
    if len(weights) != len(scs):
        raise ParameterError("mix", ",".join(f"{w:g}" for w in weights), f"{{mix.flag}} gives "
                             f"{len(weights)} weights for {len(scs)} models; give one per model",
                             allowed=f"{len(scs)} weights")
    steady = serve_models(scs, 1)
    counts = split_requests(workload.requests, weights)
    runs = []
    for i, ((sc, f, lay), n) in enumerate(zip(place(scs, 1), counts, strict=True)):
        share = n / workload.requests
        cap = None if workload.concurrency is None else max(1, round(workload.concurrency * share))
        rate = None if workload.rate_per_s is None else workload.rate_per_s * share
        w = replace(workload, requests=n, concurrency=cap, rate_per_s=rate, seed=workload.seed + i)
        top = lay.replicas * f.max_batch(lay.pipeline, lay.share)
        at = point(sc, f, lay, max(1, min(w.in_flight, top)))
        curve = WaferServing().curve(sc, at.plan, w.in_flight * math.ceil(
            w.input_tokens / sc.serving.input_tokens))
        requests, pools = play(w, sc, curve, curve, at, prefill_tokens)
        run = result_of(sc.model, wafer_system(sc.system, lay.wafers), at, requests, pools,
                        prefill_tokens, queued(w, at))
        energy = None if run.energy_per_token_J is None else run.energy_per_token_J * lay.share
        runs.append(replace(run, energy_per_token_J=energy))
    return _total(scs, steady, tuple(runs))


def _total(scs: list[InferScenario], steady: CoResidentResult,
           runs: tuple[ServeResult, ...]) -> CoResidentServeResult:
    duration = max(r.duration_s for r in runs)
    eco = serving_economics(wafer_system(scs[0].system, steady.devices), duration)
    tokens = sum(r.output_tokens for r in runs)
    energy, usd = eco.per_token(tokens)
    split = ", ".join(f"{r.model} {r.requests}" for r in runs)
    notes = (f"requests split over the models by weight: {split}; each model its own queue and "
             "its share of the concurrency cap and arrival rate", *steady.assumptions)
    return CoResidentServeResult(steady.system, steady.devices, runs, duration,
                                 energy, usd, steady, notes, eco.basis)
