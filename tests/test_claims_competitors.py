"""The NVIDIA, Huawei and AWS claims (C20, C22, C24, C25, C27-C30): figures checked by hand from
the catalog, and verdicts that move when the catalog numbers they rest on move."""

import pytest

from wafersim.api import infer
from wafersim.catalog import Chip, Network, Node
from wafersim.catalog.variants import with_quantities
from wafersim.claims.claim import REGISTRY, Verdict
from wafersim.claims.evaluate import evaluate_claims
from wafersim.claims.texts import claim_texts
from wafersim.precision import Precision

P = Precision


def evaluated(claim_id, catalog):
    return REGISTRY[claim_id].evaluate(catalog, claim_texts()[claim_id])


def figure(evaluation, name):
    (found,) = [f.value for f in evaluation.figures if f.name == name]
    return found


def moved(catalog, part_id, keys, value):
    """The catalog with one quantity of one part set to `value` (its range dropped)."""
    part = catalog.get(part_id)
    q = part
    for key in keys:
        q = q[P(key)] if isinstance(q, dict) else getattr(q, key)
    return with_quantities(catalog, {part_id: {keys: q.model_copy(
        update={"value": value, "lo": None, "hi": None, "source": q.source or "derived"})}})


def test_c27_ratios_are_the_two_chips_catalog_figures(catalog):
    trn, h100 = catalog.typed("trainium2", Chip), catalog.typed("h100-sxm", Chip)
    e = evaluated("C27", catalog)
    fp8 = trn.peak_dense_flops_per_s[P.fp8].value / h100.peak_dense_flops_per_s[P.fp8].value
    assert e.headline.value == pytest.approx(fp8)
    assert figure(e, "HBM, Trainium2 / H100") == pytest.approx(96 * 2**30 / 80e9)
    assert e.verdict is Verdict.holds


def test_c27_fails_when_a_spec_moves_past_its_tolerance(catalog):
    assert evaluated("C27", moved(catalog, "trainium2", ("hbm_bandwidth_Bps",), 2.5e12)).verdict \
        is Verdict.does_not_hold


def test_c28_sparse_fp8_is_twice_dense_not_four_times(catalog):
    chip = catalog.typed("trainium2", Chip)
    e = evaluated("C28", catalog)
    assert e.headline.value == pytest.approx(64 * chip.peak_sparse_flops_per_s[P.fp8].value)
    assert e.verdict is Verdict.does_not_hold and "FP8 sparse" in e.sentence
    four_x = moved(catalog, "trainium2", ("peak_sparse_flops_per_s", "fp8"), 5.2e15)
    assert evaluated("C28", four_x).verdict is Verdict.holds


def test_c25_holds_only_for_the_lower_sku_and_flips_at_the_range_end(catalog):
    (r,) = evaluate_claims(["C25"], catalog)
    assert r.evaluation.headline.value == pytest.approx(376e15)
    assert r.evaluation.verdict is Verdict.holds_only_if
    assert [(m.field, m.side, m.verdict) for m in r.flips] == [
        ("peak_dense_flops_per_s.fp16", "lo", Verdict.holds)]
    assert evaluated("C25", moved(catalog, "ascend-910b", ("peak_dense_flops_per_s", "fp16"),
                                  500e12)).verdict is Verdict.does_not_hold


def test_c24_needs_the_switch_radix_and_judges_it_when_known(catalog):
    e = evaluated("C24", catalog)
    # 18,000 NPU ports: k^2 / 2 >= 18,000 -> k = 190 ports of 200 Gb/s = 48 ports of 800GE
    assert e.headline.value == 48 and e.verdict is Verdict.cannot_be_checked and "48" in e.missing
    net = catalog.typed("ce-800ge-clos", Network)
    assert net.switch_radix_count.value is None

    def with_radix(ports):
        q = net.tiers_count.model_copy(update={"value": ports})
        return with_quantities(catalog, {net.id: {("switch_radix_count",): q}})
    assert evaluated("C24", with_radix(48)).verdict is Verdict.holds  # (48 x 4)^2 / 2 = 18,432
    assert evaluated("C24", with_radix(47)).verdict is Verdict.does_not_hold  # 17,672


def test_c22_reads_fp4_sparse_against_fp8_sparse_and_27t_as_fp4_weights(catalog):
    e = evaluated("C22", catalog)
    assert e.headline.value == pytest.approx(20000 / 3958)
    nvl72_hbm = 72 * catalog.typed("gb200", Chip).hbm_bytes.value
    assert figure(e, "parameters whose FP4 weights fill that HBM") == pytest.approx(nvl72_hbm / 0.5)
    assert e.verdict is Verdict.holds_only_if and "FP4" in e.condition
    assert figure(e, "ratio GB200 / H100, both FP8 sparse") == pytest.approx(10000 / 3958)


def served_moe(catalog, system, precision, pricing="tco", count=None, **plan):
    return infer("gpt-moe-1.8t", system, input_tokens=32768, output_tokens=1024,
                 precision=precision, kv_precision="fp8", catalog=catalog, max_throughput=True,
                 tpot_slo_s=0.05, count=count, pricing=pricing, **plan)


GB200_FP4 = dict(tp=72, pp=1, ep=16, attention_dp=24)
H100_FP8 = dict(tp=8, pp=4, ep=1, attention_dp=1)


