"""Chunked prefill mixed with decode (Sarathi-Serve) on hand-made curves and on a layer-1 plan."""

import math

import numpy as np
import pytest

from wafersim import api
from wafersim.cost.infer.curve import Curve
from wafersim.serve.client import Client
from wafersim.serve.engine import Features, MixedPool, Request
from wafersim.serve.events import EventLoop
from wafersim.serve.features import EngineOptions

PREFILL_S, DECODE_S = 0.5, 0.01  # per nominal (100-token) prompt; per token at batch 1


def _run(n, prompt, out, features, sent=None, cap=None):
    k = np.arange(1, 257)
    curve = Curve(tpot_s=DECODE_S * (1 + 0.01 * (k - 1)), ttft_s=PREFILL_S * k, max_batch=64,
                  schedulers=1)
    loop = EventLoop()
    reqs = [Request(i, prompt, out) for i in range(n)]
    client: Client
    pool = MixedPool(loop, curve, curve, 64, 10**6, 100, lambda r: client.finished(r),
                     features=features)
    client = Client(loop, reqs, sent or [0.0] * n, cap or n, pool.submit)
    loop.run()
    return reqs, pool, curve


def test_a_prompt_split_over_iterations_gets_its_first_token_after_its_last_chunk():
    (r,), pool, _ = _run(1, 100, 3, Features(chunk_tokens=30))
    # 30 + 30 + 30 + 10 tokens: 0.3 + 0.3 + 0.3 + 0.1 of one prompt's prefill
    assert r.first_token_s == pytest.approx(PREFILL_S)
    assert r.finish_s == pytest.approx(PREFILL_S + 2 * DECODE_S)
    assert r.scheduled_s == 0.0


def test_decoding_runs_alongside_a_later_prompt_and_pays_both():
    reqs, pool, curve = _run(2, 100, 50, Features(chunk_tokens=51), sent=[0.0, 0.6])
    first, second = reqs
    # the second prompt comes in 50-token chunks next to the first request's decode steps
    assert second.first_token_s > 0.6 + PREFILL_S
    assert first.finish_s < 0.6 + PREFILL_S + 49 * curve.decode_s(2)
    assert pool.seconds["prefill"] == pytest.approx(2 * PREFILL_S)


def test_chunked_prefill_with_an_infinite_budget_equals_unchunked():
    base = dict(requests=200, input_tokens=512, output_tokens=256, range_ratio=0.5,
                prefill_tokens=10**7)
    a = api.simulate_serving("llama-3.1-8b", "dgx-h100", **base)
    b = api.simulate_serving("llama-3.1-8b", "dgx-h100", **base, chunked_prefill=10**9)
    for key in ("ttft_s", "latency_s", "tpot_s"):
        for stat, value in getattr(a, key).items():
            assert math.isclose(getattr(b, key)[stat], value, rel_tol=1e-9), (key, stat)
    assert b.duration_s == pytest.approx(a.duration_s, rel=1e-9)


def test_a_small_budget_spreads_prompts_over_more_iterations():
    base = dict(requests=64, input_tokens=2048, output_tokens=64)
    big = api.simulate_serving("llama-3.1-8b", "dgx-h100", **base, chunked_prefill=10**6)
    small = api.simulate_serving("llama-3.1-8b", "dgx-h100", **base, chunked_prefill=512)
    assert small.ttft_s["p99"] > big.ttft_s["p99"]


def test_a_budget_below_one_token_is_refused():
    from wafersim.errors import ParameterError
    for bad in (0, -5):
        with pytest.raises(ParameterError, match="chunked_prefill"):
            EngineOptions(chunked_prefill=bad)
