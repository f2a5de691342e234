"""Prefix caching: cached prompt prefixes are not prefilled again; LRU within a token budget."""

import numpy as np
import pytest

from wafersim.cost.infer.curve import Curve
from wafersim.serve.client import Client
from wafersim.serve.engine import Features, MixedPool, Request
from wafersim.serve.events import EventLoop
from wafersim.serve.kv import PrefixCache


def _run(reqs, sent, features):
    k = np.arange(1, 65)
    curve = Curve(tpot_s=0.01 * np.ones(64), ttft_s=0.5 * k, max_batch=64, schedulers=1)
    loop = EventLoop()
    client: Client
    pool = MixedPool(loop, curve, curve, 64, 10**6, 100, lambda r: client.finished(r),
                     features=features)
    client = Client(loop, reqs, sent, len(reqs), pool.submit)
    loop.run()
    return pool


def _turns():
    # a conversation: the second turn's prompt starts with the first turn's prompt and reply
    return [Request(0, 400, 2, session=7), Request(1, 800, 2, session=7, prefix_tokens=402)]


def test_a_second_turn_prefills_only_what_the_cache_lacks():
    cached = _run(_turns(), [0.0, 10.0], Features(prefix_cache_tokens=10**4))
    plain = _run(_turns(), [0.0, 10.0], Features())
    # 400 + (800 - 402) tokens against 400 + 800, at 0.5 s per 100 tokens
    assert cached.seconds["prefill"] == pytest.approx(0.5 * 4 + 0.5 * 3.98)
    assert plain.seconds["prefill"] == pytest.approx(0.5 * 4 + 0.5 * 8)


def test_another_session_finds_nothing():
    reqs = [Request(0, 400, 2, session=1), Request(1, 800, 2, session=2, prefix_tokens=402)]
    pool = _run(reqs, [0.0, 10.0], Features(prefix_cache_tokens=10**4))
    assert reqs[1].cached_tokens == 0
    assert pool.seconds["prefill"] == pytest.approx(0.5 * 4 + 0.5 * 8)


def test_the_cache_evicts_the_least_recently_used_within_its_budget():
    cache = PrefixCache(1000)
    cache.put(1, 400)
    cache.put(2, 400)
    assert cache.hit(1, 300) == 300  # session 1 now most recent
    cache.put(3, 400)  # over budget: session 2 goes
    assert cache.hit(2, 100) == 0 and cache.hit(1, 500) == 400 and cache.hit(3, 50) == 50
    assert cache.held == 800
    cache.put(4, 5000)  # larger than the cache: not kept
    assert cache.hit(4, 10) == 0


def test_a_shared_system_prompt_is_reused_across_requests_without_a_session():
    reqs = [Request(0, 500, 2, prefix_tokens=300), Request(1, 500, 2, prefix_tokens=300)]
    _run(reqs, [0.0, 10.0], Features(prefix_cache_tokens=10**4))
    assert reqs[0].cached_tokens == 0 and reqs[1].cached_tokens == 300
