"""One plan at one batch is costed in plain Python floats, many at once in numpy arrays: the same
formulas, so the same bits. Each case compares the one point with itself among many."""

import numpy as np
import pytest

from wafersim.catalog.system import resolve
from wafersim.cost.backends import serve
from wafersim.cost.infer.common import SelfDraft, Serving
from wafersim.cost.infer.hbm_points import grid_of, hbm_points
from wafersim.cost.infer.hbm_serving import HbmServing
from wafersim.cost.infer.scenario import InferScenario
from wafersim.models import load_model
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
