"""Stacked bars of where the time goes, one bar per result: a training step's parts (they add up
to the step time) or a decode step's parts (they add up to the time per output token)."""

from __future__ import annotations

from collections.abc import Sequence

from wafersim.cost.infer.result import InferResult
from wafersim.cost.train.result import TrainResult
from wafersim.errors import ConfigError
from wafersim.figures.figure import Chart, Series

Result = TrainResult | InferResult


def parts(r: Result) -> dict[str, float]:
    """Seconds per part of the result's step: training step or decode step (time per token)."""
    return dict(r.breakdown) if isinstance(r, TrainResult) else dict(r.decode_breakdown)


def total_s(r: Result) -> float:
    """The step time the parts add up to."""
    return r.step_time_s if isinstance(r, TrainResult) else r.tpot_s


def _check(results: Sequence[Result], labels: Sequence[str]) -> None:
    if not results or len(labels) != len(results):
        raise ConfigError(f"breakdown: {len(labels)} labels for {len(results)} results; give one "
                          "label per result (and at least one result)")
    if len({type(r) for r in results}) > 1:
        raise ConfigError("breakdown: training and serving results mixed; their steps differ, "
                          "chart them apart")


def breakdown_figure(results: Sequence[Result], labels: Sequence[str]) -> Chart:
    """One stacked bar per result (its label on the x axis), one series per part in order of first
    appearance (parts zero in every bar left out), a part a result lacks
    counted as 0 s; each bar's height is its step time."""
    _check(results, labels)
    names = [name for name in dict.fromkeys(n for r in results for n in parts(r))
             if any(parts(r).get(name, 0.0) for r in results)]  # parts zero in every bar add nothing
    series = tuple(Series(name, tuple(labels), tuple(parts(r).get(name, 0.0) for r in results),
                          "bar", tuple(f"{label}: {name}" for label in labels)) for name in names)
    training = isinstance(results[0], TrainResult)
    step = "training step" if training else "decode step (time per output token)"
    return Chart("breakdown", f"Where the time of a {step} goes", "",
                  "seconds per step" if training else "seconds per output token", series,
                  stacked=True, note=f"bars add up to each result's {step} time")
