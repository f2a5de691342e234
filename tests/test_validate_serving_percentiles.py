"""Replayed serving rows predict percentiles: `ttft_p99_s` is the run's `ttft_s["p99"]`, and so on."""

import pytest

from wafersim.errors import ConfigError
from wafersim.validate import infer
from wafersim.validate.records import Record


def _row(metric: str, **cells: object) -> Record:
    base = dict(id="X1", kind="infer", system="h100-sxm", count=1, model="llama-3.1-8b",
                precision="fp8", tp=1, input_tokens=512, output_tokens=64, requests=200,
                metric=metric, value=1.0)
    return Record.model_validate({**base, **cells})


@pytest.fixture(scope="module")
def run(catalog):
    return infer.replay(_row("ttft_s", rate_per_s=20.0, range_ratio=0.0), catalog)


@pytest.mark.parametrize("metric, figure", [("ttft", "ttft_s"), ("tpot", "tpot_s"),
                                            ("e2e_latency", "latency_s")])
@pytest.mark.parametrize("p", ["p50", "p90", "p99"])
def test_percentile_metric_is_the_runs_percentile(run, metric, figure, p):
    assert infer.predict(_row(f"{metric}_{p}_s"), run) == getattr(run, figure)[p]


def test_mean_metrics_stay_the_runs_means(run):
    assert infer.predict(_row("ttft_s"), run) == run.ttft_s["mean"]
    assert infer.predict(_row("e2e_latency_s"), run) == run.latency_s["mean"]


def test_percentiles_spread_over_the_run(run):
    """Varied lengths and Poisson arrivals: the p99 lies above the median."""
    assert run.ttft_s["p99"] > run.ttft_s["p50"]
    assert run.latency_s["p99"] > run.latency_s["p50"]


def test_rate_column_sends_a_poisson_process(catalog):
    """At a low rate requests rarely overlap, so the run lasts about requests / rate."""
    slow = infer.replay(_row("ttft_s", rate_per_s=0.5, requests=20), catalog)
    burst = infer.replay(_row("ttft_s", requests=20), catalog)
    assert slow.duration_s > 10 * burst.duration_s


def test_rate_must_be_positive():
    with pytest.raises(ValueError, match="rate_per_s"):
        _row("ttft_s", rate_per_s=0)


def test_percentile_metric_needs_a_replay(catalog):
    with pytest.raises(ConfigError, match="ttft_p99_s"):
        infer.predict_row(_row("ttft_p99_s", requests=None), catalog)
