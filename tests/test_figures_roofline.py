"""Roofline figure: the system's bandwidth slope and compute ceiling, and the workload's points
placed by arithmetic intensity at the API's achieved speed."""

import pytest

from wafersim import api
from wafersim.figures.roofline import roofline_figure
from wafersim.models import load_model
from wafersim.ops.graph import lower

pytest.importorskip("matplotlib")

from wafersim.figures.static import render  # noqa: E402


@pytest.fixture(scope="module")
def figure(catalog):
    return roofline_figure("llama-3.1-70b", "dgx-h100", input_tokens=1024, output_tokens=512,
                           batches=(1, 8, 64), catalog=catalog)


def test_the_guides_meet_at_the_ridge_point(figure):
    slope, ceiling = figure.guides
    assert slope.x[1] == ceiling.x[0] and slope.y[1] == ceiling.y[0] == ceiling.y[1]
    assert slope.y[0] / slope.x[0] == pytest.approx(slope.y[1] / slope.x[1])  # y = bandwidth x
    assert "TB/s" in slope.name and "PFLOP/s" in ceiling.name


def test_decode_grows_in_intensity_with_batch_and_stays_under_the_roof(figure):
    prefill, decode = figure.series
    slope, ceiling = figure.guides
    bandwidth, peak = slope.y[1] / slope.x[1], ceiling.y[0]
    assert decode.labels == ("decode, batch 1", "decode, batch 8", "decode, batch 64")
    assert list(decode.x) == sorted(decode.x) and prefill.x[0] > decode.x[-1]
    for x, y in zip(prefill.x + decode.x, prefill.y + decode.y, strict=True):
        assert y <= min(peak, bandwidth * x)


def test_the_achieved_speed_is_the_models_flops_over_the_apis_step_time(figure, catalog):
    model = load_model("llama-3.1-70b")
    for batch, y in zip((1, 8, 64), figure.series[1].y, strict=True):
        r = api.infer(model, "dgx-h100", batch=batch, input_tokens=1024, output_tokens=512,
                      count=8, catalog=catalog)
        assert y == lower(model, "decode", batch, 1024 + 256).forward_flops / r.tpot_s


def test_batches_past_the_most_that_fit_are_named(catalog):
    f = roofline_figure("llama-3.1-70b", "cs-3", input_tokens=1024, output_tokens=512,
                        batches=(1, 100_000), catalog=catalog)
    assert f.series[1].labels == ("decode, batch 1",) and "100000" in f.note


def test_the_png_is_the_same_bytes_twice(figure):
    assert render(figure, "png") == render(figure, "png")
