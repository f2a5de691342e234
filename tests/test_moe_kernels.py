"""MoE expert kernels: grouped GEMMs at small M, routing imbalance, capacity, fp8 quantisation,
and their effect on a training step and a serving step."""

import numpy as np
import pytest

from wafersim.catalog.system import resolve
from wafersim.cost.infer.common import expected_experts
from wafersim.cost.kernels.gemm import device_of, gemm_time_s
from wafersim.cost.kernels.moe import (
    GROUPED_TILE_ROWS,
    grouped_gemm_time_s,
    max_normal,
    padded_cols,
    padded_rows,
    quantise_time_s,
    rank_imbalance,
    tokens_per_expert,
    touched_imbalance,
)
from wafersim.cost.train.step import StepModel
from wafersim.errors import ConfigError
from wafersim.models import load_model
from wafersim.plan.train import PlanSpace


@pytest.fixture
def b200(catalog):
    return device_of(catalog.get("b200"), "fp8")


def test_tokens_per_expert_is_the_mean_share():
    assert tokens_per_expert(4096, 8, 256) == pytest.approx(128.0)


def test_small_m_efficiency_falls(b200):
    """Achieved FLOP/s of a grouped expert GEMM falls as the rows per expert fall, and below the
    tile it is under the dense GEMM of the same shape once compute-bound."""
    n, k, experts = 2048.0, 7168.0, 32.0
    rows = np.array([16.0, 64.0, 256.0, 1024.0, 4096.0])
    t = grouped_gemm_time_s(rows, n, k, b200, experts)
    eff = 2 * rows * n * k * experts / (t * b200.peak_flops_per_s)
    assert np.all(np.diff(eff) > 0)
    dense = gemm_time_s(600.0, n, k, b200, instances=experts)  # compute-bound: padding shows
    assert grouped_gemm_time_s(600.0, n, k, b200, experts) > 1.05 * dense


def test_padding_rounds_up_to_tiles():
    assert padded_rows(1.0) == GROUPED_TILE_ROWS
    assert padded_rows(1000.0) == pytest.approx(1000.0 + GROUPED_TILE_ROWS / 2)
    assert padded_cols(192.0) == 256.0 and padded_cols(2048.0) == 2048.0


def test_padding_is_compute_only(b200):
    """Bytes stay those of the real rows: a weight-bound decode expert GEMM costs the same."""
    t = grouped_gemm_time_s(2.0, 2048.0, 7168.0, b200, 1.0)
    assert t == pytest.approx(gemm_time_s(2.0, 2048.0, 7168.0, b200), rel=1e-9)


def test_imbalance_grows_as_tokens_per_expert_fall():
    copies = np.array([1e2, 1e3, 1e4, 1e5, 1e6])
    f = rank_imbalance(copies, 256, 8)
    assert np.all(np.diff(f) < 0) and np.all(f > 1.0)
    assert f[0] > 1.3 and f[-1] < 1.05  # sampling spread dominates small batches


def test_imbalance_grows_with_ranks_and_skew():
    assert rank_imbalance(1e4, 256, 64) > rank_imbalance(1e4, 256, 8) > rank_imbalance(1e4, 256, 2)
    assert rank_imbalance(1e6, 256, 8, skew_cv=0.3) > rank_imbalance(1e6, 256, 8, skew_cv=0.0)


def test_one_rank_has_no_imbalance():
    assert rank_imbalance(10.0, 8, 1) == pytest.approx(1.0)
    assert touched_imbalance(3.0, 8, 1) == pytest.approx(1.0)
    assert max_normal(1.0) == pytest.approx(0.0, abs=1e-12)


def test_max_normal_matches_known_order_statistics():
    # exact expected largest of n standard normals: 0.564 (2), 1.029 (4), 1.539 (10); Blom's
    # approximation is within 5%
    assert max_normal(np.array([2.0, 4.0, 10.0])) == pytest.approx([0.564, 1.029, 1.539], rel=0.05)


def test_capacity_factor_caps_the_busiest_rank():
    free = rank_imbalance(100.0, 256, 8)
    assert free > 1.25
    assert rank_imbalance(100.0, 256, 8, capacity_factor=1.25) == pytest.approx(1.25)
    with pytest.raises(ConfigError, match="capacity_factor"):
        rank_imbalance(100.0, 256, 8, capacity_factor=0.5)
    with pytest.raises(ConfigError, match="skew_cv"):
        rank_imbalance(100.0, 256, 8, skew_cv=-0.1)


def test_scalar_and_array_agree():
    many = rank_imbalance(np.array([500.0, 5000.0]), 64, np.array([4, 16]))
    assert many[0] == rank_imbalance(500.0, 64, 4) and many[1] == rank_imbalance(5000.0, 64, 16)


def test_distinct_experts_formula():
    # E (1 - (1 - k/E)^B): one token touches k experts, a large batch touches all of them
    assert expected_experts(256, 8, 1) == pytest.approx(8.0)
    assert expected_experts(256, 8, 64) == pytest.approx(256 * (1 - (1 - 8 / 256) ** 64))
    assert expected_experts(256, 8, 10_000) == pytest.approx(256.0)


def test_fp8_quantise_overhead_positive(b200):
    t = quantise_time_s(1024.0, 2048.0, 7168.0, b200)
    assert t > 0 and t == pytest.approx(1024 * 9216 * 4.0625 / b200.memory_Bps)


# DeepSeek-V3 on 256 B200 as Megatron-Bridge runs it: PP16, EP8, one sequence per micro-batch
PLAN = PlanSpace(tp=1, pp=16, dp=16, cp=1, ep=8, zero=1, recompute=0, micro_batch=1, v=1,
                 overlap=0)


def _model(catalog, precision, **kwargs):
    system = resolve(catalog, "dgx-b200").with_devices(256)
    return StepModel(load_model("deepseek-v3"), system, 4096, 2048, precision, **kwargs)


def _step(catalog, precision, **kwargs):
    return _model(catalog, precision, **kwargs).evaluate(PLAN)


def test_fp8_training_pays_quantisation(catalog):
    """The quantisation passes add memory time that 16-bit training does not have."""
    assert _model(catalog, "fp8")._quantise(PLAN, 4096.0, 1.0) > 0
    assert _model(catalog, "bf16")._quantise(PLAN, 4096.0, 1.0) == 0


def test_router_skew_slows_a_step(catalog):
    balanced = _step(catalog, "fp8", routing_skew_cv=0.0)
    skewed = _step(catalog, "fp8", routing_skew_cv=0.3)
    capped = _step(catalog, "fp8", routing_skew_cv=0.3, capacity_factor=1.0)
    assert skewed.time_s > balanced.time_s
    assert capped.time_s <= balanced.time_s
