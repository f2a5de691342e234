"""The weight-streaming pipeline of the analytical model: a unit's refill waits for a free weight
buffer and the SwarmX tree, and after the backward pass the gradients drain into MemoryX."""

import pytest

from wafersim.cost.train import wafer_passes as wp


def test_a_layer_after_a_tiny_unit_waits_for_its_own_stream():
    """Two buffers: the layer streams only while the tiny unit before it computes."""
    starts = wp.unit_starts_s([0.0, 10.0, 10.0], [0.1, 5.0, 5.0], 0.0, 2)
    assert starts == pytest.approx([0.1, 5.1, 15.1])


def test_the_tree_latency_shows_where_compute_is_shorter():
    """Compute 1, stream 1, latency 5, two buffers: each pair of units waits out one refill."""
    starts = wp.unit_starts_s([1.0] * 4, [1.0] * 4, 5.0, 2)
    assert starts == pytest.approx([6.0, 7.0, 13.0, 14.0])
    assert wp.unit_starts_s([1.0] * 4, [1.0] * 4, 5.0, 4) == pytest.approx([6.0, 7.0, 8.0, 9.0])


@pytest.mark.parametrize("compute, stream, latency", [
    (10.0, 1.0, 5.0), (1.0, 10.0, 5.0), (1.0, 1.0, 5.0), (2.0, 1.0, 0.0)])
@pytest.mark.parametrize("buffers", [1, 2, 3])
def test_period_is_the_long_run_rate_of_equal_units(compute, stream, latency, buffers):
    n = 60 * buffers
    starts = wp.unit_starts_s([compute] * n, [stream] * n, latency, buffers)
    rate = (starts[-1] - starts[-1 - 30 * buffers]) / (30 * buffers)
    assert rate == pytest.approx(wp.period_s(compute, stream, latency, buffers))


def test_real_sizes_leave_the_layer_at_max_of_compute_and_stream():
    layer = wp.Layer(0.1, 0.2, 0.0, 0.05, refill_latency_s=30e-6, buffers=2)
    assert layer.forward_s == 0.1 and layer.backward_s == 0.2 and layer.exposed_stream_s == 0.0
    starved = wp.Layer(1e-6, 2e-6, 0.0, 1e-6, refill_latency_s=5e-6, buffers=2)
    assert starved.forward_s == pytest.approx(3.5e-6)


def test_the_last_big_gradient_drains_after_a_tiny_unit():
    """Backward order layer then embedding: the layer's gradient and update outlast the
    embedding's."""
    drain = wp.drain_s([66.0, 0.0], [10.5, 0.14], [10.5, 0.14], 0.0)
    assert drain == pytest.approx(10.5 + 10.5 + 0.14)
    assert wp.drain_s([66.0, 0.0], [10.5, 0.14], [10.5, 0.14], 5.0) == pytest.approx(26.14)
