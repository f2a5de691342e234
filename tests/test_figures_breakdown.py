"""Breakdown figure: one stacked bar per result whose parts add up to its step time."""

import pytest

from wafersim import api
from wafersim.errors import ConfigError
from wafersim.figures.breakdown import breakdown_figure

pytest.importorskip("matplotlib")

from wafersim.figures.static import render  # noqa: E402

SYSTEMS = ["cs-3", "dgx-h100"]


@pytest.fixture(scope="module")
def trained(catalog):
    return [api.train("llama-3.1-70b", s, 1e12, count=64, catalog=catalog) for s in SYSTEMS]


def _bar_totals(figure):
    return [sum(s.y[i] for s in figure.series) for i in range(len(figure.series[0].x))]


def test_training_bars_add_up_to_the_step_times(trained):
    f = breakdown_figure(trained, SYSTEMS)
    assert f.stacked and all(s.x == tuple(SYSTEMS) and s.kind == "bar" for s in f.series)
    assert _bar_totals(f) == pytest.approx([r.step_time_s for r in trained], rel=1e-12)
    assert {s.name for s in f.series} <= set(trained[0].breakdown) | set(trained[1].breakdown)
    assert "compute" in {s.name for s in f.series}


def test_serving_bars_add_up_to_the_time_per_token(catalog):
    served = [api.infer("llama-3.1-8b", s, batch=4, catalog=catalog) for s in SYSTEMS]
    f = breakdown_figure(served, SYSTEMS)
    assert _bar_totals(f) == pytest.approx([r.tpot_s for r in served], rel=1e-12)
    assert all(any(s.y) for s in f.series)  # parts zero in every bar are left out


def test_mixed_results_and_wrong_label_counts_are_refused(trained, catalog):
    served = api.infer("llama-3.1-8b", "dgx-h100", catalog=catalog)
    with pytest.raises(ConfigError, match="mixed"):
        breakdown_figure([trained[0], served], ["a", "b"])
    with pytest.raises(ConfigError, match="one label per result"):
        breakdown_figure(trained, ["a"])


def test_the_chart_is_the_same_bytes_twice(trained):
    f = breakdown_figure(trained, SYSTEMS)
    assert render(f, "svg") == render(f, "svg") and render(f, "png") == render(f, "png")
