"""Serving SRAM-resident on wafers: the fewest wafers holding the weights and the batch's KV
cache (or the count given), every layer a pipeline stage filled by the requests in flight.

With `search` the batch with the most output tokens/s under the TPOT SLO is taken, from powers
of two up to what the wafers' SRAM holds. Weights never leave the wafer, so the system served on
has no MemoryX or SwarmX.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from wafersim.catalog.system import System
from wafersim.cost.infer.common import SelfDraft
from wafersim.cost.infer.curve import Curve
from wafersim.cost.infer.hbm_points import MAX_SEARCH_BATCH, powers_of_two_to
from wafersim.cost.infer.result import InferResult, assemble
from wafersim.cost.infer.scenario import InferScenario, speculation_of
from wafersim.cost.infer.wafer import (
    Speculative,
    WaferFit,
    serving_efficiency,
    wafer_fit,
    wafer_points,
    wafers_needed,
)
from wafersim.errors import InfeasibleParameter, ParameterError
from wafersim.plan.infer import InferPlan, WaferPlan

WAFER_NOTES = (
    "each weight matrix on its own PE rectangle, sized by its bytes; a token's GEMVs run one "
    "after another (cost/kernels/wafer_gemv.py, chain reduction)",
    "layers averaged; activations (a few vectors per request) not counted in SRAM",
    "hidden vector crosses the node I/O link (12 x 100 GbE) at each wafer boundary",
    "every layer is a pipeline stage; requests in flight fill the pipeline",
)


class WaferServing:
    """Weights, KV cache and activations in wafer SRAM; layers pipelined over wafers."""

    how = "pipelines layers over wafers"  # what it does, for messages
    name = "sram_resident"
    disaggregates = False

    def check(self, sc: InferScenario) -> None:
        """Wafers pipeline layers; they take no parallel degrees and draft with a named model."""
        sc.serving.check_stack(sc.system.chip)
        given = sc.constraints.given()
        if given:
            name, value = next(iter(given.items()))
            raise ParameterError(name, value, f"{{{name}}}: tensor/pipeline/expert degrees apply "
                                 f"to HBM accelerators; {sc.system.id} pipelines layers over wafers "
                                 "(drop it, or use {count.flag})", allowed="None")
        if isinstance(sc.drafting, SelfDraft):
            raise ParameterError("draft", "mtp", "{draft} is modelled on HBM systems; on wafers "
                                 "name a draft model", allowed="a draft model id")

    def serve(self, sc: InferScenario, batches: list[int], search: bool) -> list[InferResult]:
        f = wafer_fit(sc.model, sc.system, sc.serving, _draft(sc))
        if not search:
            return [self._one(sc, f, batch) for batch in batches]
        n = _wafer_count(sc, f, 1)
        top = min(f.max_batch(n), MAX_SEARCH_BATCH)
        grid = np.array(powers_of_two_to(top))
        tpot, ttft = wafer_points(sc.model, sc.system, sc.serving, grid, n, f, _draft(sc))
        tpot_s: Any = sum(tpot.values())
        score = grid * sc.serving.output_tokens / sc.serving.wall_s(sum(ttft.values()), tpot_s)
        if sc.tpot_slo_s is not None:
            score = np.where(tpot_s <= sc.tpot_slo_s, score, -np.inf)
        best = int(np.argmax(score))
        if not np.isfinite(score[best]):
            raise InfeasibleParameter("tpot_slo_s", sc.tpot_slo_s, f"no batch of {sc.model.id} "
                                      f"on {n} x {sc.system.chip.id} meets {{tpot_slo_s:g}} s; "
                                      f"batch 1 gives {tpot_s[0] * 1e3:.3f} ms per token",
                                      allowed=f">= {tpot_s[0]:.3g}")
        return [self.report(sc, f, n, int(grid[best]), tpot, ttft, best)]

    def _one(self, sc: InferScenario, f: WaferFit, batch: int) -> InferResult:
        n = _wafer_count(sc, f, batch)
        tpot, ttft = wafer_points(sc.model, sc.system, sc.serving, [batch], n, f, _draft(sc))
        return self.report(sc, f, n, batch, tpot, ttft, 0)

    def report(self, sc: InferScenario, f: WaferFit, n: int, batch: int, tpot: dict[str, Any],
               ttft: dict[str, Any], i: int) -> InferResult:
        """Point `i` of the costed batches on `n` wafers as a frozen result."""
        L = sc.model.n_layers
        in_flight = min(batch, L + 1)
        plan = WaferPlan(n, L / n, L + 1, in_flight, batch / in_flight,
                         int(f.usable_bytes // (f.weight_bytes + f.kv_bytes_per_request)),
                         sc.formats, speculation_of(sc.drafting))
        memory = {"weights": f.weight_bytes / n, "kv_cache": batch * f.kv_bytes_per_request / n,
                  "usable": f.usable_bytes}
        notes = f.notes + (serving_efficiency(sc.system)[1], *sc.serving.stack_notes(), *WAFER_NOTES)
        return assemble(sc.model, wafer_system(sc.system, n), sc.serving, batch, n,
                        {k: float(np.asarray(v).flat[i]) for k, v in tpot.items()},
                        {k: float(np.asarray(v).flat[i]) for k, v in ttft.items()},
                        f.max_batch(n), memory, plan, notes)

    def curve(self, sc: InferScenario, plan: InferPlan, top: int) -> Curve:
        """TPOT and TTFT on the plan's wafers for 1..`top` requests."""
        assert isinstance(plan, WaferPlan)
        f = wafer_fit(sc.model, sc.system, sc.serving, _draft(sc))
        tpot, ttft = wafer_points(sc.model, sc.system, sc.serving, np.arange(1, top + 1),
                                  plan.wafers, f, _draft(sc))
        return Curve(np.asarray(sum(tpot.values())), np.asarray(sum(ttft.values())),
                     f.max_batch(plan.wafers), 1)

    def occupied(self, sc: InferScenario, plan: InferPlan) -> System:
        return wafer_system(sc.system, plan.devices)

    def fitting_count(self, sc: InferScenario) -> int | None:
        return None  # the fewest wafers that hold the model are chosen per batch


def wafer_system(system: System, wafers: int) -> System:
    """The wafers SRAM-resident serving runs on: no MemoryX or SwarmX (weights stay on the wafer)."""
    return replace(system.with_devices(wafers), memory_service=None, broadcast_reduce=None)


def _wafer_count(sc: InferScenario, f: WaferFit, batch: int) -> int:
    """The wafers to use: the fewest that hold the model and `batch` requests, or `count`."""
    need = wafers_needed(f, batch)
    limit = sc.count or (sc.system.devices if sc.system.cluster is not None else None)
    if limit is not None and limit < need:
        raise InfeasibleParameter("count", limit, f"{sc.model.id} with {batch} request(s) of "
                                  f"{f.kv_bytes_per_request / 1e9:.2f} GB KV cache needs {need} "
                                  f"wafers ({f.weight_bytes / 1e9:,.1f} GB of weights over "
                                  f"{f.usable_bytes / 1e9:.1f} GB usable SRAM each); "
                                  f"{sc.system.id} gives {limit}: use {{count.flag}} {need}",
                                  allowed=f">= {need}")
    return sc.count or need


def _draft(sc: InferScenario) -> Speculative | None:
    return sc.drafting if isinstance(sc.drafting, Speculative) else None
