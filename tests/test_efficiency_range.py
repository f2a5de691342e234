"""Efficiency ranges: `validate --range` predicts each row with its system's ranged efficiencies
at their low and high bounds (the band holds the nominal prediction and says whether the
measurement is inside); `train --range` and `infer --range` report the headline figures so."""

import pytest

from wafersim.catalog.variants import corner, efficiencies, ranged, replace
from wafersim.validate.records import read
from wafersim.validate.run import summary, validate


@pytest.fixture(scope="module")
def outcomes(catalog):
    return validate(read(), catalog=catalog, with_range=True)


def test_band_holds_the_nominal_prediction(outcomes):
    ok = [o for o in outcomes if o.status == "ok"]
    assert ok and all(o.low <= o.predicted <= o.high for o in ok)
    assert all(o.inside == (o.low <= o.measured <= o.high) for o in ok)
    assert all(o.low is None and o.inside is None for o in outcomes if o.status != "ok")


def test_framework_range_spreads_training_rows(outcomes, catalog):
    q = catalog.get("a100-sxm-80gb").framework_efficiency_fraction
    t017 = next(o for o in outcomes if o.id == "T017")
    assert q.lo < q.value < q.hi
    assert t017.low < t017.predicted < t017.high  # throughput metric: low efficiency, low figure


def test_no_ranged_efficiency_no_spread(outcomes, catalog):
    assert ranged(catalog, "gaudi2") == {}
    m001 = next(o for o in outcomes if o.id == "M001")
    assert m001.low == m001.high == m001.predicted


def test_corners_move_every_ranged_efficiency(catalog):
    nominal = catalog.get("h100-sxm").framework_efficiency_fraction.value
    fields = ranged(catalog, "h100-sxm")
    assert ("framework_efficiency_fraction",) in fields["h100-sxm"]
    assert ("efficiency_fraction",) in fields["nvlink4-nvswitch"]
    low, high = corner(catalog, "h100-sxm", "lo"), corner(catalog, "h100-sxm", "hi")
    for part, keys in (("h100-sxm", ("framework_efficiency_fraction",)),
                       ("nvlink4-nvswitch", ("efficiency_fraction",))):
        q = efficiencies(catalog.get(part))[keys]
        assert efficiencies(low.get(part))[keys].value == q.lo
        assert efficiencies(high.get(part))[keys].value == q.hi
    assert catalog.get("h100-sxm").framework_efficiency_fraction.value == nominal  # untouched


def test_replace_reaches_nested_quantities(catalog):
    wse = catalog.get("wse-3")
    q = wse.wafer.sram_usable_fraction.model_copy(update={"value": 0.5})
    new = replace(wse, ("wafer", "sram_usable_fraction"), q)
    assert new.wafer.sram_usable_fraction.value == 0.5
    fp8 = replace(catalog.get("h100-sxm"), ("matmul_efficiency_fraction", "fp8"), q)
    assert fp8.matmul_efficiency_fraction["fp8"].value == 0.5
    assert fp8.matmul_efficiency_fraction["bf16"].value == 0.803


def test_summary_counts_rows_inside(outcomes):
    report = summary(outcomes)
    for kind in ("train", "infer", "micro"):
        c = report["range_per_kind"][kind]
        assert c["n"] == report["per_kind"][kind]["n"]
        assert c["inside"] == sum(bool(o.inside) for o in outcomes if o.kind == kind)
        assert c["inside_fraction"] == pytest.approx(c["inside"] / c["n"])
    assert report["range_per_kind"]["train"]["with_spread"] > 0
    assert "range_per_kind" not in summary(validate(read(), ("micro",)))


def test_cli_range_json_and_bad_input(cli):
    r = cli("validate", "--kind", "micro", "--range", "--json")
    assert r.code == 0
    data = r.json()
    assert {"low", "high", "inside"} <= set(data["rows"][0])
    assert {"n", "inside", "inside_fraction"} <= set(data["summary"]["range_per_kind"]["micro"])
    r = cli("validate", "--range", "--kind", "nope")
    assert r.code == 2 and r.err.count("\n") == 1 and "--kind 'nope'" in r.err
    r = cli("validate", "--range", "--data", "/no/such.csv")
    assert r.code == 2 and r.err.startswith("error: cannot read")


def test_train_range_brackets_the_nominal_figures(cli):
    r = cli("train", "--model", "llama-2-7b", "--system", "dgx-a100", "--count", "64", "--tokens",
            "2T", "--range", "--json")
    assert r.code == 0
    data = r.json()
    low, high = data["range"]["efficiency_low"], data["range"]["efficiency_high"]
    assert low["step_time_s"] > data["step_time_s"] > high["step_time_s"]
    assert low["mfu"] < data["mfu"] < high["mfu"]
    assert any("framework_efficiency_fraction" in p for p in data["range"]["parameters"])
    r = cli("train", "--model", "llama-2-7b", "--system", "dgx-a100", "--count", "64,128",
            "--tokens", "2T", "--range")
    assert r.code == 2 and r.err.count("\n") == 1 and "--range takes one --count" in r.err


def test_infer_range_brackets_the_nominal_figures(cli):
    r = cli("infer", "--model", "llama-3.1-8b", "--system", "cs-3", "--range", "--json")
    assert r.code == 0
    data = r.json()
    low, high = data["range"]["efficiency_low"], data["range"]["efficiency_high"]
    assert low["user_tokens_per_s"] < data["user_tokens_per_s"] < high["user_tokens_per_s"]
    r = cli("infer", "--model", "llama-3.1-8b", "--system", "cs-3", "--batch", "1,2", "--range")
    assert r.code == 2 and r.err.count("\n") == 1 and "--range takes one --batch" in r.err
    r = cli("infer", "--model", "llama-3.1-8b", "--system", "gaudi2", "--range")
    assert r.code == 0 and "ranged: none" in r.out
