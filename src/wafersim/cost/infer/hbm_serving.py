"""Serving from HBM (GPU, Trainium, Ascend, TPU...): enumerate tensor/pipeline/expert parallel
plans, cost every (plan, batch) point at once, report the best as an `InferResult`.

Per batch the plan with the most output tokens/s among those whose weights and KV cache fit
wins; with `search` the best (plan, batch) pair under the TPOT SLO. A static batch prefills
together then decodes together, so tokens/s = batch x output tokens / (TTFT + output x TPOT).
"""

from __future__ import annotations

import math

import numpy as np

from wafersim.catalog.system import System
from wafersim.cost.infer import hbm
from wafersim.cost.infer.common import SelfDraft
from wafersim.cost.infer.curve import Curve
from wafersim.cost.infer.hbm_points import (
    Points,
    devices_needed,
    grid_of,
    hbm_device_of,
    hbm_points,
    points_of,
    search_batches,
)
from wafersim.cost.infer.result import InferResult, assemble
from wafersim.cost.infer.scenario import InferScenario, speculation_of
from wafersim.errors import InfeasibleParameter, ParameterError
from wafersim.memo import memoised
from wafersim.plan.infer import Degrees, HbmPlan, InferPlan
from wafersim.plan.infer_grid import Plans, enumerate_plans
from wafersim.precision import math_precision
from wafersim.xp import item, where


class HbmServing:
    """Replicas of a parallel plan, weights and KV cache in each device's HBM."""

    how = "runs replicas of parallel plans from HBM"  # what it does, for messages
    name = "hbm"
    disaggregates = True
    co_resides = False

    def check(self, sc: InferScenario) -> None:
        """HBM systems draft with the model's own multi-token-prediction module, if it has one."""
        sc.serving.check_stack(sc.system.chip)
        if sc.pipeline_wafers is not None:
            raise ParameterError("pipeline_wafers", sc.pipeline_wafers, f"{{pipeline_wafers}} "
                                 f"applies to wafer systems; {sc.system.id} {self.how} (drop it, "
                                 "or use {pp.flag})", allowed="None")
        if sc.drafting is not None and not isinstance(sc.drafting, SelfDraft):
            raise ParameterError("draft", sc.drafting.draft.id, "{draft}: on HBM systems the draft "
                                 "is the model's own multi-token-prediction module; use mtp",
                                 allowed="mtp")
        if sc.drafting is not None and not sc.model.mtp_layers:
            raise ParameterError("draft", "mtp", f"{{draft}}: {sc.model.id} has no multi-token-"
                                 "prediction module (num_nextn_predict_layers); drop it",
                                 allowed="None")

    def plans(self, sc: InferScenario) -> Plans:
        """Every plan that splits the model on the scenario's devices (fixed degrees kept)."""
        c = sc.constraints
        return enumerate_plans(sc.model, sc.system, c.tp, c.pp, c.ep, c.attention_dp)

    def serve(self, sc: InferScenario, batches: list[int], search: bool) -> list[InferResult]:
        plans, mtp = self.plans(sc), _mtp(sc)
        if search:
            batches = search_batches(sc, plans, mtp)
            if not batches:
                raise _infeasible(sc, 1)
        grid, b = points_of(plans, batches)
        pts = hbm_points(sc, grid, b, mtp)
        fast = where(pts.fits, pts.throughput(sc.serving), -np.inf)
        if sc.tpot_slo_s is not None:
            fast = where(pts.tpot_s <= sc.tpot_slo_s, fast, -np.inf)
        if not isinstance(fast, np.ndarray):  # one plan at one batch
            if not math.isfinite(fast):
                raise _no_point(sc, pts) if search else _infeasible(sc, batches[0])
            return [self.report(sc, pts, 0)]
        score = fast.reshape(len(plans), len(batches))
        if search:
            best = int(np.argmax(score))
            if not np.isfinite(score.flat[best]):
                raise _no_point(sc, pts)
            return [self.report(sc, pts, best)]
        out = []
        for j, batch in enumerate(batches):
            i = int(np.argmax(score[:, j]))
            if not np.isfinite(score[i, j]):
                raise _infeasible(sc, batch)
            out.append(self.report(sc, pts, i * len(batches) + j))
        return out

    def report(self, sc: InferScenario, pts: Points, i: int) -> InferResult:
        """Point `i` as a frozen result with its typed plan and assumptions."""
        plan = HbmPlan(pts.plans.degrees(i), int(item(pts.per_replica, i)), sc.formats,
                       speculation_of(sc.drafting))
        notes = (*_notes(sc.system, sc.serving.precision), *sc.serving.stack_notes(),
                 *hbm.ASSUMPTIONS)
        tpot, ttft, memory = pts.at(i)
        return assemble(sc.model, sc.system, sc.serving, int(item(pts.batch, i)), sc.system.devices,
                        tpot, ttft, int(item(pts.max_batch, i)), memory, plan, notes)

    def curve(self, sc: InferScenario, plan: InferPlan, top: int) -> Curve:
        """TPOT and TTFT of one HBM plan for 1..`top` requests."""
        assert isinstance(plan, HbmPlan)
        return degrees_curve(sc, plan.degrees, top)

    def occupied(self, sc: InferScenario, plan: InferPlan) -> System:
        return sc.system

    def under_load(self, sc: InferScenario) -> InferScenario:
        return sc  # the devices are the system's; the plan search already fills them

    def fitting_count(self, sc: InferScenario) -> int | None:
        """Whole nodes holding the weights and one request, when the system as given cannot
        (where no count tried holds them, the mean need: the run then says why)."""
        if devices_needed(sc.model, sc.system, sc.serving) <= sc.system.devices:
            return None
        fewest = fewest_whole_nodes(sc)
        return fewest if fewest is not None else _mean_need(sc)


