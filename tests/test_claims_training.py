"""The training claims (C6-C10, C15, C21, C23, C31) against hand checks from catalog numbers and
the economics model (power from the wall, failures), and verdicts that must come out as they do
for a documented reason."""

import math

import pytest

from wafersim import train
from wafersim.catalog.system import resolve
from wafersim.claims.claim import REGISTRY, Verdict
from wafersim.claims.evaluate import evaluate_claims
from wafersim.claims.sensitivity import ranged_inputs
from wafersim.claims.texts import claim_texts
from wafersim.claims.training_clusters import GB200_FP8, H100_FP8, _c21_verdict, _run
from wafersim.cost.kernels.failures import interruptions
from wafersim.cost.kernels.power import power
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


def test_c21_power_is_from_the_wall_at_each_runs_activity(catalog):
    """Each side's megawatts are its run's facility power (IT at the run's activity x PUE), under
    the provisioned peak; the ratio is theirs and the PUE cancels in it."""
    r = evaluation(catalog, "C21")
    h100, gb200 = (_run(catalog, s) for s in (H100_FP8, GB200_FP8))
    h_W, gb_W = (x.economy.facility_power_W for x in (h100, gb200))
    assert figure(r, "power of 8,192 H100").value == pytest.approx(h_W)
    assert figure(r, "GB200 / H100 cluster power").value == pytest.approx(gb_W / h_W)
    pue = catalog.get("typical-ai-datacenter").pue_ratio.value
    assert h_W == pytest.approx(h100.economy.power_W * pue)
    # between the nodes' idle draw and the provisioned peak (1,024 DGX H100 of 10.2 kW, fabric)
    peak_W = power(resolve(catalog, "dgx-h100").with_devices(8192)).peak_it_W * pue
    assert 1024 * 10.2e3 * 0.15 * pue < h_W < peak_W
    assert peak_W > 1024 * 10.2e3 * pue
    assert "provisioned peak" in figure(r, "power of 8,192 H100").note
    assert r.evaluation.verdict is Verdict.does_not_hold
    assert r.evaluation.reading


def test_c21_the_90_days_are_wall_time_with_failures_on_both_sides(catalog):
    r = evaluation(catalog, "C21")
    h100, gb200 = (_run(catalog, s) for s in (H100_FP8, GB200_FP8))
    assert h100.goodput < 1 and gb200.goodput < 1
    wall = h100.tokens_per_s * h100.goodput / (gb200.tokens_per_s * gb200.goodput)
    assert r.evaluation.headline.value == pytest.approx(90 * 86400 * wall)
    assert figure(r, "tokens 8,192 H100").value == \
        pytest.approx(h100.tokens_per_s * h100.goodput * 90 * 86400)
    assert figure(r, "goodput of 8,192 H100").value == pytest.approx(h100.goodput)


def test_c21_sensitivity_moves_the_site_and_the_failure_rates(catalog):
    r = evaluation(catalog, "C21", sensitivity=True)
    parts = {m.part for m in r.sensitivity}
    assert "typical-ai-datacenter" in parts or "gpu-fleet" in parts
    assert {p for p, _, _ in ranged_inputs(catalog, ("dgx-h100",), ("site", "reliability"))} >= {
        "typical-ai-datacenter", "gpu-fleet"}


def test_c21_rule_without_a_catalogued_power():
    text = claim_texts()["C21"]
    days = text.figure("training time")
    assert _c21_verdict(days, days, None, days, text, 0.1)[0] is Verdict.cannot_be_checked
    assert _c21_verdict(2 * days, days, 0.25, days, text, 0.1)[0] is Verdict.holds_only_if
    assert _c21_verdict(days, days, 0.25, days, text, 0.1)[0] is Verdict.holds
    assert _c21_verdict(2 * days, 2 * days, None, days, text, 0.1)[0] is Verdict.does_not_hold


def test_c23_interruptions_grow_with_the_cards_and_30_clean_days_are_unlikely(catalog):
    r = evaluation(catalog, "C23")
    assert figure(r, "cards").value == 2000 * 8
    big = figure(r, "interruptions expected in 30 days on 16,000").value
    small = figure(r, "interruptions expected in 30 days on the first 4,000").value
    assert big == pytest.approx(4 * small)  # every failure rate grows with cards, nodes, links
    mtbf = figure(r, "mean time between interruptions").value
    assert big == pytest.approx(30 * 86400 / mtbf)
    assert figure(r, "probability of 30 days").value == pytest.approx(math.exp(-big))
    assert 0.5 < figure(r, "goodput").value < 1
    e = r.evaluation
    assert e.verdict is Verdict.holds_only_if and "restarts" in e.condition
    assert any("no Ascend fleet failure data" in a for a in e.assumptions)


def test_c23_interruptions_grow_and_goodput_falls_with_the_cluster(catalog):
    cluster = resolve(catalog, "ascend-16k-cluster")
    params = load_model("glm-130b").params_total
    runs = [interruptions(cluster.with_devices(n), 30 * 86400, params)
            for n in (1000, 2000, 4000, 8000, 16000)]
    mtbfs, goodputs = [x.mtbf_s for x in runs], [x.goodput for x in runs]
    assert mtbfs == sorted(mtbfs, reverse=True) and len(set(mtbfs)) == len(mtbfs)
    assert goodputs == sorted(goodputs, reverse=True) and goodputs[0] > goodputs[-1]


def test_c23_sensitivity_moves_the_failure_rates_and_a_slow_restart_flips_it(catalog):
    r = evaluation(catalog, "C23", sensitivity=True)
    moved = {(m.part, m.field, m.side) for m in r.sensitivity}
    assert ("gpu-fleet", "device_mtbf_s", "lo") in moved
    flips = {(m.part, m.field, m.side): m.verdict for m in r.flips}
    assert flips.get(("typical-ai-datacenter", "restart_s", "hi")) is Verdict.does_not_hold


def test_only_the_claims_that_use_the_economics_move_the_site(catalog):
    assert REGISTRY["C8"].economy == ()
    assert {p for p, _, _ in ranged_inputs(catalog, ("cs-3",))}.isdisjoint(
        {"typical-ai-datacenter", "wafer-system", "gpu-fleet"})
    for claim_id in ("C20", "C21", "C23", "C29"):
        assert "site" in REGISTRY[claim_id].economy


def test_c31_counts_what_the_catalog_holds_and_says_what_is_missing(catalog):
    c31 = evaluation(catalog, "C31")
    assert figure(c31, "Trainium2 chips").value == 7800 * 64
    assert figure(c31, "dense fp8 peak").value == pytest.approx(7800 * 64 * 1.299e15, rel=1e-3)
    assert c31.evaluation.verdict is Verdict.cannot_be_checked and c31.evaluation.missing
