"""The contract every training backend keeps: enumerate plans, cost them vectorised, report.

A backend is how one kind of device trains a model (`ClusterTraining`: data, tensor, pipeline,
context and expert parallel plans searched at once; `WeightStreaming`: weights streamed from
MemoryX to wafers). The registry in `cost/backends.py` maps each device class to one.
"""

from __future__ import annotations

from typing import Protocol

from wafersim.cost.train.result import TrainResult
from wafersim.cost.train.scenario import TrainScenario


class TrainingBackend(Protocol):
    """Train a `TrainScenario`: the fastest plan it admits, with its breakdown."""

    name: str
    how: str  # what it does with a model, for messages: 'trains by weight streaming'

    def check(self, ts: TrainScenario) -> None:
        """One structured error for what this backend cannot do with the scenario."""

    def train(self, ts: TrainScenario) -> TrainResult:
        """Time, throughput, memory, energy and cost of the scenario's best plan."""
