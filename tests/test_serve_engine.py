"""Batching pools on hand-made step-time curves, where every answer can be worked out by hand."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wafersim.cost.infer.curve import Curve
from wafersim.serve.client import Client
from wafersim.serve.engine import DecodePool, MixedPool, PrefillPool, Request, take_prompts
from wafersim.serve.events import EventLoop
from wafersim.serve.result import summarise

PREFILL_S, DECODE_S = 0.5, 0.01  # per prompt in a batch; per token at any batch


def _curve(top=64, max_batch=64, schedulers=1):
    k = np.arange(1, top + 1)
    return Curve(tpot_s=DECODE_S * (1 + 0.01 * (k - 1)), ttft_s=PREFILL_S * k,
                 max_batch=max_batch, schedulers=schedulers)


def _mixed(n, out, cap, budget=10**6, max_batch=64):
    loop, curve = EventLoop(), _curve(max_batch=max_batch)
    reqs = [Request(i, 100, out) for i in range(n)]
    client: Client
    pool = MixedPool(loop, curve, curve, max_batch, budget, 100, lambda r: client.finished(r))
    client = Client(loop, reqs, [0.0] * n, cap, pool.submit)
    loop.run()
    return reqs, pool, curve


def test_one_request_is_its_prefill_then_its_decode_steps():
    (r,), pool, curve = _mixed(1, 11, 1)
    assert r.first_token_s == pytest.approx(PREFILL_S)
    assert r.finish_s == pytest.approx(PREFILL_S + 10 * curve.decode_s(1))
    assert pool.seconds == pytest.approx({"prefill": PREFILL_S, "decode": 10 * DECODE_S})


def test_a_burst_prefills_together_then_decodes_together():
    reqs, _, curve = _mixed(8, 5, 8)
    assert [r.first_token_s for r in reqs] == pytest.approx([8 * PREFILL_S] * 8)
    assert [r.finish_s for r in reqs] == pytest.approx([8 * PREFILL_S + 4 * curve.decode_s(8)] * 8)


def test_the_concurrency_cap_runs_the_burst_in_waves():
    reqs, _, curve = _mixed(6, 3, 2)
    wave = 2 * PREFILL_S + 2 * curve.decode_s(2)
    assert [r.finish_s for r in reqs] == pytest.approx([wave] * 2 + [2 * wave] * 2 + [3 * wave] * 2)
    assert [r.sent_s for r in reqs] == pytest.approx([0, 0, wave, wave, 2 * wave, 2 * wave])


def test_the_kv_capacity_holds_back_prompts_until_a_request_finishes():
    reqs, _, curve = _mixed(3, 3, 3, max_batch=2)
    assert reqs[2].first_token_s == pytest.approx(2 * PREFILL_S + 2 * curve.decode_s(2) + PREFILL_S)


def test_the_token_budget_splits_prompts_into_iterations():
    reqs, pool, _ = _mixed(4, 2, 4, budget=250)  # two 100-token prompts per iteration
    assert [r.first_token_s for r in reqs] == pytest.approx([1.0, 1.0, 2.0, 2.0])
    assert pool.seconds["prefill"] == pytest.approx(4 * PREFILL_S)


def test_take_prompts_always_takes_one_and_respects_room():
    from collections import deque
    q = deque(Request(i, 300, 1) for i in range(3))
    assert len(take_prompts(q, 5, 100)) == 1  # longer than the budget: alone
    assert take_prompts(q, 0, 10**6) == [] and len(q) == 2


def test_disaggregated_first_token_waits_for_the_kv_handoff():
    loop, curve = EventLoop(), _curve()
    reqs = [Request(i, 100, 4) for i in range(2)]
    client: Client
    decode = DecodePool(loop, curve, 64, lambda r: client.finished(r))
    prefill = PrefillPool(loop, curve, 100, 100, 0.2, decode.submit)  # one prompt per iteration
    client = Client(loop, reqs, [0.0, 0.0], 2, prefill.submit)
    loop.run()
    assert [r.first_token_s for r in reqs] == pytest.approx([0.7, 1.2])
    # the first decodes alone until the boundary after the second arrives, then both together
    assert reqs[1].finish_s == pytest.approx(1.2 + 3 * curve.decode_s(2), abs=curve.decode_s(1))
    figures = summarise(reqs, {"prefill_pool": prefill.seconds, "decode_pool": decode.seconds})
    for parts in figures["pools"].values():
        assert sum(parts.values()) == pytest.approx(figures["duration_s"])


def test_summary_follows_the_benchmark_client_definitions():
    reqs, pool, _ = _mixed(4, 5, 2)
    f = summarise(reqs, {"engine": pool.seconds})
    lat = [r.finish_s - r.sent_s for r in reqs]
    assert f["duration_s"] == pytest.approx(max(r.finish_s for r in reqs))
    assert f["mean_concurrency"] == pytest.approx(sum(lat) / f["duration_s"])
    assert f["throughput_tokens_per_s"] == pytest.approx(20 / f["duration_s"])
    tpot = [(r.finish_s - r.first_token_s) / 4 for r in reqs]
    assert f["tpot_s"]["mean"] == pytest.approx(np.mean(tpot))


@given(n=st.integers(1, 40), out=st.integers(1, 30), cap=st.integers(1, 12),
       budget=st.integers(50, 1000), max_batch=st.integers(1, 16))
@settings(max_examples=60, deadline=None)
def test_every_request_finishes_in_order_of_its_own_events(n, out, cap, budget, max_batch):
    reqs, pool, _ = _mixed(n, out, cap, budget, max_batch)
    f = summarise(reqs, {"engine": pool.seconds})
    assert all(r.sent_s <= r.first_token_s <= r.finish_s for r in reqs)
    assert f["mean_concurrency"] <= min(cap, n) + 1e-9
    assert sum(f["pools"]["engine"].values()) == pytest.approx(f["duration_s"])
    assert f["pools"]["engine"]["idle"] >= 0
