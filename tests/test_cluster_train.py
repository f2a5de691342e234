"""Training on accelerator clusters: the step model, memory feasibility, search and results."""

import csv
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from wafersim import train
from wafersim.catalog.system import resolve
from wafersim.cost.train.step import StepModel
from wafersim.errors import InfeasiblePlan
from wafersim.models import load_model
from wafersim.plan import Constraints, enumerate_plans
from wafersim.validate.records import read
from wafersim.validate.train import predict, run

JSON_KEYS = ("step_time_s", "tokens_per_s", "wall_time_s", "device_hours", "mfu",
             "flops_per_s_per_device", "memory_bytes_per_device", "energy_J", "cost_usd", "breakdown",
             "plan", "assumptions")


def _step_model(catalog, model="llama-2-70b", system="dgx-h100", n=256, batch=512, seq=4096):
    return StepModel(load_model(model), resolve(catalog, system).with_devices(n), seq, batch, "bf16")


def test_result_keys_breakdown_and_alternatives(catalog):
    r = train("llama-2-70b", "dgx-h100", 2e12, count=256, global_batch=512, seq_len=4096,
              catalog=catalog)
    data = r.to_json()
    assert all(key in data for key in JSON_KEYS)
    assert sum(r.breakdown.values()) == pytest.approx(r.step_time_s)
    assert {"compute", "recompute", "exposed_tp_comm", "exposed_dp_comm", "pipeline_bubble",
            "optimizer"} <= set(r.breakdown)
    assert 0.2 < r.mfu < 0.8
    assert len(r.alternatives) == 4
    assert all(a["step_time_s"] >= r.step_time_s for a in r.alternatives)
    assert r.memory_bytes_per_device <= r.memory["usable"]
    assert r.device_hours == pytest.approx(256 * r.compute_time_s / 3600)


def test_search_is_deterministic(catalog):
    a = train("llama-2-7b", "dgx-a100", 1e12, count=64, catalog=catalog).to_json()
    b = train("llama-2-7b", "dgx-a100", 1e12, count=64, catalog=catalog).to_json()
    assert a == b


def test_breakdown_sums_for_every_plan(catalog):
    sm = _step_model(catalog)
    step = sm.evaluate(enumerate_plans(sm.model, 256, 8, 512, 4096))
    assert np.allclose(np.sum(list(step.breakdown.values()), axis=0), step.time_s)
    assert np.all(step.time_s > 0) and np.all(step.memory_bytes > 0)


def test_memory_grows_with_micro_batch(catalog):
    sm = _step_model(catalog)
    plans = enumerate_plans(sm.model, 256, 8, 512, 4096, Constraints(tp=8, pp=4, zero=1,
                                                                      recompute="none", v=1))
    step = sm.evaluate(plans)
    for mb_small, mb_big in ((1, 2), (2, 4)):
        small = step.memory_bytes[plans.micro_batch == mb_small]
        big = step.memory_bytes[plans.micro_batch == mb_big]
        assert np.all(big > small)


def test_zero_stages_shrink_state(catalog):
    sm = _step_model(catalog)
    plans = enumerate_plans(sm.model, 256, 8, 512, 4096, Constraints(tp=8, pp=1, dp=32, cp=1, micro_batch=1,
                                                                      recompute="full"))
    mem = sm.evaluate(plans).memory
    order = np.argsort(plans.zero)
    state = (mem["weights"] + mem["gradients"] + mem["optimizer"])[order]
    assert np.all(np.diff(state) < 0)


def test_recompute_trades_time_for_memory(catalog):
    base = dict(count=64, global_batch=128, seq_len=4096, catalog=catalog,
                plan=Constraints(tp=8, pp=2, zero=1, micro_batch=1))
    none = train("llama-2-13b", "dgx-h100", 1e12, recompute="none", **base)
    full = train("llama-2-13b", "dgx-h100", 1e12, recompute="full", **base)
    assert full.breakdown["recompute"] > 0 == none.breakdown["recompute"]
    assert full.memory["activations"] < none.memory["activations"]


def test_model_that_does_not_fit_says_how_many_devices(catalog):
    with pytest.raises(InfeasiblePlan, match=r"does not fit on 8 x h100-sxm.*add devices \(about"):
        train("llama-3.1-405b", "dgx-h100", 1e12, count=8, catalog=catalog)


def test_interleaving_shrinks_the_bubble(catalog):
    kw = dict(count=128, global_batch=256, seq_len=4096, catalog=catalog)
    one = train("llama-2-70b", "dgx-h100", 1e12, plan=Constraints(tp=8, pp=8, v=1, zero=1,
                                                                   micro_batch=1), **kw)
    two = train("llama-2-70b", "dgx-h100", 1e12, plan=Constraints(tp=8, pp=8, v=2, zero=1,
                                                                   micro_batch=1), **kw)
    assert two.breakdown["pipeline_bubble"] < one.breakdown["pipeline_bubble"]


def test_eager_attention_is_slower_and_larger(catalog):
    kw = dict(count=64, global_batch=128, seq_len=4096, catalog=catalog,
              plan=Constraints(tp=8, pp=1, zero=1, micro_batch=1), recompute="none")
    flash = train("llama-2-7b", "dgx-a100", 1e12, attention="flash", **kw)
    eager = train("llama-2-7b", "dgx-a100", 1e12, attention="eager", **kw)
    assert eager.step_time_s > flash.step_time_s
    assert eager.memory["activations"] > flash.memory["activations"]


def test_moe_pays_all_to_all(catalog):
    r = train("mixtral-8x7b", "dgx-h100", 1e12, count=64, global_batch=256, seq_len=4096,
              catalog=catalog, plan=Constraints(ep=8, tp=1, pp=1))
    assert r.breakdown["exposed_ep_all_to_all"] > 0


# Held-out rows (not in the calibration subset): Megatron-LM 2021/2022 on A100.
@pytest.mark.parametrize("row_id", ["T017", "T018", "T022", "T025", "T027", "T028", "T030"])
def test_held_out_published_runs_within_15_percent(catalog, row_id):
    row = {r.id: r for r in read()}[row_id]
    got = predict(row, run(row, catalog))
    assert got == pytest.approx(row.value, rel=0.15)


def test_shipped_measurements_match_the_shared_copy():
    shared = Path(__file__).parents[2] / "shared" / "validation" / "public.csv"
    if not shared.exists():
        pytest.skip("../shared not beside the checkout")
    ids = {r["id"] for r in csv.DictReader(shared.open())}
    assert ids <= {r.id for r in read()}


def test_faster_accelerator_never_slower(catalog):
    sm = _step_model(catalog)
    plans = enumerate_plans(sm.model, 256, 8, 512, 4096)
    base = sm.evaluate(plans).time_s
    gemm = sm.accel.gemm
    sm.accel = replace(sm.accel, gemm=replace(gemm, peak_flops_per_s=gemm.peak_flops_per_s * 2,
                                              memory_Bps=gemm.memory_Bps * 2))
    assert np.all(sm.evaluate(plans).time_s <= base + 1e-12)
