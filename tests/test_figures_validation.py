"""Validation figure: predicted against measured, one series per family from the catalog (vendor
and device class), the y = x guide, point labels the row ids."""

import pytest

from wafersim.catalog.system import resolve
from wafersim.figures.validation import family, validation_figure
from wafersim.validate.records import read
from wafersim.validate.run import validate

pytest.importorskip("matplotlib")

from wafersim.figures.static import render  # noqa: E402


@pytest.fixture(scope="module")
def outcomes(catalog):
    return validate(read(None, catalog), kinds=("infer",), catalog=catalog)


@pytest.fixture(scope="module")
def figure(outcomes, catalog):
    return validation_figure(outcomes, catalog=catalog)


def test_every_predicted_row_is_one_point_labelled_by_its_id(figure, outcomes):
    ok = {o.id: o for o in outcomes if o.status == "ok"}
    points = {label: (x, y) for s in figure.series for label, x, y in zip(s.labels, s.x, s.y, strict=True)}
    assert points == {i: (o.measured, o.predicted) for i, o in ok.items()}
    assert figure.x_log and figure.y_log and all(s.kind == "scatter" for s in figure.series)


def test_families_come_from_the_catalogs_vendor_and_device_class(figure, outcomes, catalog):
    by_id = {o.id: o for o in outcomes}
    for s in figure.series:
        for label in s.labels:
            chip = resolve(catalog, by_id[label].system).chip
            assert s.name == family(by_id[label].system, catalog)
            assert s.name.startswith(chip.vendor)
    names = {s.name for s in figure.series}
    assert {"NVIDIA GPU", "Cerebras wafer"} <= names


def test_the_guide_is_y_equals_x_across_every_point(figure):
    (guide,) = figure.guides
    assert guide.x == guide.y
    values = [v for s in figure.series for v in s.x + s.y]
    assert (guide.x[0], guide.x[1]) == (min(values), max(values))


def test_the_chart_is_the_same_bytes_twice(figure):
    assert render(figure, "png") == render(figure, "png")
