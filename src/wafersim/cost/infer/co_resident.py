"""Several models resident together on one set of wafers (claim C19: many users and many models
share one wafer).

On a wafer every PE holds weights of one model, so models resident together sit on disjoint PE
regions: each model's layers take a contiguous share of every pipeline's PEs (and their SRAM),
the share by its bytes (weights + the KV cache of its batch). Their pipelines run side by side
without slowing each other; what they share is the wafers' SRAM (split by the shares) and the
wafer I/O links between pipeline wafers, whose contention is left out (one hidden vector per
micro-batch each). The set takes the fewest wafers per pipeline holding every model's weights
and KV cache (or `pipeline_wafers`); a system of N wafers runs floor(N / P) replicas of it.
"""

from __future__ import annotations

from dataclasses import replace

from wafersim.cost.infer.result import CoResidentResult, InferResult
from wafersim.cost.infer.scenario import InferScenario
from wafersim.cost.infer.wafer import WaferFit, wafer_fit, wafer_points
from wafersim.cost.infer.wafer_serving import Layout, WaferServing, layout
from wafersim.errors import ParameterError
from wafersim.plan.infer import CoResidentPlan, WaferPlan

NOTES = (
    "models resident together: every PE holds weights of one model; each model's layers take "
    "their own share of every pipeline's PEs and SRAM (by its bytes: weights + its batch's KV "
    "cache), so the models' pipelines do not slow each other",
    "shared: the wafers' SRAM (split by the shares) and the wafer I/O links between pipeline "
    "wafers (their contention not modelled); power and cost split over the models by PE share",
)


def check_models(scs: list[InferScenario]) -> None:
    """One error for a set of models that cannot be served together: fewer than two, a repeat."""
    ids = [sc.model.id for sc in scs]
    repeated = next((m for i, m in enumerate(ids) if m in ids[:i]), None)
    if repeated is not None:
        raise ParameterError("model", ",".join(ids), f"{{model.flag}} names {repeated} twice; "
                             "list each model once", allowed="distinct model ids")
    if len(ids) < 2:
        raise ParameterError("model", ",".join(ids), "{model.flag}: models served together "
                             "need at least two ids", allowed="two or more model ids")


def shares(fits: list[WaferFit], per_replica: int) -> list[float]:
    """Each model's share of the PEs: its bytes (weights + KV cache of its batch) over all."""
    need = [f.weight_bytes + per_replica * f.kv_bytes_per_request for f in fits]
    return [n / sum(need) for n in need]


def serve_together(scs: list[InferScenario], batch: int) -> CoResidentResult:
    """Each model with `batch` requests in flight, resident together on one set of wafers."""
    placed = place(scs, batch)
    results = tuple(point(sc, f, lay, batch) for sc, f, lay in placed)
    return combine(scs, [f for _, f, _ in placed], placed[0][2], results)


def place(scs: list[InferScenario], batch: int) -> list[tuple[InferScenario, WaferFit, Layout]]:
    """Each model's fit and layout (its PE share of the set's pipelines) for `batch` requests
    in flight each."""
    check_models(scs)
    fits = [wafer_fit(sc.model, sc.system, sc.serving) for sc in scs]
    lay = layout(scs[0], _summed(fits), batch, " + ".join(sc.model.id for sc in scs))
    per = lay.per_replica(batch)
    return [(sc, f, replace(lay, share=s))
            for sc, f, s in zip(scs, fits, shares(fits, per), strict=True)]


def point(sc: InferScenario, f: WaferFit, lay: Layout, batch: int) -> InferResult:
    """One model of the set at `batch` requests in flight, on its share of the layout."""
    tpot, ttft = wafer_points(sc.model, sc.system, sc.serving, [lay.per_replica(batch)],
                              lay.region, f)
    return WaferServing().report(sc, f, lay, batch, tpot, ttft, 0)


def combine(scs: list[InferScenario], fits: list[WaferFit], lay: Layout,
            results: tuple[InferResult, ...]) -> CoResidentResult:
    """The shared totals of the models' results on the layout's wafers."""
    plans = tuple(p for p in (r.plan for r in results) if isinstance(p, WaferPlan))
    plan = CoResidentPlan(lay.pipeline, lay.replicas, lay.idle, plans,
                          tuple(sc.model.id for sc in scs))
    memory = {"weights": sum(f.weight_bytes for f in fits) / lay.pipeline,
              "kv_cache": sum(r.memory["kv_cache"] for r in results),
              "usable": fits[0].usable_bytes}
    return CoResidentResult(results[0].system, lay.wafers, plan, results, memory,
                            (*NOTES, *lay.occupancy()))


def _summed(fits: list[WaferFit]) -> WaferFit:
    """The models' fits as one: weights and KV cache per request (one of each model) added."""
    return WaferFit(1, fits[0].usable_bytes, sum(f.weight_bytes for f in fits),
                    sum(f.kv_bytes_per_request for f in fits), fits[0].notes)
