"""Monotonicity: more of a resource never makes a run slower, more work never makes it faster.

(More network bandwidth and more FLOP/s per step: test_cluster_properties.py; more HBM bandwidth
for one plan, throughput against batch: test_infer_properties.py. These go through the whole
plan search and the other backends.)
"""

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wafersim import api
from wafersim.catalog import load_catalog
from wafersim.catalog.system import resolve
from wafersim.cost.backends import serve
from wafersim.cost.infer.common import Serving
from wafersim.cost.infer.scenario import InferScenario
from wafersim.errors import InfeasiblePlan
from wafersim.models import load_model
from wafersim.plan.train import Constraints

CATALOG = load_catalog()
SETTINGS = settings(max_examples=12, deadline=None)
HBM = st.sampled_from([("llama-3.1-8b", "h100-sxm", 1), ("llama-3.1-70b", "dgx-h100", 8),
                       ("mixtral-8x7b", "dgx-h100", 8), ("llama-3.1-8b", "mi300x", 1),
                       ("qwen3-235b-a22b", "gb200-nvl72", 72), ("llama-3.1-8b", "tpu-v5p", 4)])


@SETTINGS
@given(case=st.sampled_from([("llama-2-7b", "dgx-h100", 1, 1), ("llama-2-7b", "dgx-h100", 2, 1),
                             ("llama-2-70b", "dgx-h100", 8, 2), ("mixtral-8x7b", "dgx-a100", 2, 1),
                             ("gpt3-175b", "gb200-nvl72", 8, 4), ("llama-2-7b", "tpu-v5p-pod", 4, 1)]),
       doublings=st.integers(0, 4), seq=st.sampled_from([2048, 4096]))
def test_more_devices_never_slower_per_step_at_a_fixed_plan_family(case, doublings, seq):
    """tp and pp fixed, the rest searched, the global batch fixed: 2n devices never take longer
    per step than n (the 2n search holds the n plan with dp doubled)."""
    model, system, tp, pp = case
    n = tp * pp * 2 ** doublings

    def step(count):
        return api.train(model, system, 1e11, count=count, plan=Constraints(tp=tp, pp=pp),
                         global_batch=512, seq_len=seq, catalog=CATALOG).step_time_s
    try:
        few = step(n)
    except InfeasiblePlan:
        return  # the model does not fit n devices of this family; 2n is checked from 2n's side
    assert step(2 * n) <= few * (1 + 1e-9)


@SETTINGS
@given(model=st.sampled_from(["llama-2-7b", "llama-2-13b", "llama-2-70b"]), wafers=st.integers(1, 8),
       batch=st.sampled_from([256, 512, 1024]))
def test_more_wafers_never_slower_per_training_step(model, wafers, batch):
    step = [api.train(model, "cs-3", 1e11, count=n, global_batch=batch, seq_len=2048,
                      catalog=CATALOG).step_time_s for n in (wafers, wafers + 1)]
    assert step[1] <= step[0] * (1 + 1e-9)


@SETTINGS
@given(case=HBM | st.sampled_from([("llama-3.1-8b", "cs-3", 1), ("llama-3.1-70b", "cs-3", 8)]),
       prompt=st.integers(1, 16_000), extra=st.integers(1, 8_000), batch=st.integers(1, 8))
def test_a_longer_prompt_never_has_a_shorter_ttft(case, prompt, extra, batch):
    model, system, count = case
    ttft = [api.infer(model, system, batch=batch, input_tokens=n, output_tokens=64, count=count,
                      catalog=CATALOG).ttft_s for n in (prompt, prompt + extra)]
    assert ttft[1] >= ttft[0] * (1 - 1e-9)


@SETTINGS
@given(case=HBM, batch=st.integers(1, 96), extra=st.integers(1, 64))
def test_per_user_decode_never_faster_with_more_requests_on_fixed_devices(case, batch, extra):
    """Fixed devices: more requests in flight never shorten the time per output token."""
    model, system, count = case
    tpot = [api.infer(model, system, batch=b, count=count, catalog=CATALOG).tpot_s
            for b in (batch, batch + extra)]
    assert tpot[1] >= tpot[0] * (1 - 1e-9)


@SETTINGS
@given(case=st.sampled_from([("llama-3.1-8b", 1), ("llama-3.1-8b", 2), ("llama-3.1-70b", 4),
                             ("llama-3.1-70b", 6), ("mixtral-8x7b", 4)]),
       replicas=st.integers(1, 6), batch=st.integers(1, 32))
def test_more_wafers_never_slower_per_user_decode_at_a_fixed_placement(case, replicas, batch):
    """The pipeline length fixed: more wafers are more replicas sharing the requests, so each
    user's decode never gets slower."""
    model, pipeline = case
    try:
        few = api.infer(model, "cs-3", batch=batch, count=pipeline * replicas,
                        pipeline_wafers=pipeline, catalog=CATALOG)
    except InfeasiblePlan:
        return  # the requests do not fit these replicas; nothing to compare
    more = api.infer(model, "cs-3", batch=batch, count=pipeline * (replicas + 1),
                     pipeline_wafers=pipeline, catalog=CATALOG)
    assert more.tpot_s <= few.tpot_s * (1 + 1e-9)
    assert more.throughput_tokens_per_s >= few.throughput_tokens_per_s * (1 - 1e-9)


def _scaled_bandwidth(system, factor):
    chip = system.chip
    q = chip.hbm_bandwidth_Bps
    return replace(system, chip=chip.model_copy(update={
        "hbm_bandwidth_Bps": q.model_copy(update={"value": q.value * factor, "lo": None, "hi": None})}))


@SETTINGS
@given(case=HBM, factor=st.floats(1.0, 4.0), batch=st.integers(1, 64),
       prompt=st.sampled_from([128, 1024, 4096]))
def test_more_hbm_bandwidth_never_slower_decode_after_the_plan_search(case, factor, batch, prompt):
    model, system_id, count = case
    spec, system = load_model(model), resolve(CATALOG, system_id).with_devices(count)
    serving = Serving(prompt, 256)
    try:
        slow = serve(InferScenario(spec, system, serving, count=count), [batch])[0]
    except InfeasiblePlan:
        pytest.skip("does not fit")
    fast = serve(InferScenario(spec, _scaled_bandwidth(system, factor), serving, count=count), [batch])[0]
    assert fast.tpot_s <= slow.tpot_s * (1 + 1e-12)
    assert fast.throughput_tokens_per_s >= slow.throughput_tokens_per_s * (1 - 1e-12)
