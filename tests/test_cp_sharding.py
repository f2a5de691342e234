"""Context-parallel ranks hold the same weights, so ZeRO shards model state over dp x cp."""

import pytest

from wafersim.cost.train.memory import state_bytes
from wafersim.models import load_model
from wafersim.plan import Constraints, enumerate_plans


def test_optimizer_state_shards_over_dp_times_cp():
    model = load_model("llama-2-7b")
    fixed = dict(tp=1, pp=1, zero=1, recompute="none", micro_batch=1, v=1)
    a = enumerate_plans(model, 8, 8, 64, 4096, Constraints(dp=8, cp=1, **fixed))
    b = enumerate_plans(model, 8, 8, 64, 4096, Constraints(dp=2, cp=4, **fixed))
    assert float(state_bytes(model, a, "bf16")["optimizer"][0]) == pytest.approx(
        float(state_bytes(model, b, "bf16")["optimizer"][0]))
