"""MoE token permutation: top-k copies of each hidden state into expert order and back, on the
tokens a tensor-parallel group gathers; nothing for dense models."""

import numpy as np
import pytest

from wafersim.catalog.system import resolve
from wafersim.cost.train.step import StepModel
from wafersim.models import load_model
from wafersim.plan import Constraints, enumerate_plans


def _permute(catalog, model_id, tp):
    model = load_model(model_id)
    sm = StepModel(model, resolve(catalog, "dgx-h100").with_devices(8), 4096, 8, "bf16")
    plans = enumerate_plans(model, 8, 8, 8, 4096, Constraints(tp=tp, pp=1, cp=1, ep=1, zero=1,
                                                              recompute="none", micro_batch=1))
    return sm, float(sm._permute(plans, np.full(len(plans), 4096.0))[0])


def test_dense_models_do_not_permute(catalog):
    assert _permute(catalog, "llama-2-7b", 1)[1] == 0.0


def test_permutation_moves_top_k_plus_one_hidden_states(catalog):
    sm, t = _permute(catalog, "mixtral-8x7b", 1)
    m = sm.model
    moved = 2.0 * (1 + m.top_k) * m.d_model * 2.0 * 4096 * m.n_moe_layers
    assert t == pytest.approx(moved / sm.accel.gemm.memory_Bps)
    assert _permute(catalog, "mixtral-8x7b", 8)[1] == pytest.approx(t)  # gathered, not split by tp
