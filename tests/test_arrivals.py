"""Arrival processes and dataset lengths: rates, burstiness and per-period rates as asked, seeded."""

import numpy as np
import pytest

from wafersim.errors import ParameterError
from wafersim.serve import arrivals
from wafersim.serve.datasets import DATASETS, Lengths, dataset
from wafersim.serve.workload import Workload

N = 40_000


def _rng(seed=0):
    return np.random.default_rng(seed)


@pytest.mark.parametrize("sent", [arrivals.poisson(_rng(), N, 5.0),
                                  arrivals.gamma(_rng(), N, 5.0, 3.0),
                                  arrivals.gamma(_rng(), N, 5.0, 0.5)])
def test_mean_rate_is_the_asked_rate(sent):
    assert sent[0] == 0.0 and np.all(np.diff(sent) >= 0)
    assert (N - 1) / sent[-1] == pytest.approx(5.0, rel=0.04)


@pytest.mark.parametrize("cv", [0.5, 1.0, 2.0, 4.0])
def test_gamma_gaps_have_the_asked_coefficient_of_variation(cv):
    gaps = np.diff(arrivals.gamma(_rng(3), 200_000, 2.0, cv))
    assert gaps.std() / gaps.mean() == pytest.approx(cv, rel=0.05)


def test_gamma_with_cv_one_is_the_poisson_process():
    assert np.array_equal(arrivals.gamma(_rng(), 100, 3.0, 1.0), arrivals.poisson(_rng(), 100, 3.0))


def test_piecewise_rates_hold_in_their_periods_and_cycle():
    rates, period = (2.0, 8.0, 0.0, 4.0), 100.0
    sent = arrivals.piecewise(_rng(1), N, rates, period)
    assert np.all(np.diff(sent) >= 0)
    cycles = int(sent[-1] // (period * len(rates)))
    kept = sent[sent < cycles * period * len(rates)]
    per_period = np.bincount((kept // period % len(rates)).astype(int), minlength=len(rates))
    assert per_period[2] == 0
    for got, rate in zip(per_period / (cycles * period), rates, strict=True):
        assert got == pytest.approx(rate, rel=0.05, abs=1e-9)
    assert len(kept) / (cycles * period * len(rates)) == pytest.approx(
        arrivals.mean_rate_per_s(rates), rel=0.03)


@pytest.mark.parametrize("kwargs", [{"rate_per_s": 4.0},
                                    {"rate_per_s": 4.0, "arrivals": "gamma", "burstiness": 2.0},
                                    {"arrivals": "piecewise", "rates": (1.0, 5.0), "period_s": 60},
                                    {"dataset": "arxiv", "input_tokens": 30000,
                                     "output_tokens": 2000}])
def test_the_seed_fixes_the_requests_and_another_seed_changes_them(kwargs):
    a, b, c = (Workload(2000, seed=s, **kwargs).sample() for s in (7, 7, 8))
    for key in ("arrival_s", "input_tokens", "output_tokens"):
        assert np.array_equal(getattr(a, key), getattr(b, key))
    assert any(not np.array_equal(getattr(a, k), getattr(c, k))
               for k in ("arrival_s", "input_tokens"))
    assert set(a.session) == {-1} and set(a.prefix_tokens) == {0} and a.models is None


def test_dataset_lengths_match_their_published_figures():
    share = Workload(100_000, 100_000, 100_000, dataset="sharegpt").sample()
    assert share.input_tokens.mean() == pytest.approx(161.31, rel=0.05)
    assert share.output_tokens.mean() == pytest.approx(337.99, rel=0.05)
    arxiv = Workload(100_000, 100_000, 100_000, dataset="arxiv").sample()
    assert np.median(arxiv.input_tokens) == pytest.approx(7059, rel=0.02)
    assert np.percentile(arxiv.output_tokens, 90) == pytest.approx(371, rel=0.03)


def test_dataset_lengths_clip_to_the_caps_and_the_mean_is_the_clipped_mean():
    w = Workload(50_000, 256, 128, dataset="lmsys")
    s = w.sample()
    assert s.input_tokens.max() == 256 and s.output_tokens.max() == 128
    assert s.input_tokens.min() >= 1
    assert w.mean_tokens()[1] == pytest.approx(s.output_tokens.mean(), rel=0.03)


@pytest.mark.parametrize("name", list(DATASETS))
def test_dataset_caps_fit_the_context(name):
    small = DATASETS[name].caps(4096)
    assert sum(small) <= 4096 and min(small) >= 1
    assert DATASETS[name].caps(10**7)[0] > DATASETS[name].prompt.quantile(3.0)


def test_lognormal_from_median_and_p90_has_them():
    d = Lengths.of_median_p90(100, 300)
    assert d.quantile(0.0) == pytest.approx(100) and d.quantile(1.2815515655) == pytest.approx(300)


def test_an_unknown_dataset_suggests_the_close_one():
    with pytest.raises(ParameterError, match="did you mean sharegpt"):
        dataset("sharegtp")


@pytest.mark.parametrize("kwargs, named", [
    ({"arrivals": "uniform"}, "arrivals='uniform'"),
    ({"arrivals": "gamma"}, "arrivals='gamma'"),
    ({"rate_per_s": 1.0, "burstiness": 2.0}, "burstiness=2"),
    ({"rate_per_s": 1.0, "arrivals": "gamma", "burstiness": 0.0}, "burstiness=0"),
    ({"arrivals": "piecewise"}, "need rates"),
    ({"arrivals": "piecewise", "rates": (0.0, 0.0)}, "rates=(0.0, 0.0)"),
    ({"arrivals": "piecewise", "rates": (1.0, -1.0)}, "rates=(1.0, -1.0)"),
    ({"arrivals": "piecewise", "rates": (1.0,), "rate_per_s": 1.0}, "rate_per_s=1"),
    ({"arrivals": "piecewise", "rates": (1.0,), "period_s": 0.0}, "period_s=0"),
    ({"rates": (1.0,)}, "rates=(1.0,)"),
    ({"dataset": "sharegpt", "range_ratio": 0.5}, "range_ratio=0.5"),
    ({"dataset": "nope"}, "dataset='nope'"),
])
def test_bad_arrival_and_length_knobs_name_the_value(kwargs, named):
    with pytest.raises(ParameterError, match=named.replace("(", r"\(").replace(")", r"\)")) as exc:
        Workload(10, **kwargs)
    assert exc.value.allowed
