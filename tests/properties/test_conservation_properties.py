"""Conservation: every breakdown adds to its total with no negative part; named memory adds to
the memory per device and fits; a serving run loses no request and no token.

(The step model's breakdown over random plans: test_cluster_properties.py. These check the
results the user gets, from every backend.)
"""

import json
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from wafersim import api
from wafersim.catalog import load_catalog
from wafersim.catalog.system import resolve
from wafersim.cost.backends import curves, serve_at_most, under_load
from wafersim.cost.infer.common import Serving
from wafersim.cost.infer.scenario import InferScenario
from wafersim.models import load_model
from wafersim.serve.simulate import play
from wafersim.serve.workload import Workload

CATALOG = load_catalog()
SETTINGS = settings(max_examples=10, deadline=None)
HEADROOM = ("usable", "device", "sram_usable", "memory_service_state", "offwafer_activations")


def _adds_up(parts, total):
    assert all(v >= 0 for v in parts.values()), parts
    assert math.isclose(sum(parts.values()), total, rel_tol=1e-9, abs_tol=1e-15), (parts, total)
    assert total > 0


@SETTINGS
@given(case=st.sampled_from([("llama-2-7b", "dgx-h100", 64), ("mixtral-8x7b", "dgx-h100", 64),
                             ("llama-2-70b", "gb200-nvl72", 72), ("gpt3-175b", "dgx-a100", 512),
                             ("llama-2-7b", "cs-3", 2), ("llama-2-70b", "cs-3", 8)]),
       seq=st.sampled_from([1024, 2048, 4096]), batch=st.sampled_from([256, 512, 2048]),
       tokens=st.floats(1e9, 1e13))
def test_training_breakdown_and_memory_add_up(case, seq, batch, tokens):
    model, system, count = case
    r = api.train(model, system, tokens, count=count, global_batch=batch, seq_len=seq,
                  catalog=CATALOG)
    _adds_up(r.breakdown, r.step_time_s)
    held = {k: v for k, v in r.memory.items() if k not in HEADROOM}
    assert math.isclose(sum(held.values()), r.memory_bytes_per_device, rel_tol=1e-9)
    assert r.memory_bytes_per_device <= r.memory.get("usable", r.memory.get("sram_usable")) * (1 + 1e-9)
    assert math.isclose(r.steps * r.tokens_per_step, tokens, rel_tol=1e-9)
    assert math.isclose(r.tokens_per_step, batch * seq, rel_tol=1e-9)


@SETTINGS
@given(case=st.sampled_from([("llama-3.1-8b", "h100-sxm", None), ("mixtral-8x7b", "dgx-h100", None),
                             ("llama-3.1-70b", "dgx-h100", "8:8"), ("llama-3.1-8b", "dgx-h100", "4:4"),
                             ("llama-3.1-8b", "cs-3", None), ("llama-3.1-70b", "cs-3", None)]),
       batch=st.integers(1, 64), prompt=st.integers(1, 8192), output=st.integers(1, 2048))
def test_serving_breakdowns_add_up_on_every_backend(case, batch, prompt, output):
    """HBM, disaggregated and wafer points: decode parts add to TPOT, prefill parts to TTFT,
    throughput is the batch's tokens over its wall time."""
    model, system, split = case
    r = api.infer(model, system, batch=batch, input_tokens=prompt, output_tokens=output,
                  disaggregate=split, catalog=CATALOG)
    _adds_up(r.decode_breakdown, r.tpot_s)
    _adds_up(r.prefill_breakdown, r.ttft_s)
    if split is None:
        wall = r.ttft_s + output * r.tpot_s
        assert r.throughput_tokens_per_s <= batch * output / wall * (1 + 1e-9)
    assert r.memory["weights"] + r.memory["kv_cache"] <= r.memory["usable"] * (1 + 1e-9)


def _played(model, system, workload, split=None):
    serving = Serving(*workload.mean_tokens())
    sc = under_load(InferScenario.of(load_model(model), resolve(CATALOG, system), serving,
                                     disaggregate=split))
    point = serve_at_most(sc, workload.in_flight)
    top = workload.in_flight * math.ceil(workload.input_tokens / serving.input_tokens)
    pre, dec = curves(sc, point, top)
    return play(workload, sc, pre, dec, point, 16384)


WORKLOADS = st.builds(Workload, requests=st.integers(1, 120), input_tokens=st.integers(1, 2048),
                      output_tokens=st.integers(1, 512),
                      concurrency=st.none() | st.integers(1, 64),
                      rate_per_s=st.none() | st.floats(0.5, 500.0),
                      range_ratio=st.sampled_from([0.0, 0.5, 1.0]), seed=st.integers(0, 9))


@SETTINGS
@given(case=st.sampled_from([("llama-3.1-8b", "h100-sxm", None), ("llama-3.1-8b", "dgx-h100", "4:4"),
                             ("llama-3.1-8b", "cs-3", None), ("mixtral-8x7b", "dgx-h100", None)]),
       workload=WORKLOADS)
def test_every_request_finishes_with_every_token(case, workload):
    """Tokens in = tokens out: each request is sent, gets its first token, finishes, in that
    order, with the lengths the workload drew; no pool is busy longer than the run."""
    model, system, split = case
    requests, pools = _played(model, system, workload, split)
    sampled = workload.sample()
    inputs, outputs = sampled.input_tokens, sampled.output_tokens
    assert [r.index for r in requests] == list(range(workload.requests))
    assert [r.input_tokens for r in requests] == list(inputs)
    assert [r.output_tokens for r in requests] == list(outputs)
    sent, first, finish = (np.array([getattr(r, k) for r in requests])
                           for k in ("sent_s", "first_token_s", "finish_s"))
    assert np.all(np.isfinite(finish)) and np.all(sent <= first) and np.all(first <= finish)
    for busy in pools.values():
        assert sum(busy.values()) <= finish.max() * (1 + 1e-9)


@SETTINGS
@given(workload=WORKLOADS)
def test_the_summary_counts_every_token(workload):
    r = api.simulate_serving("llama-3.1-8b", "h100-sxm", workload.requests, workload.concurrency,
                             workload.rate_per_s, workload.input_tokens, workload.output_tokens,
                             workload.range_ratio, workload.seed, catalog=CATALOG)
    sampled = workload.sample()
    inputs, outputs = sampled.input_tokens, sampled.output_tokens
    assert (r.requests, r.input_tokens, r.output_tokens) == (workload.requests, inputs.sum(),
                                                             outputs.sum())
    assert math.isclose(r.throughput_tokens_per_s * r.duration_s, outputs.sum(), rel_tol=1e-9)
    for parts in r.pools.values():
        _adds_up(parts, r.duration_s)
    json.dumps(r.to_json(), allow_nan=False)  # no NaN: a figure no request has is null


def test_a_run_of_one_token_requests_has_no_tpot(cli):
    run = cli("serve", "--model", "llama-3.1-8b", "--system", "h100-sxm", "--requests", "8",
              "--output-tokens", "1", "--json")
    assert run.code == 0, run.err
    assert run.json()["tpot_s"] == {"mean": None, "p50": None, "p90": None, "p99": None}
