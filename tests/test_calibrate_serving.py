"""Serving efficiency per HBM chip: fitted on documented rows, reproduced by the catalog."""

import pytest

from wafersim.catalog import Chip
from wafersim.validate import infer
from wafersim.validate.calibrate_serving import SERVING_CALIBRATION_ROWS, fit, solve_row, with_serving
from wafersim.validate.records import read


@pytest.fixture(scope="module")
def rows():
    return {r.id: r for r in read()}


def test_catalog_holds_the_fitted_values(catalog, rows):
    fits, _ = fit(list(rows.values()), catalog)
    assert {f.part for f in fits} == set(SERVING_CALIBRATION_ROWS)
    for f in fits:
        stored = catalog.typed(f.part, Chip).serving_efficiency_fraction
        assert stored.source == "cal-serving" and stored.value == pytest.approx(f.value, abs=0.006)
        assert stored.lo <= f.value <= stored.hi and len(f.per_row) >= 2


def test_solved_value_reproduces_its_row(catalog, rows):
    row = rows["I018"]
    value = solve_row(row, catalog)
    got = infer.predict(row, infer.run(row, with_serving(catalog, "h100-sxm", value)))
    assert got == pytest.approx(row.float("value"), rel=1e-6)


def test_stack_share_is_its_own_part(catalog, rows):
    result = infer.run(rows["I014"], catalog)
    parts = result.decode_breakdown
    assert parts["serving_stack"] > 0
    assert sum(parts.values()) == pytest.approx(result.tpot_s)
