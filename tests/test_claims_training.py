"""The training claims (C6-C10, C15, C21, C23, C31) against hand checks from catalog numbers,
and verdicts that must come out as they do for a documented reason."""

import pytest

from wafersim import train
from wafersim.claims.claim import Verdict
from wafersim.claims.evaluate import evaluate_claims
from wafersim.claims.texts import claim_texts
from wafersim.claims.training_clusters import _c21_verdict
from wafersim.models import load_model


def evaluation(catalog, claim_id, sensitivity=False):
    (result,) = evaluate_claims([claim_id], catalog, with_sensitivity=sensitivity)
    return result


def figure(result, prefix):
    return next(f for f in result.evaluation.figures if f.name.startswith(prefix))


def test_c6_the_state_fits_the_memoryx_but_one_cs3_trains_for_millions_of_years(catalog):
    r = evaluation(catalog, "C6")
    params = load_model("dense-24t").params_total
    assert figure(r, "training state").value == pytest.approx(params * 16)  # bf16 + fp32 Adam
    assert figure(r, "MemoryX capacity").value == pytest.approx(1.2e15 / (params * 16))
    assert figure(r, "tokens/s on one CS-3, activations in SRAM").value is None  # 127 GB > SRAM
    assert figure(r, "compute-optimal").value > 1e6 * 365 * 86400
    assert r.evaluation.verdict is Verdict.holds_only_if


def test_c7_one_cs3_needs_no_model_split_where_1024_h100_do(catalog):
    r = evaluation(catalog, "C7")
    assert figure(r, "model-parallel ways, 1 T on one CS-3").value == 1
    assert figure(r, "model-parallel ways, 1 B on one H100").value == 1
    assert figure(r, "model-parallel ways, 1 T on 1,024 H100").value == 4 * 32 * 2
    assert 0 < figure(r, "1 T on 1,024 H100, data parallel only").value < 1
    assert r.evaluation.verdict is Verdict.holds_only_if


def test_c8_ratios_are_the_two_generations_trained_alike(catalog):
    r = evaluation(catalog, "C8")
    one = [train("falcon-40b", s, 1e9, catalog=catalog).tokens_per_s for s in ("cs-2", "cs-3")]
    assert figure(r, "falcon-40b").value == pytest.approx(one[1] / one[0])
    assert figure(r, "dense peak").value == pytest.approx(15840 / 7480, rel=1e-3)
    assert r.evaluation.verdict is Verdict.holds


def test_c8_flips_at_the_low_wse3_clock(catalog):
    """At 0.85 GHz the WSE-3 dense peak is 12.24 PF: 1.64x WSE-2's, short of 2x by over 10%."""
    r = evaluation(catalog, "C8", sensitivity=True)
    flipped = {(m.part, m.field, m.side) for m in r.flips}
    assert ("wse-3", "peak_dense_flops_per_s.bf16", "lo") in flipped


def test_c9_the_256_ef_is_sparse_and_the_llama_2_batch_does_not_split(catalog):
    r = evaluation(catalog, "C9")
    assert figure(r, "vendor AI peak").value == pytest.approx(2048 * 125e15)
    assert figure(r, "dense bf16 peak").value == pytest.approx(2048 * 15.84e15)
    assert figure(r, "with 1,024 sequences").value is None  # fewer sequences than systems
    hours = figure(r, "with 2,048 sequences").value / 3600
    assert hours > 24 * 1.25
    assert figure(r, "A100s spending").value == pytest.approx(1720320 / (30 * 24))
    assert r.evaluation.verdict is not Verdict.holds


def test_c10_the_plan_is_data_parallel_and_the_memoryx_state_does_not_grow(catalog):
    r = evaluation(catalog, "C10")
    assert figure(r, "model-parallel ways").value == 1
    assert figure(r, "MemoryX training state").value == 1
    assert figure(r, "step time with a 24 TB").value == pytest.approx(1)
    assert r.evaluation.verdict is Verdict.holds


def test_c15_gpt_neox_20b_fits_one_cs2_and_a_full_run_takes_most_of_a_year(catalog):
    r = evaluation(catalog, "C15")
    run = train("gpt-neox-20b", "cs-2", 1e9, catalog=catalog)
    assert figure(r, "tokens/s on one CS-2").value == pytest.approx(run.tokens_per_s)
    assert figure(r, "MemoryX capacity").value > 1
    assert figure(r, "compute-optimal").value > 90 * 86400
    assert r.evaluation.verdict is Verdict.holds_only_if


def test_c21_power_ratio_is_the_racks_against_the_dgx_nodes(catalog):
    """28 NVL72 racks of 120 kW against 1,024 DGX H100 of 10.2 kW; the PUE cancels."""
    r = evaluation(catalog, "C21")
    assert figure(r, "GB200 / H100 cluster power").value == pytest.approx(28 * 120 / (1024 * 10.2))
    assert r.evaluation.verdict is Verdict.does_not_hold
    assert r.evaluation.reading


def test_c21_rule_without_a_catalogued_power():
    text = claim_texts()["C21"]
    days = text.figure("training time")
    assert _c21_verdict(days, days, None, days, text, 0.1)[0] is Verdict.cannot_be_checked
    assert _c21_verdict(2 * days, days, 0.25, days, text, 0.1)[0] is Verdict.holds_only_if
    assert _c21_verdict(days, days, 0.25, days, text, 0.1)[0] is Verdict.holds
    assert _c21_verdict(2 * days, 2 * days, None, days, text, 0.1)[0] is Verdict.does_not_hold


def test_c23_and_c31_count_what_the_catalog_holds_and_say_what_is_missing(catalog):
    c23, c31 = evaluation(catalog, "C23"), evaluation(catalog, "C31")
    assert figure(c23, "cards").value == 2000 * 8
    assert figure(c31, "Trainium2 chips").value == 7800 * 64
    assert figure(c31, "dense fp8 peak").value == pytest.approx(7800 * 64 * 1.299e15, rel=1e-3)
    for r in (c23, c31):
        assert r.evaluation.verdict is Verdict.cannot_be_checked and r.evaluation.missing
