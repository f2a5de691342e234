"""SRAM-resident inference on CS-3: wafer counts, pipeline fill, sharing, speculative decoding."""

import pytest

import wafersim
from wafersim.catalog.system import resolve
from wafersim.cost.infer.common import Serving
from wafersim.cost.infer.wafer import wafer_fit, wafers_needed
from wafersim.errors import InfeasiblePlan
from wafersim.models import load_model


@pytest.mark.parametrize(("model", "wafers"), [("llama-3.1-8b", 1), ("llama-3.1-70b", 4),
                                               ("llama-3.1-405b", 23)])
def test_fewest_wafers_that_hold_the_model(catalog, model, wafers):
    r = wafersim.infer(model, "cs-3", catalog=catalog)
    assert r.devices == wafers and r.plan.wafers == wafers


def test_one_wafer_fewer_does_not_hold_it(catalog):
    m, system = load_model("llama-3.1-70b"), resolve(catalog, "cs-3")
    f = wafer_fit(m, system, Serving())
    n = wafers_needed(f, 1)
    assert (n - 1) * f.usable_bytes < f.weight_bytes + f.kv_bytes_per_request
    with pytest.raises(InfeasiblePlan, match="needs 4 wafers"):
        wafersim.infer(m, "cs-3", count=3, catalog=catalog)


def test_requests_in_flight_fill_the_pipeline(catalog):
    one = wafersim.infer("llama-3.1-8b", "cs-3", batch=1, catalog=catalog)
    many = wafersim.infer("llama-3.1-8b", "cs-3", batch=32, catalog=catalog)
    assert many.throughput_tokens_per_s > 10 * one.throughput_tokens_per_s
    assert many.user_tokens_per_s > 0.5 * one.user_tokens_per_s  # batch 1 loses nothing (C19)


def test_several_copies_share_a_wafer(catalog):
    r = wafersim.infer("llama-3.1-8b", "cs-3", catalog=catalog)
    assert r.plan.copies_per_wafer >= 2


def test_breakdowns_add_up(catalog):
    r = wafersim.infer("mixtral-8x7b", "cs-3", batch=4, catalog=catalog)
    assert sum(r.decode_breakdown.values()) == pytest.approx(r.tpot_s)
    assert sum(r.prefill_breakdown.values()) == pytest.approx(r.ttft_s)


def test_speculative_decoding_pays_for_verified_tokens(catalog):
    """PEs are SIMD-bound at one token, so verifying k+1 tokens costs about k+1 passes:
    speculation helps only with a tiny draft and high acceptance."""
    on = {"count": 24, "pipeline_wafers": 24, "catalog": catalog}
    plain = wafersim.infer("llama-3.1-405b", "cs-3", **on)
    good = wafersim.infer("llama-3.1-405b", "cs-3", draft="gpt3-125m", acceptance=0.95, **on)
    poor = wafersim.infer("llama-3.1-405b", "cs-3", draft="llama-3.1-8b", acceptance=0.6, **on)
    assert good.user_tokens_per_s > plain.user_tokens_per_s > poor.user_tokens_per_s
    assert good.plan.speculation.tokens_per_step == pytest.approx((1 - 0.95**5) / 0.05)
    assert good.decode_breakdown["draft_model"] > 0


def test_published_speeds_within_the_joint_fit(catalog):
    """The shared WSE serving efficiency is fitted on the 8B (1,800, 1,837 tok/s) and 70B (450,
    445 tok/s) rows together: each lands within the fit's leave-one-out error (25%)."""
    eight = wafersim.infer("llama-3.1-8b", "cs-3", catalog=catalog)
    seventy = wafersim.infer("llama-3.1-70b", "cs-3", catalog=catalog)
    assert eight.user_tokens_per_s == pytest.approx(1818, rel=0.25)
    assert seventy.user_tokens_per_s == pytest.approx(448, rel=0.25)
