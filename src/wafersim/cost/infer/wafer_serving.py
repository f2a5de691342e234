"""Serving SRAM-resident on wafers: replicas of a layer pipeline, each on the fewest wafers
holding the weights and its share of the batch's KV cache, every layer a pipeline stage filled
by the requests in flight.

A system of N wafers (`count`, or a catalogued cluster's wafers) serving a pipeline of P wafers
runs floor(N / P) replicas, as Cerebras serves Llama 3.1 70B on four CS-3 per copy; the batch is
split evenly over them (the busiest holds ceil(B / replicas)). P is the fewest wafers whose SRAM
holds the weights and one replica's KV cache, unless `pipeline_wafers` fixes it. A single system
(no cluster, no count) grows to one pipeline of P wafers. With `search` the batch with the most
output tokens/s under the TPOT SLO is taken, from powers of two up to what the replicas' SRAM
holds. Weights never leave the wafer, so the system served on has no MemoryX or SwarmX.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from wafersim.catalog.system import System
from wafersim.cost.infer.common import SelfDraft
from wafersim.cost.infer.curve import Curve
from wafersim.cost.infer.hbm_points import MAX_SEARCH_BATCH, powers_of_two_to
from wafersim.cost.infer.result import InferResult, assemble
from wafersim.cost.infer.scenario import InferScenario, speculation_of
from wafersim.cost.infer.wafer import (
    Region,
    Speculative,
    WaferFit,
    serving_efficiency,
    wafer_fit,
    wafer_points,
    wafers_needed,
)
from wafersim.cost.infer.wafer_grid import grid_of
from wafersim.errors import InfeasibleParameter, ParameterError
from wafersim.plan.infer import InferPlan, WaferPlan

WAFER_NOTES = (
    "each weight matrix on its own PE rectangle, sized by its bytes; a token's GEMVs run one "
    "after another (cost/kernels/wafer_gemv.py, chain reduction)",
    "layers averaged; activations (a few vectors per request) not counted in SRAM",
    "hidden vector crosses the node I/O link (12 x 100 GbE) at each wafer boundary of a pipeline",
    "every layer is a pipeline stage; requests in flight fill the pipeline",
)


class WaferServing:
    """Weights, KV cache and activations in wafer SRAM; layers pipelined over wafers."""

    how = "pipelines layers over wafers"  # what it does, for messages
    name = "sram_resident"
    disaggregates = False
    co_resides = True  # several models can share one set of its devices (`co_resident.py`)

    def check(self, sc: InferScenario) -> None:
        """Wafers pipeline layers; they take no parallel degrees and draft with a named model."""
        sc.serving.check_stack(sc.system.chip)
        given = sc.constraints.given()
        if given:
            name, value = next(iter(given.items()))
            raise ParameterError(name, value, f"{{{name}}}: tensor/pipeline/expert degrees apply "
                                 f"to HBM accelerators; {sc.system.id} pipelines layers over wafers "
                                 "(drop it, or use {count.flag} or {pipeline_wafers.flag})",
                                 allowed="None")
        if isinstance(sc.drafting, SelfDraft):
            raise ParameterError("draft", "mtp", "{draft} is modelled on HBM systems; on wafers "
                                 "name a draft model", allowed="a draft model id")

    def serve(self, sc: InferScenario, batches: list[int], search: bool) -> list[InferResult]:
        f = wafer_fit(sc.model, sc.system, sc.serving, _draft(sc))
        if not search:
            return [self._one(sc, f, batch) for batch in batches]
        lay = layout(sc, f, 1)
        top = min(lay.replicas * f.max_batch(lay.pipeline), MAX_SEARCH_BATCH)
        grid = np.array(powers_of_two_to(top))
        per = np.ceil(grid / lay.replicas)
        tpot, ttft = wafer_points(sc.model, sc.system, sc.serving, per, lay.region, f, _draft(sc))
        tpot_s: Any = sum(tpot.values())
        score = grid * sc.serving.output_tokens / sc.serving.wall_s(sum(ttft.values()), tpot_s)
        if sc.tpot_slo_s is not None:
            score = np.where(tpot_s <= sc.tpot_slo_s, score, -np.inf)
        best = int(np.argmax(score))
        if not np.isfinite(score[best]):
            raise InfeasibleParameter("tpot_slo_s", sc.tpot_slo_s, f"no batch of {sc.model.id} "
                                      f"on {lay.pipeline} x {sc.system.chip.id} meets "
                                      f"{{tpot_slo_s:g}} s; batch 1 gives {tpot_s[0] * 1e3:.3f} ms "
                                      "per token", allowed=f">= {tpot_s[0]:.3g}")
        return [self.report(sc, f, lay, int(grid[best]), tpot, ttft, best)]

    def _one(self, sc: InferScenario, f: WaferFit, batch: int) -> InferResult:
        lay = layout(sc, f, batch)
        per = [lay.per_replica(batch)]
        tpot, ttft = wafer_points(sc.model, sc.system, sc.serving, per, lay.region, f, _draft(sc))
        return self.report(sc, f, lay, batch, tpot, ttft, 0)

    def report(self, sc: InferScenario, f: WaferFit, lay: Layout, batch: int,
               tpot: dict[str, Any], ttft: dict[str, Any], i: int) -> InferResult:
        """Point `i` of the costed batches on the layout's replicas as a frozen result: per-user
        figures one replica's, throughput, energy and cost all replicas'."""
        per = lay.per_replica(batch)
        plan = wafer_plan(sc, f, lay, per)
        n = lay.pipeline
        memory = {"weights": f.weight_bytes / n, "kv_cache": per * f.kv_bytes_per_request / n,
                  "usable": f.usable_bytes}
        notes = (*lay.notes(sc, f, batch), *f.notes, serving_efficiency(sc.system)[1],
                 *sc.serving.stack_notes(), *layout_notes(sc))
        r = assemble(sc.model, wafer_system(sc.system, lay.wafers), sc.serving, batch,
                     lay.wafers, {k: float(np.asarray(v).flat[i]) for k, v in tpot.items()},
                     {k: float(np.asarray(v).flat[i]) for k, v in ttft.items()},
                     lay.replicas * f.max_batch(n, lay.share), memory | {
                         "usable": f.usable_bytes * lay.share}, plan, notes)
        if lay.share == 1:
            return r
        energy, usd = r.energy_per_token_J, r.usd_per_million_tokens  # split by PE share
        return replace(r, energy_per_token_J=None if energy is None else energy * lay.share,
                       usd_per_million_tokens=None if usd is None else usd * lay.share)

    def curve(self, sc: InferScenario, plan: InferPlan, top: int) -> Curve:
        """TPOT and TTFT of the plan's replicas for 1..`top` requests, split evenly over them."""
        assert isinstance(plan, WaferPlan)
        f = wafer_fit(sc.model, sc.system, sc.serving, _draft(sc))
        r = plan.replicas
        per = np.ceil(np.arange(1, top + 1) / r)
        region = Region(plan.pipeline_wafers, plan.pe_share)
        tpot, ttft = wafer_points(sc.model, sc.system, sc.serving, per, region, f, _draft(sc))
        cap = r * f.max_batch(plan.pipeline_wafers, plan.pe_share)
        return Curve(np.asarray(sum(tpot.values())), np.asarray(sum(ttft.values())), cap, r)

    def occupied(self, sc: InferScenario, plan: InferPlan) -> System:
        return wafer_system(sc.system, plan.devices)

    def under_load(self, sc: InferScenario) -> InferScenario:
        """The pipeline `infer` picks at one request, fixed: more requests fill the replicas'
        KV cache, then queue."""
        if sc.pipeline_wafers is not None:
            return sc
        f = wafer_fit(sc.model, sc.system, sc.serving, _draft(sc))
        return replace(sc, pipeline_wafers=layout(sc, f, 1).pipeline)

    def fitting_count(self, sc: InferScenario) -> int | None:
        return None  # the fewest wafers that hold the model are chosen per batch


