"""The simulated weight-streaming step agrees in time with the analytical model: both read the
wafer's weight buffers and the SwarmX tree latency from one catalog node."""

from dataclasses import replace

import pytest

from wafersim.catalog import Catalog
from wafersim.catalog.schema import Node, Quantity
from wafersim.errors import ConfigError
from wafersim.mesh.functional import GPTConfig, train_streaming
from wafersim.mesh.functional.cluster import cluster_of
from wafersim.validate.functional import TIME_TOLERANCE, agreement

WIDE = replace(GPTConfig(), d_model=256, grid=(16, 16))  # layers' streams beside tiny units


def _with_buffers(catalog: Catalog, count: float | None) -> Catalog:
    node = catalog.typed("cs-3", Node)
    q = None if count is None else Quantity(value=count, dimension="count", tag="derived",
                                            source="derived")
    return Catalog(dict(catalog.parts) | {"cs-3": node.model_copy(
        update={"weight_buffers_count": q})}, catalog.sources)


@pytest.mark.parametrize("wafers", [1, 2, 4])
def test_step_time_agrees_at_d_model_256(wafers):
    """The per-pass sum of max(compute, stream) put the model 17-21% below the simulator here."""
    check = agreement(train_streaming(WIDE, wafers=wafers, steps=1, seed=0))
    assert abs(check.compute_error) < 0.02
    assert abs(check.time_error) < TIME_TOLERANCE


def test_both_sides_read_the_catalogued_buffers(catalog):
    """One buffer: no unit streams ahead, so every stream and tree latency shows, on both sides."""
    runs = {n: train_streaming(WIDE, wafers=4, steps=1, catalog=_with_buffers(catalog, n))
            for n in (1, 2)}
    checks = {n: agreement(run, _with_buffers(catalog, n)) for n, run in runs.items()}
    assert checks[1].step_time_s_sim > checks[2].step_time_s_sim + 30e-6
    assert checks[1].step_time_s_model > checks[2].step_time_s_model + 30e-6
    assert abs(checks[1].time_error) < TIME_TOLERANCE


def test_a_node_without_buffers_names_the_field(catalog):
    with pytest.raises(ConfigError, match="weight buffers"):
        cluster_of("cs-3", _with_buffers(catalog, None))
