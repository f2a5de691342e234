"""Paged KV cache with preemption: block accounting, recompute and swap."""

import numpy as np
import pytest

from wafersim import api
from wafersim.cost.infer.curve import Curve
from wafersim.errors import ParameterError
from wafersim.serve.client import Client
from wafersim.serve.engine import Features, MixedPool, Request
from wafersim.serve.events import EventLoop
from wafersim.serve.kv import Kv, blocks
from wafersim.serve.observe import Recorder


def _run(n, prompt, out, features, max_batch=64):
    k = np.arange(1, 257)
    curve = Curve(tpot_s=0.01 * (1 + 0.01 * (k - 1)), ttft_s=0.5 * k, max_batch=max_batch,
                  schedulers=1)
    loop, rec = EventLoop(), Recorder()
    reqs = [Request(i, prompt, out) for i in range(n)]
    client: Client
    pool = MixedPool(loop, curve, curve, max_batch, 10**6, 100, lambda r: client.finished(r),
                     features=features, observer=rec)
    client = Client(loop, reqs, [0.0] * n, n, pool.submit)
    loop.run()
    return reqs, pool, rec


def test_blocks_a_run_of_steps_needs_match_a_step_by_step_count():
    kv = Kv(10**6, paged=True)
    contexts = [1, 15, 16, 17, 32, 40, 100]
    for i, c in enumerate(contexts):
        kv.join(i, c, step=3)
    for steps in (1, 5, 16, 17, 40):
        by_step = sum(blocks(c + steps) - blocks(c) for c in contexts)
        assert kv.need(3, steps) == by_step


def test_fitting_stops_at_the_step_whose_blocks_are_not_free():
    kv = Kv(16 * 10, paged=True)
    kv.used_blocks = 8
    for i, c in enumerate([16, 32, 20]):
        kv.join(i, c, step=0)
    # step 0: two requests fill their last block and need one each (2 free) -> 1 step fits
    # step 1..11: nothing; step 12 (context 32 for the third): needs one, none free
    assert kv.fitting(0, 40) == 12


def test_too_small_a_cache_preempts_and_every_request_still_finishes():
    features = Features(kv_tokens=16 * 40, paged=True)  # 40 blocks; 8 requests grow to 13 each
    reqs, pool, rec = _run(8, 100, 100, features)
    assert rec.preemptions > 0
    assert sum(r.preemptions for r in reqs) == rec.preemptions
    assert all(r.finish_s > r.first_token_s for r in reqs)
    assert pool.kv.used_blocks == 0 and len(pool.batch) == 0
    assert rec.peak <= 1.0


def test_a_cache_that_holds_everyone_never_preempts():
    reqs, _, rec = _run(8, 100, 100, Features(kv_tokens=16 * 200, paged=True))
    assert rec.preemptions == 0 and all(r.preemptions == 0 for r in reqs)


def test_recompute_costs_more_prefill_than_no_preemption():
    _, tight, _ = _run(8, 100, 100, Features(kv_tokens=16 * 40, paged=True))
    _, roomy, _ = _run(8, 100, 100, Features(kv_tokens=16 * 200, paged=True))
    assert tight.seconds["prefill"] > roomy.seconds["prefill"]


def test_swap_moves_kv_out_and_back_instead_of_prefilling_again():
    swap = Features(kv_tokens=16 * 40, paged=True, preemption="swap", swap_s_per_token=1e-4)
    reqs, pool, rec = _run(8, 100, 100, swap)
    assert rec.preemptions > 0
    assert pool.seconds["prefill"] == pytest.approx(8 * 0.5)  # one prompt pass of 8 prompts
    assert all(r.finish_s > 0 for r in reqs)


def test_swap_needs_host_memory():
    with pytest.raises(ParameterError, match="preemption"):
        api.simulate_serving("llama-3.1-8b", "cs-3", requests=4, preemption="swap")


def test_an_unknown_mode_is_refused():
    with pytest.raises(ParameterError, match="preemption"):
        api.simulate_serving("llama-3.1-8b", "dgx-h100", requests=4, preemption="evict")


def test_preemption_on_a_real_plan_with_long_tails():
    r = api.simulate_serving("llama-3.1-8b", "dgx-h100", requests=3000, input_tokens=4096,
                             output_tokens=4096, range_ratio=0.0, preemption="recompute")
    assert r.requests == 3000 and r.preemptions > 0
    assert r.kv_utilisation is not None and r.kv_utilisation["peak"] <= 1.05
