"""Frozen results of the cost models; every breakdown adds up to its total."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from wafersim.cost.kernels.economics import Economics
from wafersim.cost.kernels.failures import Interruptions
from wafersim.cost.train.production import SMALLEST_GOODPUT
from wafersim.plan.train import TrainPlan
from wafersim.units import HOUR_S


@dataclass(frozen=True)
class TrainResult:
    """One training configuration evaluated end to end (SI units; JSON keys are stable)."""

    model: str
    system: str
    devices: int
    step_time_s: float
    tokens_per_step: float
    steps: float
    mfu: float  # model FLOPs / (devices x dense peak in the precision used)
    flops_per_s_per_device: float  # achieved model FLOP/s per device
    memory_bytes_per_device: float
    energy_J: float | None  # None: the system's power is not in the catalog
    cost_usd: float | None
    breakdown: dict[str, float]  # seconds per step; sums to step_time_s
    plan: TrainPlan
    assumptions: tuple[str, ...] = ()
    memory: dict[str, float] = field(default_factory=dict)  # named footprints, bytes
    alternatives: tuple[dict[str, Any], ...] = ()  # runners-up of a plan search, best first
    economy: Economics | None = None  # power, energy and cost of the whole wall time, one basis
    interruptions: Interruptions | None = None  # failures and checkpoints over the run
    evaluation_s: float = 0.0  # periodic evaluations over the run (forward passes), seconds
    padded_heads: dict[str, int] | None = None  # heads padded for the tensor degree (None: none)

    def __post_init__(self) -> None:
        parts = sum(self.breakdown.values())
        assert math.isclose(parts, self.step_time_s, rel_tol=1e-9, abs_tol=1e-12), (
            f"breakdown {parts} != step time {self.step_time_s}")

    @property
    def tokens_per_s(self) -> float:
        return self.tokens_per_step / self.step_time_s

    @property
    def compute_time_s(self) -> float:
        """Failure-free time of every step and evaluation (what a benchmark such as MLPerf
        times): `run_breakdown` adds up to it."""
        return self.steps * self.step_time_s + self.evaluation_s

    @property
    def run_breakdown(self) -> dict[str, float]:
        """Seconds of the failure-free run: the steps and the evaluations."""
        return {"steps": self.steps * self.step_time_s, "evaluation": self.evaluation_s}

    @property
    def goodput(self) -> float:
        """Failure-free time over wall time (1 without an interruption model)."""
        lost = self.interruptions
        return 1.0 if lost is None else max(lost.goodput, SMALLEST_GOODPUT)

    @property
    def wall_time_s(self) -> float:
        """Time the run takes, interruptions, checkpoints and restarts included."""
        return self.compute_time_s / self.goodput

    @property
    def device_hours(self) -> float:
        """Device-hours of failure-free compute."""
        return self.devices * self.compute_time_s / HOUR_S

    @property
    def production_device_hours(self) -> float:
        """Device-hours a whole production run books: its wall time on every device."""
        return self.devices * self.wall_time_s / HOUR_S

    def summary(self) -> dict[str, Any]:
        """Plan, step time, MFU, memory and breakdown: how a runner-up is reported."""
        return {"plan": self.plan.to_json(), "step_time_s": self.step_time_s, "mfu": self.mfu,
                "memory_bytes_per_device": self.memory_bytes_per_device,
                "breakdown": dict(self.breakdown)}

    def to_json(self) -> dict[str, Any]:
        """The stable machine view (SI units)."""
        return {
            "model": self.model, "system": self.system, "devices": self.devices,
            "step_time_s": self.step_time_s, "tokens_per_s": self.tokens_per_s,
            "compute_time_s": self.compute_time_s, "run_breakdown": self.run_breakdown,
            "wall_time_s": self.wall_time_s,
            "goodput": self.goodput, "device_hours": self.device_hours,
            "production_device_hours": self.production_device_hours, "mfu": self.mfu,
            "flops_per_s_per_device": self.flops_per_s_per_device,
            "memory_bytes_per_device": self.memory_bytes_per_device, "energy_J": self.energy_J,
            "cost_usd": self.cost_usd, **(self.economy.to_json() if self.economy else {}),
            "interruptions": self.interruptions.to_json() if self.interruptions else None,
            "breakdown": dict(self.breakdown), "plan": self.plan.to_json(),
            "memory": dict(self.memory), "assumptions": list(self.assumptions),
            "alternatives": [dict(a) for a in self.alternatives],
        } | ({"padded_heads": dict(self.padded_heads)} if self.padded_heads else {})
