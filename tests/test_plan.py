"""Parallel plans: divisibility rules, constraints, the search grid."""

import math

import numpy as np
import pytest

from wafersim.errors import ConfigError
from wafersim.models import load_model
from wafersim.plan import Constraints, Plan, enumerate_plans
from wafersim.plan.train_grid import divisors, tp_error


def test_divisors():
    assert divisors(12) == [1, 2, 3, 4, 6, 12]
    assert divisors(1) == [1]


def test_every_plan_uses_all_devices_and_obeys_the_rules():
    m = load_model("llama-2-70b")
    s = enumerate_plans(m, 256, 8, 1024, 4096)
    assert len(s) > 1000
    assert np.all(s.tp * s.pp * s.dp * s.cp == 256)
    assert np.all(m.n_heads % s.tp == 0) and np.all(s.tp <= 8)
    assert np.all(m.n_layers % s.pp == 0)
    assert np.all((s.v == 1) | (m.n_layers % (s.pp * s.v) == 0))
    assert np.all(s.ep == 1)
    assert np.all((s.dp > 1) | (s.zero == 0))


def test_moe_plans_split_experts():
    m = load_model("mixtral-8x7b")
    s = enumerate_plans(m, 64, 8, 256, 4096)
    assert set(np.unique(s.ep)) <= {1, 2, 4, 8}
    assert np.all(s.dp % s.ep == 0) and np.any(s.ep > 1)


def test_constraints_fix_parts():
    m = load_model("llama-2-70b")
    s = enumerate_plans(m, 1024, 8, 1024, 4096, Constraints(tp=8, pp=4, recompute="full"))
    assert set(s.tp) == {8} and set(s.pp) == {4} and set(s.recompute) == {2}
    assert set(s.dp * s.cp) == {32}


def test_uneven_stages_allowed_when_fixed():
    m = load_model("llama-3.1-405b")  # 126 layers
    s = enumerate_plans(m, 8192, 8, 2048, 8192, Constraints(tp=8, pp=16, dp=64, cp=1))
    assert set(s.pp) == {16} and len(s) > 0


@pytest.mark.parametrize("fixed, message", [
    (Constraints(tp=3), "does not divide the 64 attention heads"),
    (Constraints(tp=16), "exceeds the scale-up domain"),
    (Constraints(pp=81), "exceeds the 80 layers"),
    (Constraints(ep=2), "has no experts"),
    (Constraints(zero=4), "must be 0, 1, 2 or 3"),
    (Constraints(micro_batch=0), "must be at least 1"),
    (Constraints(tp=8, pp=8, dp=8, cp=8), "must multiply to the 64 devices"),
    (Constraints(recompute="some"), "is not one of none, selective, full"),
    (Constraints(schedule="zigzag"), "is not one of 1f1b, interleaved"),
])
def test_bad_constraints_name_the_value(fixed, message):
    with pytest.raises(ConfigError, match=message):
        enumerate_plans(load_model("llama-2-70b"), 64, 8, 512, 4096, fixed)


def test_tp_may_exceed_kv_heads_by_replication():
    m = load_model("llama-2-70b")  # 8 KV heads
    assert tp_error(m, 16, 64) is None
    assert "attention heads" in str(tp_error(load_model("llama-3.1-8b"), 3, 8))


def test_plan_label_and_json():
    p = Plan(tp=8, pp=4, dp=2, zero=1, recompute="full", micro_batch=2, v=2)
    assert p.devices == 64 and p.schedule == "interleaved"
    assert p.to_json()["schedule"] == "interleaved"
    assert str(p) == "tp8 pp4 dp2 zero1 mb2 rc:full v2"
    assert math.prod([p.tp, p.pp, p.dp, p.cp]) == p.devices
