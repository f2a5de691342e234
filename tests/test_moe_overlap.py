"""MoE expert all-to-all: plain dispatch, node-deduplicated dispatch and its overlap with compute."""

import numpy as np
import pytest

from wafersim.catalog.system import resolve
from wafersim.cost.train.comm import GroupCollectives
from wafersim.cost.train.moe_comm import (
    COMM_SM_SHARE,
    all_to_all_s,
    destinations,
    ep_nodes,
    overlapped,
)
from wafersim.cost.train.step import StepModel
from wafersim.errors import ConfigError
from wafersim.models import load_model
from wafersim.plan import Constraints, enumerate_plans

SEQ, BATCH, DEVICES = 4096, 4096, 2048


def _plans(model, **fixed):
    c = Constraints(tp=1, pp=16, cp=1, ep=64, zero=1, recompute="full", micro_batch=1, v=1, **fixed)
    return enumerate_plans(model, DEVICES, 8, BATCH, SEQ, c)


def test_destinations_occupancy_and_node_limit():
    v3 = load_model("deepseek-v3")  # top-8 of 256 experts, at most 4 of 8 groups
    mixtral = load_model("mixtral-8x7b")  # top-2, no group limit
    assert destinations(mixtral, np.array([8.0]))[0] == pytest.approx(8 * (1 - (7 / 8) ** 2))
    assert destinations(v3, np.array([8.0]))[0] == pytest.approx(4.0)  # capped: 5.25 -> 4
    assert destinations(v3, np.array([1.0]))[0] == pytest.approx(1.0)
    assert destinations(mixtral, np.array([64.0]))[0] <= 2.0


def test_ep_group_spans_nodes_by_stride():
    model = load_model("deepseek-v3")
    plans = _plans(model)
    assert np.all(ep_nodes(plans, 8) == 8)  # 64 ranks, 8 per node
    assert np.all(ep_nodes(plans, 64) == 1)


def test_dedup_and_fp8_dispatch_shrink_the_all_to_all(catalog):
    model = load_model("deepseek-v3")
    comm = GroupCollectives(resolve(catalog, "hgx-h800").with_devices(DEVICES))
    plain, ovl = _plans(model, overlap=0), _plans(model, overlap=1)
    tokens = np.full(len(plain), float(SEQ))
    f0, b0 = all_to_all_s(comm, model, plain, tokens, 8, fp8=True)
    f1, b1 = all_to_all_s(comm, model, ovl, tokens, 8, fp8=True)
    f2, _ = all_to_all_s(comm, model, ovl, tokens, 8, fp8=False)
    assert np.all(b1 < b0) and np.all(f1 < f2) and np.all(f2 < f0)
    assert b0[0] / b1[0] == pytest.approx(8 / 4, rel=0.05)  # 8 copies against 4 nodes


def test_overlap_hides_what_the_compute_covers():
    hidden, work = np.array([1.0, 1.0, 3.0]), np.array([2.0, 2.0, 2.0])
    got = overlapped(hidden, work, np.array([0, 1, 1]))
    assert got == pytest.approx([1.0, COMM_SM_SHARE, 1.0])


def test_overlapped_plan_is_faster_and_keeps_one_more_micro_batch(catalog):
    model = load_model("deepseek-v3")
    sm = StepModel(model, resolve(catalog, "hgx-h800").with_devices(DEVICES), SEQ, BATCH, "fp8")
    plain, ovl = sm.evaluate(_plans(model, overlap=0)), sm.evaluate(_plans(model, overlap=1))
    assert ovl.time_s[0] < plain.time_s[0]
    assert ovl.breakdown["exposed_ep_all_to_all"][0] < plain.breakdown["exposed_ep_all_to_all"][0]
    assert ovl.memory["activations"][0] > plain.memory["activations"][0]


def test_overlap_is_searched_for_moe_only():
    dense, moe = load_model("llama-2-7b"), load_model("deepseek-v3")
    assert set(enumerate_plans(dense, 64, 8, 64, 4096).overlap) == {0}
    plans = enumerate_plans(moe, DEVICES, 8, BATCH, SEQ, Constraints(pp=16, tp=1, cp=1))
    assert set(plans.overlap[plans.ep > 1]) == {0, 1} and set(plans.overlap[plans.ep == 1]) == {0}
    with pytest.raises(ConfigError, match="overlap"):
        enumerate_plans(dense, 64, 8, 64, 4096, Constraints(overlap=1))
