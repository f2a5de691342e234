"""What the HTML report holds, computed: the comparison rows, the charts, the validation outcomes
and the claims. `page.render` turns it into HTML; `gather.gather` computes it for a model."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wafersim.api import CompareRow
from wafersim.claims.evaluate import ClaimResult
from wafersim.cost.train.result import TrainResult
from wafersim.figures.figure import Chart
from wafersim.validate.run import Outcome

# the systems a report compares when none are named: the wafer against two GPU generations
REPORT_SYSTEMS = ("cs-3", "dgx-h100", "dgx-b200")
DEFAULT_TOKENS = 1e12  # training tokens of the training table and the scaling chart
DEFAULT_DEVICES = 1024  # accelerators (or wafer systems) per system in the training table


@dataclass(frozen=True)
class TrainingRow:
    """One system's training run, or why it cannot train the model."""

    system: str
    result: TrainResult | None
    error: str | None = None


@dataclass(frozen=True)
class ReportContents:
    """Everything one report shows; `figures` in page order, each with a distinct name.

    `tokens` and `train_devices` describe the training table, `pricing` the cost basis of every
    dollar figure ("tco" or "rental"), `sweep` the results directory behind a Pareto chart."""

    model: str
    systems: tuple[str, ...]
    pricing: str
    tokens: float = DEFAULT_TOKENS
    train_devices: int = DEFAULT_DEVICES
    serving: tuple[CompareRow, ...] = ()
    training: tuple[TrainingRow, ...] = ()
    figures: tuple[Chart, ...] = ()
    validation: tuple[Outcome, ...] = ()
    validation_summary: dict[str, Any] = field(default_factory=dict)
    claims: tuple[ClaimResult, ...] = ()
    sweep: str | None = None
    input_tokens: int = 1024
    output_tokens: int = 1024

    def __post_init__(self) -> None:
        names = [f.name for f in self.figures]
        twice = next((n for n in names if names.count(n) > 1), None)
        if twice is not None:
            raise ValueError(f"figure name {twice!r} appears twice; chart ids must be distinct")