def test_c20_costs_are_on_one_basis_and_match_the_cost_model(catalog):
    """Both sides on basis tco (capex over the life, facility, electricity), as `infer` reports."""
    e = evaluated("C20", catalog)
    gb = served_moe(catalog, "gb200-nvl72", "fp4", **GB200_FP4)
    h = served_moe(catalog, "dgx-h100", "fp8", count=64, **H100_FP8)
    assert gb.cost_basis == h.cost_basis == "tco"
    owned = {k: figure(e, f"{k} $ per million tokens, owned")
             for k in ("GB200 NVL72 (FP4)", "64 x H100 (FP8)")}
    assert owned["GB200 NVL72 (FP4)"] == pytest.approx(gb.usd_per_million_tokens)
    assert owned["64 x H100 (FP8)"] == pytest.approx(h.usd_per_million_tokens)
    assert figure(e, "cost per token, H100 / GB200 (NVIDIA's reading)") == \
        pytest.approx(h.usd_per_million_tokens / gb.usd_per_million_tokens)
    notes = {f.name: f.note for f in e.figures}
    assert "basis tco on both sides" in notes["cost per token, H100 / GB200 (NVIDIA's reading)"]
    # the breakdown in the note: capex, facility and electricity add up to the total
    parts = notes["64 x H100 (FP8) $ per million tokens, owned"].split(": ", 1)[1].split(", ")
    assert [p.split(" $")[0] for p in parts] == ["capex", "facility", "electricity"]
    assert sum(float(p.split("$")[1].replace(",", "")) for p in parts) == \
        pytest.approx(owned["64 x H100 (FP8)"], abs=0.02)
    # renting the same 64 H100 (AWS on demand) is the other basis, shown apart and far dearer
    rented = served_moe(catalog, "dgx-h100", "fp8", "rental", count=64, **H100_FP8)
    assert figure(e, "64 x H100 (FP8) $ per million tokens, rented") == \
        pytest.approx(rented.usd_per_million_tokens)
    assert rented.usd_per_million_tokens > owned["64 x H100 (FP8)"]
    assert e.verdict is Verdict.does_not_hold and "tco" in e.reading


def test_c20_energy_is_from_the_wall_on_both_sides(catalog):
    """Each side's energy per token carries the site's PUE; the ratio does not move with it."""
    e = evaluated("C20", catalog)
    h = figure(e, "64 x H100 (FP8) energy per token")
    assert e.headline.value == pytest.approx(h / figure(e, "GB200 NVL72 (FP4) energy per token"))
    pue = catalog.get("typical-ai-datacenter").pue_ratio
    hot = evaluated("C20", moved(catalog, "typical-ai-datacenter", ("pue_ratio",), 1.5 * pue.value))
    assert figure(hot, "64 x H100 (FP8) energy per token") == pytest.approx(1.5 * h)
    assert hot.headline.value == pytest.approx(e.headline.value)


def test_c20_verdict_follows_the_power_and_price_it_rests_on(catalog):
    frugal = moved(catalog, "gb200-nvl72", ("power_W",), 3e3)  # 1/40 of the rack's power
    e = evaluated("C20", frugal)
    assert e.headline.value > 25 and e.verdict is Verdict.does_not_hold  # cost: the price dominates
    cheap = moved(frugal, "gb200-nvl72", ("price_usd",), 75e3)  # and 1/40 of its price
    assert evaluated("C20", cheap).verdict is Verdict.holds


def test_c29_gives_the_break_even_price_and_judges_a_catalogued_one(catalog):
    e = evaluated("C29", catalog)
    speed = figure(e, "tokens/s, trn2 instance / 8 x H200")
    assert e.headline.value == pytest.approx(43.26 * speed / 1.3)
    assert e.verdict is Verdict.cannot_be_checked and "trn2.48xlarge" in e.missing
    assert figure(e, "price-performance, trn2 / H200 (tokens per dollar)") is None
    # the H200 side on basis rental, as the economics model prices it: $43.26/h over its tokens
    h200 = figure(e, "8 x H200 tokens/s")
    assert figure(e, "8 x H200 $ per million tokens, rented") == pytest.approx(43.26 / 3600 / h200 * 1e6)
    node = catalog.typed("trn2-instance", Node)
    price = catalog.typed("dgx-h200", Node).cloud_price_usd_per_hour

    def priced(usd_per_hour):
        return with_quantities(catalog, {node.id: {("cloud_price_usd_per_hour",):
                                                   price.model_copy(update={"value": usd_per_hour})}})
    cheap = evaluated("C29", priced(0.9 * e.headline.value))
    assert cheap.verdict is Verdict.holds
    assert figure(cheap, "price-performance, trn2 / H200 (tokens per dollar)") == pytest.approx(1.3 / 0.9)
    assert evaluated("C29", priced(43.26)).verdict is Verdict.does_not_hold


def test_c30_the_4x_is_the_144_chip_ultraserver_and_the_sparse_exaflop_fails(catalog):
    e = evaluated("C30", catalog)
    trn3, trn2 = (catalog.typed(i, Chip) for i in ("trainium3", "trainium2"))
    fp8 = trn3.peak_dense_flops_per_s[P.fp8].value / trn2.peak_dense_flops_per_s[P.fp8].value
    assert e.headline.value == pytest.approx(144 / 64 * fp8)
    assert figure(e, "FP8 dense peak, 64-chip Trn3 UltraServer / Trn2 UltraServer") == pytest.approx(fp8)
    assert e.verdict is Verdict.does_not_hold and "sparse" in e.sentence
