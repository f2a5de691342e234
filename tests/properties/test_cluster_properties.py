"""Properties of the accelerator-cluster step model over random workloads and plans."""

from dataclasses import replace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from wafersim.catalog import load_catalog
from wafersim.catalog.system import resolve
from wafersim.cost.train.step import StepModel
from wafersim.models import load_model
from wafersim.plan import enumerate_plans

CATALOG = load_catalog()
cases = st.tuples(st.sampled_from(["llama-2-7b", "llama-2-70b", "mixtral-8x7b", "gpt3-175b"]),
                  st.sampled_from(["dgx-a100", "dgx-h100", "gb200-nvl72"]),
                  st.sampled_from([64, 128, 512]), st.sampled_from([256, 1024]),
                  st.sampled_from([2048, 4096]))


def _model(case):
    model_id, system_id, n, batch, seq = case
    system = resolve(CATALOG, system_id).with_devices(n)
    sm = StepModel(load_model(model_id), system, seq, batch, "bf16")
    return sm, enumerate_plans(sm.model, n, sm.accel.scale_up, batch, seq)


def _faster_network(system):
    net = system.scale_out
    q = net.bandwidth_per_device_Bps
    if q is None or q.value is None:
        return system
    faster = net.model_copy(update={"bandwidth_per_device_Bps": q.model_copy(update={
        "value": q.value * 4, "lo": None, "hi": None})})
    return replace(system, scale_out=faster)


@settings(max_examples=12, deadline=None)
@given(cases)
def test_breakdown_sums_and_parts_non_negative(case):
    sm, plans = _model(case)
    step = sm.evaluate(plans)
    assert np.allclose(np.sum(list(step.breakdown.values()), axis=0), step.time_s)
    assert all(np.all(v >= 0) for v in step.breakdown.values())
    assert all(np.all(v >= 0) for v in step.memory.values())


@settings(max_examples=12, deadline=None)
@given(cases)
def test_more_network_bandwidth_never_slower(case):
    sm, plans = _model(case)
    base = sm.evaluate(plans).time_s
    fast = StepModel(sm.model, _faster_network(sm.system), sm.seq_len, sm.global_batch, "bf16")
    assert np.all(fast.evaluate(plans).time_s <= base * (1 + 1e-9))


@settings(max_examples=12, deadline=None)
@given(cases)
def test_more_flops_never_slower(case):
    sm, plans = _model(case)
    base = sm.evaluate(plans).time_s
    g = sm.accel.gemm
    sm.accel = replace(sm.accel, gemm=replace(g, peak_flops_per_s=g.peak_flops_per_s * 1.5),
                       attention=replace(sm.accel.attention,
                                         peak_flops_per_s=sm.accel.attention.peak_flops_per_s * 1.5))
    assert np.all(sm.evaluate(plans).time_s <= base * (1 + 1e-9))
