"""One plan (at one batch, for serving) is costed in plain Python floats, many at once in numpy
arrays: the same formulas, so the same bits. Each case compares the one plan with itself among
many."""

import numpy as np
import pytest

from wafersim.catalog.system import resolve
from wafersim.cost.backends import serve
from wafersim.cost.infer.common import SelfDraft, Serving
from wafersim.cost.infer.hbm_points import grid_of, hbm_points
from wafersim.cost.infer.hbm_serving import HbmServing
from wafersim.cost.infer.scenario import InferScenario
from wafersim.cost.train.step import StepModel
from wafersim.models import load_model
from wafersim.plan import enumerate_plans
from wafersim.plan.infer import InferConstraints

ROCM = "vllm-0.6.1-rocm"
CASES = {  # id: (model, system, count, constraints, serving options, MTP drafting)
    "dense tp": ("llama-2-70b", "dgx-h100", None, InferConstraints(tp=8), {}, None),
    "dense pp": ("llama-3.1-70b", "dgx-h100", 16, InferConstraints(), {}, None),
    "moe ep": ("mixtral-8x7b", "dgx-h100", None, InferConstraints(), {"precision": "fp8"}, None),
    "mla dp attention mtp": ("deepseek-v3", "gb200-nvl72", None, InferConstraints(),
                             {"precision": "fp8", "kv_precision": "fp8"}, SelfDraft(0.8, 2)),
    "named stack": ("llama-3-8b", "mi300x", None, InferConstraints(), {"stack": ROCM}, None),
    "torus tiers": ("llama-3.1-405b", "trn2-ultraserver", None, InferConstraints(), {}, None),
}


def _scenario(catalog, case: str) -> InferScenario:
    model, system, count, constraints, options, mtp = CASES[case]
    if "stack" in options:
        options = options | {"stack": catalog.stack(options["stack"])}
    return InferScenario.of(load_model(model), resolve(catalog, system), Serving(1000, 300, **options),
                            count, constraints, mtp)


@pytest.mark.parametrize("case", CASES)
def test_one_point_has_the_bits_of_many(catalog, case):
    sc = _scenario(catalog, case)
    mtp = CASES[case][5]
    plans = HbmServing().plans(sc)
    grid, b = grid_of(plans, [1, 7, 64])
    many = hbm_points(sc, grid, b, mtp)
    for i in range(len(grid)):
        one = hbm_points(sc, grid.one(i), float(b[i]), mtp)
        assert isinstance(one.tpot_s, float) and isinstance(one.ttft_s, float)
        assert one.at(0) == many.at(i), (case, grid.degrees(i), b[i])
        assert (one.fits, one.max_batch, one.per_replica) == (
            bool(many.fits[i]), float(many.max_batch[i]), float(many.per_replica[i]))


@pytest.mark.parametrize("case", ["dense tp", "moe ep"])
def test_a_single_call_answers_as_a_batch_sweep_does(catalog, case):
    sc = _scenario(catalog, case)
    alone = serve(sc, [5])[0]
    among = serve(sc, [5, 9])[0]
    assert alone.to_json() == among.to_json()
    assert np.isfinite(alone.tpot_s)


TRAIN_CASES = {  # id: (model, system, devices, batch, seq, precision, attention, LoRA rank)
    "dense": ("llama-2-70b", "dgx-h100", 256, 512, 4096, "bf16", "flash", 0),
    "moe fp8 overlap": ("deepseek-v3", "dgx-h100", 512, 1024, 4096, "fp8", "flash", 0),
    "eager": ("llama-2-7b", "dgx-a100", 64, 256, 2048, "bf16", "eager", 0),
    "lora": ("llama-2-70b", "dgx-h100", 64, 128, 4096, "bf16", "flash", 16),
}


@pytest.mark.parametrize("case", TRAIN_CASES)
def test_one_training_plan_has_the_bits_of_many(catalog, case):
    model_id, system, n, batch, seq, precision, attention, rank = TRAIN_CASES[case]
    model = load_model(model_id)
    sm = StepModel(model, resolve(catalog, system).with_devices(n), seq, batch, precision, attention,
                   rank)
    every = enumerate_plans(model, n, sm.accel.scale_up, batch, seq)
    plans = every.take(np.linspace(0, len(every) - 1, 60).astype(np.int64))
    many = sm.evaluate(plans)
    for i in range(len(plans)):
        one = sm.evaluate(plans.one(i))
        assert isinstance(one.memory_bytes, float), case
        assert {k: float(v[i]) for k, v in many.breakdown.items()} == one.breakdown, plans.plan(i)
        assert {k: float(v[i]) for k, v in many.memory.items()} == one.memory, plans.plan(i)
        assert (float(many.n_micro[i]), float(many.memory_bytes[i])) == (one.n_micro, one.memory_bytes)
        assert one.time_s == pytest.approx(float(many.time_s[i]), rel=1e-12)
