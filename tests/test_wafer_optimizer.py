"""The MemoryX weight update: from the catalog (its compute when catalogued, else at the gradient
stream rate), overlapped with the backward pass, exposed only at the iteration boundary, after the
last layer's gradient has streamed up."""

from dataclasses import replace

import pytest

from wafersim.catalog.schema import Quantity
from wafersim.catalog.system import resolve
from wafersim.cost.train import wafer_passes as wp
from wafersim.cost.train.scenario import TrainWorkload
from wafersim.cost.train.wafer import train_wafer
from wafersim.models import load_model

WORK = TrainWorkload(1e9, 256, 4096)


def _run(catalog, optimizer_flops_per_s=None):
    system = resolve(catalog, "cs-3")
    if optimizer_flops_per_s is not None:
        q = Quantity(value=optimizer_flops_per_s, dimension="flops_per_s", tag="unverified",
                     source="test")
        system = replace(system, memory_service=system.memory_service.model_copy(
            update={"optimizer_flops_per_s": q}))
    return train_wafer(load_model("llama-2-70b"), system, WORK)


def test_uncatalogued_update_costs_two_layer_streams(catalog):
    """llama-2-70b: 68.98e9 parameters less the embeddings over 80 layers ~ 0.856e9 per layer,
    bf16 at 150 GB/s: ~11.4 ms for the last layer's gradient to stream up, then as long for its
    update, the only exposed one."""
    r = _run(catalog)
    model = load_model("llama-2-70b")
    layer_bytes = (model.params_total - 2 * 32000 * 8192) / 80 * 2
    assert r.breakdown["optimizer"] == pytest.approx(2 * layer_bytes / 150e9, rel=0.01)
    assert any("MemoryX updates a layer" in n and "not catalogued" in n for n in r.assumptions)


def test_slow_catalogued_update_backs_up_into_the_step(catalog):
    fast, slow = _run(catalog, 1e15), _run(catalog, 1e11)
    assert fast.breakdown["optimizer"] == pytest.approx(_run(catalog).breakdown["optimizer"])
    per_layer = wp.ADAM_FLOPS_PER_PARAM * 0.856e9 / 1e11  # ~0.1 s per layer, > a layer's backward
    assert slow.breakdown["optimizer"] > 40 * per_layer
    assert sum(slow.breakdown.values()) == pytest.approx(slow.step_time_s)


@pytest.mark.parametrize("update, backward, layers, gradient, exposed", [
    (1.0, 2.0, 80, 0.0, 1.0),  # keeps pace: only the first layer's update is exposed
    (3.0, 2.0, 80, 0.0, 3.0 + 79 * 1.0),  # falls behind by 1 s per layer
    (2.0, 2.0, 1, 0.0, 2.0),
    (1.0, 2.0, 80, 1.0, 2.0),  # the last layer's gradient streams up before its update
])
def test_exposed_update_formula(update, backward, layers, gradient, exposed):
    assert wp.optimizer_exposed_s(update, backward, layers, gradient) == pytest.approx(exposed)