@dataclass(frozen=True)
class Layout:
    """Replicas of a pipeline of `pipeline` wafers on the wafers given (`given`; None: one
    pipeline, as many wafers as it takes)."""

    pipeline: int
    replicas: int
    given: int | None
    least: int  # the fewest wafers holding the weights and one request's KV cache
    share: float = 1.0

    @property
    def wafers(self) -> int:
        return self.pipeline * self.replicas

    @property
    def idle(self) -> int:
        return 0 if self.given is None else self.given - self.wafers

    @property
    def region(self) -> Region:
        return Region(self.pipeline, self.share)

    def per_replica(self, batch: int) -> int:
        """Requests the busiest replica holds when `batch` are split evenly."""
        return -(-batch // self.replicas)

    def occupancy(self) -> list[str]:
        """Notes on the wafers occupied: replicas and idle wafers."""
        out = [f"{self.replicas} replicas of a {self.pipeline}-wafer pipeline; per-user figures "
               f"are one replica's, throughput, energy and cost all {self.wafers} wafers'"
               ] if self.replicas > 1 else []
        if self.idle:
            out.append(f"{self.idle} of {self.given} wafers left idle: {self.given} is not a "
                       f"multiple of the {self.pipeline}-wafer pipeline")
        return out

    def notes(self, sc: InferScenario, f: WaferFit, batch: int) -> tuple[str, ...]:
        """What a reader should know of the layout: replicas, idle wafers, a longer pipeline."""
        out = self.occupancy()
        if self.pipeline > self.least and sc.pipeline_wafers is None:
            out.append(f"pipeline of {self.pipeline} wafers to hold the KV cache of "
                       f"{self.per_replica(batch)} request(s) per replica; the fewest that hold "
                       f"{sc.model.id} are {self.least} (what a serving run under load keeps)")
        return tuple(out)


def layout_notes(sc: InferScenario) -> tuple[str, ...]:
    """The layout's notes: a grid-decoding stack's layers are neither rectangles nor stages."""
    return WAFER_NOTES if grid_of(sc.serving.stack) is None else WAFER_NOTES[1:3]


def layout(sc: InferScenario, f: WaferFit, batch: int, name: str | None = None) -> Layout:
    """The pipeline length and replicas serving `batch` requests: the fewest wafers per pipeline
    holding the weights and one replica's share of the batch, or `pipeline_wafers`. `f` may be
    several models' fits summed (`name` then names them)."""
    sc = sc if name is None else replace(sc, model=replace(sc.model, id=name))
    least = wafers_needed(f, 1)
    fixed = sc.pipeline_wafers
    if fixed is not None and fixed < least:
        raise InfeasibleParameter("pipeline_wafers", fixed, f"{{pipeline_wafers}}: {sc.model.id} "
                                  f"needs {least} wafers per pipeline ({_sizes(f)})",
                                  allowed=f">= {least}")
    given = sc.count or (sc.system.devices if sc.system.cluster is not None else None)
    shortest = fixed or least
    if given is not None and given < shortest:
        raise _too_few(sc, f, given, shortest)
    if given is None:
        pipeline = fixed or wafers_needed(f, batch)
        lay = Layout(pipeline, 1, None, least)
    else:
        lengths = [fixed] if fixed else range(least, given + 1)
        fits = (Layout(p, given // p, given, least) for p in lengths)
        found = next((x for x in fits if wafers_needed(f, x.per_replica(batch)) <= x.pipeline),
                     None)
        if found is None:
            raise _too_few(sc, f, given, wafers_needed(f, batch)) if not fixed else \
                _batch_too_big(sc, f, Layout(fixed, given // fixed, given, least), batch)
        lay = found
    if wafers_needed(f, lay.per_replica(batch)) > lay.pipeline:
        raise _batch_too_big(sc, f, lay, batch)
    return lay


def wafer_plan(sc: InferScenario, f: WaferFit, lay: Layout, per: int) -> WaferPlan:
    """The typed plan of `per` requests in each of the layout's replicas."""
    L = sc.model.n_layers
    in_flight = min(per, L + 1)
    return WaferPlan(lay.pipeline, lay.replicas, per, L / lay.pipeline, L + 1, in_flight,
                     per / in_flight,
                     int(f.usable_bytes // (f.weight_bytes + f.kv_bytes_per_request)),
                     sc.formats, speculation_of(sc.drafting), lay.idle, lay.share)


def wafer_system(system: System, wafers: int) -> System:
    """The wafers SRAM-resident serving runs on: no MemoryX or SwarmX (weights stay on the wafer)."""
    return replace(system.with_devices(wafers), memory_service=None, broadcast_reduce=None)


def _sizes(f: WaferFit) -> str:
    return (f"{f.weight_bytes / 1e9:,.1f} GB of weights and {f.kv_bytes_per_request / 1e9:.2f} GB "
            f"of KV cache per request over {f.usable_bytes / 1e9:.1f} GB usable SRAM each")


def _too_few(sc: InferScenario, f: WaferFit, given: int, need: int) -> InfeasibleParameter:
    return InfeasibleParameter("count", given, f"{sc.model.id} needs {need} wafers "
                               f"({_sizes(f)}); {sc.system.id} gives {given}: use "
                               f"{{count.flag}} {need}", allowed=f">= {need}")


def _batch_too_big(sc: InferScenario, f: WaferFit, lay: Layout, batch: int) -> InfeasibleParameter:
    cap = lay.replicas * f.max_batch(lay.pipeline)
    return InfeasibleParameter("batch", batch, f"{{batch}}: {lay.replicas} replica(s) of a "
                               f"{lay.pipeline}-wafer pipeline of {sc.model.id} hold {cap} "
                               f"request(s) at full context ({_sizes(f)}); lower {{batch.flag}}, "
                               "or give more wafers ({count.flag}) or a longer pipeline "
                               "({pipeline_wafers.flag})", allowed=f"<= {cap}")


def _draft(sc: InferScenario) -> Speculative | None:
    return sc.drafting if isinstance(sc.drafting, Speculative) else None
