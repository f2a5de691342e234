"""Serving efficiency per HBM chip: fitted on the rows marked serving:<chip>, reproduced by the
catalog."""

import statistics

import pytest

from wafersim.catalog import Chip
from wafersim.cost.infer.hbm import DEFAULT_SERVING_EFFICIENCY
from wafersim.validate import infer
from wafersim.validate.calibrate_serving import SAME_DIE, fit_serving, solve_row, with_serving
from wafersim.validate.records import read, subsets


@pytest.fixture(scope="module")
def rows():
    return {r.id: r for r in read()}


@pytest.fixture(scope="module")
def fitted_chips(rows):
    return {c.key for c in subsets(rows.values(), "serving")}


def test_catalog_holds_the_fitted_values(catalog, rows, fitted_chips):
    fits, _ = fit_serving(list(rows.values()), catalog)
    assert {f.part for f in fits} == fitted_chips | set(SAME_DIE)
    for f in fits:
        stored = catalog.typed(f.part, Chip).serving_efficiency_fraction
        assert stored.source == "cal-serving" and stored.value == pytest.approx(f.value, abs=0.006)
        assert stored.lo <= f.value <= stored.hi
        assert len(f.per_row) >= 2 or f.part in SAME_DIE


def test_same_die_chips_take_their_siblings_value(catalog, rows):
    fits = {f.part: f for f in fit_serving(list(rows.values()), catalog)[0]}
    for chip, sibling in SAME_DIE.items():
        assert fits[chip].value == fits[sibling].value and not fits[chip].per_row


def test_default_is_the_median_of_the_fitted_chips(catalog, fitted_chips):
    values = [catalog.typed(c, Chip).serving_efficiency_fraction.value for c in fitted_chips]
    assert DEFAULT_SERVING_EFFICIENCY == pytest.approx(statistics.median(values), abs=0.006)


def test_solved_value_reproduces_its_row(catalog, rows):
    row = rows["I018"]
    value = solve_row(row, catalog)
    got = infer.predict(row, infer.run(row, with_serving(catalog, "h100-sxm", value)))
    assert got == pytest.approx(row.value, rel=1e-6)


def test_stack_share_is_its_own_part(catalog, rows):
    result = infer.run(rows["I014"], catalog)
    parts = result.decode_breakdown
    assert parts["serving_stack"] > 0
    assert sum(parts.values()) == pytest.approx(result.tpot_s)
