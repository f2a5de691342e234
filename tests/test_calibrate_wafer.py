"""The wafer architecture's shared efficiencies: one joint fit over every generation's published
runs, with each row's leave-one-out prediction."""

import statistics

import pytest

from wafersim.validate.calibrate_wafer import fit_wafer
from wafersim.validate.fitting import with_fraction
from wafersim.validate.records import read
from wafersim.validate.run import predicted


@pytest.fixture(scope="module")
def fitted(catalog):
    return fit_wafer(read(), catalog)


def test_one_value_per_parameter_over_both_generations(fitted, catalog):
    fits, _, _ = fitted
    matmul = next(f for f in fits if f.parameter == "matmul_efficiency_fraction")
    assert matmul.part == "wse"
    systems = {r.system for r in read() if r.id in matmul.per_row}
    assert {"cs-2", "cs-3"} <= systems  # one value fitted on CS-2 and CS-3 runs together
    assert matmul.value == round(statistics.median(matmul.per_row.values()), 2)
    assert matmul.lo == round(min(matmul.per_row.values()), 2)


def test_each_rows_own_value_reproduces_it(fitted, catalog):
    _, _, checks = fitted
    rows = {r.id: r for r in read()}
    for h in checks:
        cat = with_fraction(catalog, h.part, (h.parameter,), h.own_value)
        assert predicted(rows[h.id], cat) == pytest.approx(h.measured, rel=0.02)


def test_leave_one_out_uses_the_other_rows_only(fitted):
    fits, _, checks = fitted
    for f in fits:
        mine = [h for h in checks if h.parameter == f.keys[0]]
        assert {h.id for h in mine} == set(f.per_row)
        for h in mine:
            others = [v for k, v in f.per_row.items() if k != h.id]
            assert h.others_value == pytest.approx(statistics.median(others))
            assert h.error == pytest.approx(h.predicted / h.measured - 1)


def test_a_single_row_is_not_a_joint_fit(catalog):
    rows = [r for r in read() if r.id in ("CB04", "I032", "I039")]
    fits, skipped, _ = fit_wafer(rows, catalog)
    assert [f.parameter for f in fits] == ["serving_efficiency_fraction"]
    assert any("a joint fit needs two" in s.reason for s in skipped)
