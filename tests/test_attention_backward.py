"""Backward work of the attention core: flash attention recomputes QK^T (2.5x the forward pass),
eager attention keeps the probabilities (2x)."""

import pytest

from wafersim.catalog.system import resolve
from wafersim.cost.train.step import ATTENTION_BACKWARD, StepModel
from wafersim.models import load_model
from wafersim.plan import Constraints, enumerate_plans

SEQ, BATCH = 4096, 8


def _parts(catalog, attention):
    """(compute per micro-batch, forward attention, forward rest) of one fixed plan, seconds."""
    model = load_model("llama-2-7b")
    sm = StepModel(model, resolve(catalog, "dgx-h100").with_devices(8), SEQ, BATCH, "bf16", attention)
    plans = enumerate_plans(model, 8, 8, BATCH, SEQ, Constraints(
        tp=8, pp=1, dp=1, cp=1, zero=0, recompute="none", micro_batch=1))
    step = sm.evaluate(plans)
    slow, tokens = 1.0 / sm.accel.framework, plans.micro_batch * float(SEQ)
    attn = float(sm._attention(plans)[0]) * slow
    rest = float((sm._gemms(plans, tokens) + sm._elementwise(plans, tokens)
                  + sm._head(plans, tokens))[0]) * slow
    return float(step.breakdown["compute"][0] / step.n_micro[0]), attn, rest


@pytest.mark.parametrize("attention", ["flash", "eager"])
def test_attention_backward_factor(catalog, attention):
    compute, attn, rest = _parts(catalog, attention)
    assert compute == pytest.approx(3.0 * rest + (1.0 + ATTENTION_BACKWARD[attention]) * attn)


def test_flash_backward_is_two_and_a_half_forward_passes():
    assert ATTENTION_BACKWARD["flash"] == 2.5 and ATTENTION_BACKWARD["eager"] == 2.0
