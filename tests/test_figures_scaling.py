"""Scaling figure: one curve per system of the API's training throughput, counts that cannot run
left out and named, linear guides from each smallest count; drawn to the same bytes twice."""

import pytest

from wafersim import api
from wafersim.figures.scaling import scaling_figure

pytest.importorskip("matplotlib")

from wafersim.figures.static import render  # noqa: E402

COUNTS = (1, 8, 64, 512)


@pytest.fixture(scope="module")
def figure(catalog):
    return scaling_figure("llama-3-70b", ["cs-3", "dgx-h100"], tokens=1e12, counts=COUNTS,
                          catalog=catalog)


def test_each_point_is_the_apis_training_throughput(figure, catalog):
    assert [s.name for s in figure.series] == ["cs-3", "dgx-h100"]
    for s in figure.series:
        for x, y in zip(s.x, s.y, strict=True):
            r = api.train("llama-3-70b", s.name, 1e12, count=int(x), catalog=catalog)
            assert y == r.tokens_per_s
    assert figure.x_log and figure.y_log


def test_counts_the_model_does_not_fit_are_left_out_and_named(figure):
    by_name = {s.name: s for s in figure.series}
    assert by_name["cs-3"].x == (1.0, 8.0, 64.0, 512.0)
    assert by_name["dgx-h100"].x == (64.0, 512.0)
    assert "dgx-h100 at 1, 8" in figure.note


def test_the_linear_guide_starts_at_each_curves_first_point(figure):
    guides = {g.name: g for g in figure.guides}
    for s in figure.series:
        g = guides[f"{s.name} linear"]
        assert (g.x[0], g.y[0]) == (s.x[0], s.y[0])
        assert g.y[1] == pytest.approx(s.y[0] * s.x[-1] / s.x[0])
        assert s.y[-1] <= g.y[1] * (1 + 1e-9)  # no system scales better than linear


def test_the_chart_is_the_same_bytes_twice(figure):
    png = render(figure, "png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and png == render(figure, "png")
