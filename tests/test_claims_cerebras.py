"""The Cerebras claims (C1-C5, C11-C14, C16): figures hand-checked from catalog numbers, and
verdicts that must come out as they do for a documented reason."""

import pytest

from wafersim.catalog import Chip, Node
from wafersim.catalog.variants import with_quantities
from wafersim.claims.claim import REGISTRY, Verdict
from wafersim.claims.texts import claim_texts


def run(catalog, claim_id):
    return REGISTRY[claim_id].evaluate(catalog, claim_texts()[claim_id])


def fig(evaluation, name):
    (found,) = [f.value for f in evaluation.figures if f.name == name]
    return found


def dense(chip):
    return chip.peak_dense_flops_per_s["fp16"].value


def test_c1_the_125_pf_is_sparse_and_the_dense_peak_doubles(catalog):
    wse3, wse2 = catalog.typed("wse-3", Chip), catalog.typed("wse-2", Chip)
    e = run(catalog, "C1")
    assert e.headline.value == pytest.approx(dense(wse3))
    assert fig(e, "dense peak WSE-3 / WSE-2") == pytest.approx(dense(wse3) / dense(wse2))
    assert e.verdict is Verdict.holds_only_if and "sparse" in e.condition


def test_c1_a_cs3_at_cs2_power_keeps_only_the_sparsity_condition(catalog):
    cs2, cs3 = catalog.typed("cs-2", Node), catalog.typed("cs-3", Node)
    same = with_quantities(catalog, {"cs-3": {("power_W",): cs2.power_W}})
    assert "power" in run(catalog, "C1").condition
    e = run(same, "C1")
    assert cs3.power_W.value != cs2.power_W.value
    assert e.verdict is Verdict.holds_only_if and "power" not in e.condition


def test_c1_a_wse3_at_its_low_clock_is_not_twice_wse2(catalog):
    q = catalog.typed("wse-3", Chip).peak_dense_flops_per_s["fp16"]
    slow = with_quantities(catalog, {"wse-3": {("peak_dense_flops_per_s", "fp16"):
                                               q.model_copy(update={"value": q.lo})}})
    assert run(slow, "C1").verdict is Verdict.does_not_hold


def test_c2_dense_against_dense_is_16_h100s_and_sparse_reading_is_the_condition(catalog):
    wse3, h100 = catalog.typed("wse-3", Chip), catalog.typed("h100-sxm", Chip)
    e = run(catalog, "C2")
    assert e.headline.value == pytest.approx(dense(wse3) / dense(h100))
    assert 15 < e.headline.value < 17
    assert e.verdict is Verdict.holds_only_if and e.reading


def test_c3_transistor_ratio_is_50(catalog):
    assert run(catalog, "C3").headline.value == pytest.approx(4e12 / 80e9)


def test_c4_divides_sram_by_h100_hbm(catalog):
    wse3, h100 = catalog.typed("wse-3", Chip), catalog.typed("h100-sxm", Chip)
    e = run(catalog, "C4")
    assert e.headline.value == pytest.approx(wse3.sram_bandwidth_Bps.value / h100.hbm_bandwidth_Bps.value)
    assert fig(e, "H100 HBM bandwidth the stated 7,000x implies") == pytest.approx(3e12)


def test_c5_3715x_is_aggregate_over_both_nvlink_directions_and_bisection_is_about_2x(catalog):
    e = run(catalog, "C5")
    assert e.headline.value == pytest.approx(26.75e15 / (2 * 8 * 450e9))
    # 762 columns x 4 bytes x 1.1 GHz against 4 GPUs x 450 GB/s
    assert fig(e, "bisection: WSE-3 mesh / DGX H100 NVSwitch, per direction") == pytest.approx(
        762 * 4 * 1.1e9 / (4 * 450e9))
    assert e.verdict is Verdict.holds_only_if


def test_c11_memoryx_beats_10000_gpus_not_10000_dgx_nodes(catalog):
    e = run(catalog, "C11")
    assert e.headline.value == pytest.approx(1200e12 / (10_000 * 80e9))
    assert fig(e, "parameters 1,200 TB holds with Adam state") == pytest.approx(1200e12 / 16)
    assert e.verdict is Verdict.holds_only_if and "8-GPU" in e.condition


def test_c12_code_size_cannot_be_checked(catalog):
    e = run(catalog, "C12")
    assert e.verdict is Verdict.cannot_be_checked and "565" in e.missing


def test_c13_sparse_peaks_add_to_16_ef_and_scaling_is_near_linear(catalog):
    e = run(catalog, "C13")
    sparse = fig(e, "CG-1 + CG-2 + CG-3 sparse 'AI' FP16 peak")
    assert sparse == pytest.approx(64 * (62.5 + 62.5 + 125) * 1e15)
    assert fig(e, "CG-1 + CG-2 + CG-3 dense FP16 peak") == pytest.approx(
        64 * (2 * dense(catalog.typed("wse-2", Chip)) + dense(catalog.typed("wse-3", Chip))))
    assert 0.9 <= e.headline.value <= 1.0
    assert e.verdict is Verdict.holds_only_if


def test_c14_wse2_specs_hold(catalog):
    assert run(catalog, "C14").verdict is Verdict.holds


def test_c16_8b_fits_one_cs3_and_70b_needs_four(catalog):
    e = run(catalog, "C16")
    assert 0 < e.headline.value < 1
    assert fig(e, "CS-3 wafers Llama 3.1 70B needs") == 4
    assert fig(e, "largest model one CS-3 holds at 16 bits") == pytest.approx(0.8 * 44e9 / 2)
    assert e.verdict is Verdict.holds_only_if
