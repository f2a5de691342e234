"""The serving claims (C17-C19, C26, C32): figures checked by hand against the catalog and the
API, and verdicts that must come out as they do for a documented reason."""

import math

import pytest

from wafersim.api import infer
from wafersim.catalog import Chip
from wafersim.catalog.variants import with_quantities
from wafersim.claims.claim import Verdict
from wafersim.claims.inference import _c17_verdict, c17, c18, c19, c26, c32
from wafersim.claims.sensitivity import ranged_inputs
from wafersim.claims.texts import claim_texts
from wafersim.cost.infer.hbm import HBM_USABLE_FRACTION
from wafersim.models import load_model


def _figure(evaluation, name):
    return next(f for f in evaluation.figures if f.name.startswith(name)).value


def _sram_at_low_end(catalog):
    """The catalog with the WSE-3's usable SRAM fraction at the low end of its range."""
    part, keys, q = next(x for x in ranged_inputs(catalog, ("wse-3",)) if x[1][-1] == "sram_usable_fraction")
    return with_quantities(catalog, {part: {keys: q.model_copy(update={"value": q.lo})}})


def test_c17_headline_is_the_ratio_of_the_two_per_user_speeds(catalog):
    e = c17(catalog, claim_texts()["C17"])
    wafer = infer("llama-3.1-8b", "cs-3", catalog=catalog).user_tokens_per_s
    h100 = infer("llama-3.1-8b", "h100-sxm", catalog=catalog).user_tokens_per_s
    assert e.headline.value == pytest.approx(wafer / h100)
    assert _figure(e, "H100 speed 20x needs") == pytest.approx(wafer / 20)
    assert e.reading is not None and "fp8" in e.reading


@pytest.mark.parametrize(("ratio", "needed", "h100", "verdict"), [
    (19.0, 100.0, 114.0, Verdict.holds),  # within 10% of 20x
    (17.0, 100.0, 114.0, Verdict.holds_only_if),  # needs an H100 12% slower than a tuned one
    (5.0, 100.0, 400.0, Verdict.does_not_hold),  # needs an H100 at a quarter of a tuned one
])
def test_c17_verdict_rule(ratio, needed, h100, verdict):
    assert _c17_verdict(ratio, needed, h100, 20.0)[0] is verdict


def test_c18_holds_per_user_not_in_total(catalog):
    e = c18(catalog, claim_texts()["C18"])
    assert _figure(e, "wafers holding") == 4
    assert e.headline.value > 1 > _figure(e, "total throughput ratio")
    assert e.verdict is Verdict.holds_only_if


def test_c18_needs_more_than_four_wafers_with_less_usable_sram(catalog):
    e = c18(_sram_at_low_end(catalog), claim_texts()["C18"])
    assert _figure(e, "wafers holding") > 4 and e.verdict is Verdict.does_not_hold


def test_c19_users_up_to_the_pipeline_depth_keep_their_speed(catalog):
    e = c19(catalog, claim_texts()["C19"])
    assert e.headline.value >= 0.95
    assert _figure(e, "models resident on one wafer") == 2
    assert _figure(e, "CS-3 throughput at batch 1") < 0.5  # one request leaves the pipeline idle
    assert e.verdict is Verdict.holds_only_if


def test_c19_two_models_no_longer_share_a_wafer_with_less_usable_sram(catalog):
    e = c19(_sram_at_low_end(catalog), claim_texts()["C19"])
    assert _figure(e, "models resident on one wafer") is None and e.verdict is Verdict.does_not_hold


def test_c26_memory_bound_by_hand(catalog):
    e = c26(catalog, claim_texts()["C26"])
    grok, hbm = load_model("grok-1"), catalog.typed("h100-sxm", Chip).hbm_bytes.value
    kv = 2048 * grok.kv_cache_bytes_per_token("bf16")  # one request of 1,024 + 1,024 tokens
    assert _figure(e, "fewest H100 holding it, bf16") == math.ceil(
        (grok.weight_bytes("bf16") + kv) / (hbm * HBM_USABLE_FRACTION))
    assert e.headline.value > 8 >= _figure(e, "fewest H100 running it, fp8")
    assert e.verdict is Verdict.holds_only_if and "fp8" in e.condition


def test_c32_ratios_from_the_catalog(catalog):
    e = c32(catalog, claim_texts()["C32"])
    h100, h200 = catalog.typed("h100-sxm", Chip), catalog.typed("h200-sxm", Chip)
    assert _figure(e, "HBM bandwidth H200") == pytest.approx(
        h200.hbm_bandwidth_Bps.value / h100.hbm_bandwidth_Bps.value)
    assert _figure(e, "dense bf16 FLOPS") == pytest.approx(1.0)
    assert 1.0 < e.headline.value <= _figure(e, "HBM bandwidth H200")
    assert e.verdict is Verdict.holds
