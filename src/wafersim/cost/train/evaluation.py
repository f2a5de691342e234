"""Periodic evaluation during training: forward passes over a held-out set every so many tokens.

A benchmark such as MLPerf times the evaluations with the training (its rules give, per
benchmark, how often and on how many sequences); a production run evaluates too. An evaluation is
a forward pass with no backward, costed at the rate the run trains: its model FLOPs per token over
the training FLOPs per token, times the seconds per trained token (forward = 1/3 of forward +
backward, Kaplan et al. 2020, eq. 2.1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from wafersim.errors import ConfigError, ParameterError
from wafersim.models import ModelSpec

if TYPE_CHECKING:
    from wafersim.cost.train.scenario import TrainWorkload


@dataclass(frozen=True)
class EvalSchedule:
    """Every `every_tokens` trained tokens, a forward pass over `tokens` held-out tokens; the
    first `skipped` evaluations are not run (MLPerf's LoRA benchmark skips its first ones)."""

    every_tokens: float
    tokens: float
    skipped: int = 0

    def __post_init__(self) -> None:
        for name, value in (("eval_every_tokens", self.every_tokens), ("eval_tokens", self.tokens)):
            if not (math.isfinite(value) and value > 0):
                raise ParameterError(name, value, f"{{{name}:g}} must be a positive number of "
                                     "tokens", allowed="> 0")
        if self.skipped < 0:
            raise ConfigError(f"an evaluation schedule skips {self.skipped} evaluations; give 0 or "
                              "more")

    def count(self, trained_tokens: float) -> int:
        """Evaluations in a run of `trained_tokens`: one at every whole interval, less the
        skipped ones."""
        whole = math.floor(trained_tokens / self.every_tokens + 1e-9)  # 1e-9: float quotient of a multiple
        return max(0, whole - self.skipped)

    def seconds(self, trained_tokens: float, seconds_per_token: float, forward_share: float) -> float:
        """Seconds of every evaluation of the run, at `seconds_per_token` trained and a forward
        pass costing `forward_share` of a trained token's work."""
        return self.count(trained_tokens) * self.tokens * seconds_per_token * forward_share

    def note(self, trained_tokens: float, seconds: float) -> str:
        return (f"{self.count(trained_tokens)} evaluations of {self.tokens:,.0f} tokens (every "
                f"{self.every_tokens:,.0f} trained tokens{self._skips()}): forward passes at the "
                f"training rate, {seconds:,.1f} s in all")

    def _skips(self) -> str:
        return f", the first {self.skipped} skipped" if self.skipped else ""


def evaluation_of(model: ModelSpec, work: TrainWorkload, step_s: float,
                  flops_per_token: float) -> tuple[float, tuple[str, ...]]:
    """Seconds of the workload's evaluations, for steps of `step_s` training at
    `flops_per_token` model FLOPs per trained token, and the note saying so (0 and none without)."""
    ev = work.evaluation
    if ev is None:
        return 0.0, ()
    per_token = step_s / (work.global_batch * work.seq_len)
    seconds = ev.seconds(work.tokens, per_token, model.forward_flops_per_token(work.seq_len)
                         / flops_per_token)
    return seconds, (ev.note(work.tokens, seconds),)