MAX_EXTRA_NODES = 8  # past the mean need, nodes tried before no count is said to hold the model


def _mean_need(sc: InferScenario) -> int:
    """Whole nodes (at least the system as given) whose memory holds the weights and one request."""
    per_node = sc.system.devices_per_node
    need = devices_needed(sc.model, sc.system, sc.serving)
    return max(sc.system.devices, -(-need // per_node) * per_node)


def fewest_whole_nodes(sc: InferScenario) -> int | None:
    """The fewest whole nodes (at least the system as given) on which some plan holds the weights
    and one request; a split leaves some devices fuller than the mean, so counts past the mean
    need are tried a node at a time, MAX_EXTRA_NODES of them (None: none of them holds it)."""
    count = _mean_need(sc)
    for _ in range(MAX_EXTRA_NODES + 1):
        if _holds_one(sc.on(count)):
            return count
        count += sc.system.devices_per_node
    return None


def _holds_one(sc: InferScenario) -> bool:
    """Some plan on the scenario's devices holds the weights and one request."""
    c = sc.constraints
    plans = enumerate_plans(sc.model, sc.system, c.tp, c.pp, c.ep, c.attention_dp)
    grid, b = grid_of(plans, [1])
    return bool(np.any(hbm_points(sc, grid, b, _mtp(sc)).fits))


def degrees_curve(sc: InferScenario, degrees: Degrees, top: int) -> Curve:
    """The step-time curves of one set of degrees on the scenario's devices."""
    one = Plans(*(np.array([v]) for v in (degrees.tp, degrees.pp, degrees.ep, degrees.replicas,
                                          degrees.attention_dp)))
    plans, b = grid_of(one, np.arange(1, top + 1))
    pts = hbm_points(sc, plans, b, _mtp(sc))
    return Curve(np.asarray(pts.tpot_s), np.asarray(pts.ttft_s), int(item(pts.max_batch, 0)),
                 degrees.schedulers)


@memoised(identity=(System,))
def _notes(system: System, precision: str) -> tuple[str, ...]:
    """What a result assumes of the device in the weight format and of its serving stack."""
    return (*hbm_device_of(system.chip, math_precision(precision)).assumptions,
            hbm.serving_efficiency(system.chip)[1])


def _mtp(sc: InferScenario) -> SelfDraft | None:
    return sc.drafting if isinstance(sc.drafting, SelfDraft) else None


def _infeasible(sc: InferScenario, batch: int) -> InfeasibleParameter:
    model, system, serving = sc.model, sc.system, sc.serving
    need = fewest_whole_nodes(sc)
    if need is None:
        return _no_split(sc)
    if need <= system.devices:
        return InfeasibleParameter("batch", batch, f"{{batch}}: requests of "
                                   f"{serving.context_tokens} tokens do not fit the KV cache of "
                                   f"{model.id} on {system.devices} x {system.chip.id}; lower "
                                   "{batch.flag} or the token counts, or raise {count.flag}",
                                   allowed="<= what the KV cache holds")
    gb = model.weight_bytes(serving.precision) / 1e9
    return InfeasibleParameter("count", system.devices, f"{model.id} ({gb:,.0f} GB at "
                               f"{serving.precision}) does not fit {system.devices} x "
                               f"{system.chip.id}; it needs at least {need} devices "
                               f"({{count.flag}} {need}) or a smaller {{precision.flag}}",
                               allowed=f">= {need}")


def _no_split(sc: InferScenario) -> InfeasibleParameter:
    """No count tried holds the model: some part of every split outgrows one device."""
    model, serving, chip = sc.model, sc.serving, sc.system.chip
    gb = model.weight_bytes(serving.precision) / 1e9
    top = _mean_need(sc) + MAX_EXTRA_NODES * sc.system.devices_per_node
    return InfeasibleParameter("precision", serving.precision, f"{model.id} ({gb:,.0f} GB at "
                               f"{serving.precision}) fits no split over up to {top} x "
                               f"{chip.id}: every plan leaves "
                               "some device past its memory (a stage's layers, or the embedding "
                               "and head over the tensor degree); use a smaller {precision.flag}",
                               allowed="a smaller format")


def _no_point(sc: InferScenario, pts: Points) -> InfeasibleParameter:
    fits = np.asarray(pts.fits)
    if not fits.any():
        return _infeasible(sc, 1)
    best = float(np.min(np.asarray(pts.tpot_s)[fits]))
    return InfeasibleParameter("tpot_slo_s", sc.tpot_slo_s, f"no plan of {sc.model.id} on "
                               f"{sc.system.id} meets {{tpot_slo_s:g}} s; the fastest gives "
                               f"{best * 1e3:.2f} ms per token; relax the SLO",
                               allowed=f">= {best:.3g}")
