"""Little's law in the serving metrics: requests in flight = arrival rate x time in the system.

Checked against what the workload, not the result, fixes: a closed loop holds its concurrency
cap in flight for the whole run, so (requests/s) x (mean latency) must come back to the cap; an
open loop below saturation drains as fast as requests arrive, so the arrival rate of the sent
times x mean latency must come back to the run's mean concurrency.
"""

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from wafersim import api
from wafersim.catalog import load_catalog
from wafersim.serve.workload import Workload

CATALOG = load_catalog()
SETTINGS = settings(max_examples=10, deadline=None)
CASES = st.sampled_from([("llama-3.1-8b", "h100-sxm"), ("llama-3.1-70b", "dgx-h100"),
                         ("mixtral-8x7b", "dgx-h100"), ("llama-3.1-8b", "cs-3")])


@SETTINGS
@given(case=CASES, cap=st.integers(1, 32), rounds=st.integers(20, 40),
       prompt=st.integers(16, 1024), output=st.integers(8, 256), ratio=st.sampled_from([0.5, 1.0]))
def test_a_closed_loop_holds_its_cap_in_flight(case, cap, rounds, prompt, output, ratio):
    model, system = case
    r = api.simulate_serving(model, system, requests=cap * rounds, concurrency=cap,
                             input_tokens=prompt, output_tokens=output, range_ratio=ratio,
                             catalog=CATALOG)
    assert math.isclose(r.request_throughput_per_s * r.latency_s["mean"], cap, rel_tol=0.05)
    assert math.isclose(r.mean_concurrency, cap, rel_tol=0.05)


@SETTINGS
@given(case=CASES, load=st.floats(0.05, 0.5), seed=st.integers(0, 20),
       prompt=st.integers(16, 1024), output=st.integers(8, 256))
def test_an_open_loop_below_saturation_obeys_littles_law(case, load, seed, prompt, output):
    model, system = case
    top = api.infer(model, system, batch=16, input_tokens=prompt, output_tokens=output,
                    catalog=CATALOG)
    rate = load * top.throughput_tokens_per_s / output  # requests/s, well below what 16 sustain
    w = Workload(400, prompt, output, concurrency=None, rate_per_s=rate, seed=seed)
    sent = w.sample().arrival_s
    arrivals_per_s = (len(sent) - 1) / (sent[-1] - sent[0])  # the rate the client actually sent
    r = api.simulate_serving(model, system, requests=w.requests, rate_per_s=rate,
                             input_tokens=prompt, output_tokens=output, seed=seed, catalog=CATALOG)
    assert math.isclose(arrivals_per_s * r.latency_s["mean"], r.mean_concurrency, rel_tol=0.05)
    assert math.isclose(r.request_throughput_per_s, arrivals_per_s, rel_tol=0.05)
