"""Training frameworks: catalog parts whose speed over the chip's default framework changes a
training step, fitted on the rows marked trainfw and applied by train(framework=...)."""

import pytest

from wafersim import api
from wafersim.catalog import Framework, Quantity
from wafersim.catalog.variants import with_quantities
from wafersim.errors import ConfigError, ParameterError, UnknownIdError
from wafersim.validate import train as vtrain
from wafersim.validate.calibrate_frameworks import fit_frameworks, solve_row, with_speed
from wafersim.validate.frameworks import framework_of
from wafersim.validate.records import Calibrates, Record, read

DS = "megatron-deepspeed"


@pytest.fixture(scope="module")
def rows():
    return {r.id: r for r in read()}


def _ratio(value):
    return Quantity(value=value, dimension="ratio", tag="derived", source="derived")


def test_every_default_chip_has_one_default_framework(catalog):
    defaults = [c for f in catalog.of_kind(Framework) for c in f.default_for]
    assert len(defaults) == len(set(defaults)) and "a100-sxm-80gb" in defaults
    assert all(f.speed == 1.0 for f in catalog.of_kind(Framework) if f.default_for)


def test_lookup_by_engine_and_release(catalog):
    assert catalog.framework(DS).id == DS
    assert catalog.framework(f"{DS}:2022-01").speed == catalog.framework(DS).speed < 1
    with pytest.raises(UnknownIdError, match="known frameworks: .*megatron-lm"):
        catalog.framework("deepspeed-chat")
    with pytest.raises(UnknownIdError, match="known releases: 2022-01"):
        catalog.framework(f"{DS}:2022")


def test_a_default_framework_may_not_set_a_speed(catalog):
    with pytest.raises(ConfigError, match="default framework .* drop speed_ratio"):
        with_quantities(catalog, {"megatron-lm": {("speed_ratio",): _ratio(0.9)}})


def test_a_slower_framework_slows_the_step_by_its_ratio_and_says_so(catalog):
    plan = api.Constraints(tp=8, pp=1, dp=8)
    base = api.train("llama-2-7b", "a100-sxm-80gb", 1e11, count=64, plan=plan, catalog=catalog)
    slow = api.train("llama-2-7b", "a100-sxm-80gb", 1e11, count=64, plan=plan, catalog=catalog,
                     framework=DS)
    named = api.train("llama-2-7b", "a100-sxm-80gb", 1e11, count=64, plan=plan, catalog=catalog,
                      framework="megatron-lm")
    assert named.step_time_s == base.step_time_s < slow.step_time_s
    assert slow.step_time_s < base.step_time_s / catalog.framework(DS).speed
    assert any("megatron-deepspeed: 0.78x" in a for a in slow.assumptions)


def test_frameworks_are_refused_on_wafers(catalog):
    with pytest.raises(ParameterError, match="weight streaming"):
        api.train("llama-2-7b", "cs-3", 1e11, catalog=catalog, framework="nemo")


def test_row_framework_resolves_only_where_the_catalog_covers_its_release(rows, catalog):
    assert framework_of(rows["T036"], catalog) == f"{DS}:2022-01"
    assert framework_of(rows["T032"], catalog) is None  # BigScience's 2022 fork: chip default
    assert framework_of(rows["T001"], catalog) == "megatron-lm"  # release unstated
    assert framework_of(rows["T041"], catalog) is None  # hai-llm: not in the catalog


def test_calibrates_form_names_the_row_engine(rows):
    assert Calibrates.parse(f"trainfw:{DS}:speed_ratio") == rows["T036"].calibrates
    with pytest.raises(ValueError, match="training framework's parameter is one of speed_ratio"):
        Calibrates.parse(f"trainfw:{DS}:step_s")
    with pytest.raises(ValueError, match="names nemo but the row's framework is megatron-deepspeed"):
        Record.model_validate(rows["T036"].model_dump() | {"calibrates": "trainfw:nemo:speed_ratio"})


def test_fit_reproduces_its_row_and_needs_a_held_out_one(rows, catalog):
    fits, skipped = fit_frameworks([rows["T036"], rows["T038"]], catalog)
    assert [f.part for f in fits] == [DS] and not skipped
    speed = solve_row(rows["T036"], catalog, DS)
    predicted = vtrain.predict(rows["T036"], vtrain.run(rows["T036"], with_speed(catalog, DS, speed)))
    assert predicted == pytest.approx(rows["T036"].value, rel=1e-3)
    fits, skipped = fit_frameworks([rows["T036"]], catalog)
    assert not fits and "no row of it is held out" in skipped[0].reason
