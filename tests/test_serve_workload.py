"""Workloads: seeded, bench_serving-shaped lengths and arrivals, one-line errors."""

import numpy as np
import pytest

from wafersim.errors import ParameterError
from wafersim.serve.workload import Workload


def test_fixed_lengths_and_a_burst_at_time_zero():
    s = Workload(5, 100, 20).sample()
    sent, inputs, outputs = s.arrival_s, s.input_tokens, s.output_tokens
    assert list(sent) == [0.0] * 5 and set(inputs) == {100} and set(outputs) == {20}


def test_range_ratio_draws_lengths_in_range_and_the_seed_fixes_them():
    w = Workload(2000, 1000, 200, range_ratio=0.5, seed=7)
    inputs, outputs = w.sample().input_tokens, w.sample().output_tokens
    assert inputs.min() >= 500 and inputs.max() <= 1000 and outputs.min() >= 100
    assert inputs.mean() == pytest.approx(750, rel=0.03)
    again = w.sample()
    assert all(np.array_equal(getattr(w.sample(), k), getattr(again, k))
               for k in ("arrival_s", "input_tokens", "output_tokens"))
    other = Workload(2000, 1000, 200, range_ratio=0.5, seed=8).sample()
    assert not np.array_equal(other.input_tokens, inputs)


def test_poisson_arrivals_start_at_zero_at_the_asked_rate():
    sent = Workload(4000, rate_per_s=10.0, seed=1).sample().arrival_s
    assert sent[0] == 0.0 and np.all(np.diff(sent) >= 0)
    assert len(sent) / sent[-1] == pytest.approx(10.0, rel=0.05)


def test_in_flight_is_the_cap_or_every_request():
    assert Workload(100, concurrency=8).in_flight == 8
    assert Workload(4, concurrency=8).in_flight == 4
    assert Workload(100).in_flight == 100


@pytest.mark.parametrize("kwargs, named", [
    ({"requests": 0}, "requests=0"), ({"requests": 5, "concurrency": 0}, "concurrency=0"),
    ({"requests": 5, "rate_per_s": 0.0}, "rate_per_s=0"),
    ({"requests": 5, "range_ratio": 1.5}, "range_ratio=1.5"),
    ({"requests": 5, "range_ratio": -0.1}, "range_ratio=-0.1"),
    ({"requests": 5, "output_tokens": 0}, "output_tokens=0"),
])
def test_bad_workloads_name_the_value(kwargs, named):
    with pytest.raises(ParameterError, match=named) as exc:
        Workload(**kwargs)
    assert exc.value.parameter == named.split("=")[0] and exc.value.allowed
