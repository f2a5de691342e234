"""Serving figure: total throughput against speed per user through the batches, each point the
API's numbers on the fewest devices that hold the model."""

import pytest

from wafersim import api
from wafersim.figures.serving import batches_up_to, fitting_count, serving_figure

pytest.importorskip("matplotlib")

from wafersim.figures.static import render  # noqa: E402


@pytest.fixture(scope="module")
def figure(catalog):
    return serving_figure("llama-3.1-8b", ["dgx-h100", "cs-3"], input_tokens=512,
                          output_tokens=256, catalog=catalog)


def test_batches_double_up_to_the_most_that_fit():
    assert batches_up_to(1) == [1]
    assert batches_up_to(8) == [1, 2, 4, 8]
    assert batches_up_to(13) == [1, 2, 4, 8, 13]


def test_each_point_is_the_apis_serving_numbers(figure, catalog):
    assert [s.name for s in figure.series] == ["dgx-h100", "cs-3"]
    for s in figure.series:
        count = fitting_count("llama-3.1-8b", s.name, catalog)
        largest = api.infer("llama-3.1-8b", s.name, batch=1, input_tokens=512, output_tokens=256,
                            count=count, catalog=catalog).max_batch
        assert len(s.x) == len(batches_up_to(largest))
        for label, x, y in zip(s.labels, s.x, s.y, strict=True):
            batch = int(label.rsplit(" ", 1)[1])
            r = api.infer("llama-3.1-8b", s.name, batch=batch, input_tokens=512,
                          output_tokens=256, count=count, catalog=catalog)
            assert (x, y) == (r.user_tokens_per_s, r.throughput_tokens_per_s)


def test_more_requests_give_more_total_throughput_at_first(figure):
    h100 = figure.series[0]
    assert h100.y[1] > h100.y[0] and h100.x[1] <= h100.x[0]


def test_a_system_that_cannot_serve_the_model_is_named(catalog):
    f = serving_figure("dense-24t", ["h100-sxm"], input_tokens=128, output_tokens=128,
                       catalog=catalog)
    assert f.series == () and "h100-sxm" in f.note


def test_the_svg_is_the_same_bytes_twice(figure):
    svg = render(figure, "svg")
    assert svg.lstrip().startswith(b"<?xml") and b"<svg" in svg and svg == render(figure, "svg")
