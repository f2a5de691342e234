"""The contract every serving backend keeps: enumerate plans, cost them vectorised, report.

A backend is how one kind of device serves a model (`HbmServing`: replicas of parallel plans
in HBM; `WaferServing`: an SRAM-resident layer pipeline). The registry in `cost/backends.py`
maps each device class to one; nothing else asks what kind of device a system has.
"""

from __future__ import annotations

from typing import Protocol

from wafersim.catalog.system import System
from wafersim.cost.infer.curve import Curve
from wafersim.cost.infer.result import InferResult
from wafersim.cost.infer.scenario import InferScenario
from wafersim.plan.infer import InferPlan


class ServingBackend(Protocol):
    """Serve a `InferScenario`: search or fix its plans, and give the curves a simulation steps along."""

    name: str
    how: str  # what it does with a model, for messages: 'pipelines layers over wafers'
    disaggregates: bool  # can run prompts and decoding on separate pools of its devices
    co_resides: bool  # can hold several models resident together on one set of its devices

    def check(self, sc: InferScenario) -> None:
        """One structured error for what this backend cannot do with the scenario."""

    def serve(self, sc: InferScenario, batches: list[int], search: bool) -> list[InferResult]:
        """The best plan per batch (most tokens/s), or with `search` the best batch and plan."""

    def curve(self, sc: InferScenario, plan: InferPlan, top: int) -> Curve:
        """Step times of `plan` for 1..`top` requests (decode) and prompts (prefill)."""

    def occupied(self, sc: InferScenario, plan: InferPlan) -> System:
        """The devices `plan` runs on."""

    def under_load(self, sc: InferScenario) -> InferScenario:
        """The scenario a run under load is served with: the devices `serve` picks at one request
        fixed, so that more requests in flight queue or fill replicas, not grow the plan."""

    def fitting_count(self, sc: InferScenario) -> int | None:
        """Devices to use when the system as catalogued cannot hold the model (None: it can,
        or the backend picks its own count)."""
