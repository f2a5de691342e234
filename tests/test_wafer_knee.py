"""The scaling knee of weight streaming: with a fixed global batch, compute per system shrinks
below each layer's stream time and the step stops falling; the knee sits at a fixed per-system
batch, so it moves right in proportion to the global batch."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wafersim.catalog import load_catalog
from wafersim.catalog.system import resolve
from wafersim.cost.train.knee import scaling_knee
from wafersim.cost.train.scenario import TrainWorkload
from wafersim.cost.train.wafer import train_wafer
from wafersim.models import load_model

CATALOG = load_catalog()


def _curve(batch, model="llama-2-70b", activations="sram", seq=4096):
    counts = [2**i for i in range(12) if 2**i <= batch]
    return [train_wafer(load_model(model), resolve(CATALOG, "cs-3").with_devices(n),
                        TrainWorkload(1e12, batch, seq), activations=activations) for n in counts]


@pytest.mark.parametrize("batch, knee", [(256, 128), (512, 256), (2048, 1024)])
def test_knee_of_70b_on_cs3_moves_with_the_global_batch(batch, knee):
    k = scaling_knee(_curve(batch))
    assert k.devices == knee and k.flat_from == 2 * knee  # two sequences per system
    assert k.exposed_exceeds_compute_at == knee


def test_past_the_knee_streaming_dominates():
    curve = _curve(512)
    last = curve[-1]
    assert last.breakdown["exposed_weight_streaming"] > last.breakdown["compute"]
    assert curve[0].breakdown["exposed_weight_streaming"] < curve[0].breakdown["compute"]


def test_cli_scaling_curve_reports_the_knee(cli):
    args = ("train", "--model", "llama-2-70b", "--system", "cs-3", "--tokens", "2e12",
            "--global-batch", "512", "--seq-len", "4096", "--count", "64,128,256,512")
    data = cli(*args, "--json").json()
    assert data["knee"]["devices"] == 256 and data["knee"]["exposed_exceeds_compute_at"] == 256
    assert "knee: the step stops falling by more than 10% after 256 devices" in cli(*args).out


MODELS = ["gpt3-1.3b", "llama-2-7b", "llama-2-70b", "gpt3-175b"]


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(MODELS), st.sampled_from([1, 2, 4, 16, 64, 256]), st.sampled_from([1, 4, 32]),
       st.sampled_from(["sram", "offload", "auto"]))
def test_adding_systems_at_a_fixed_per_system_batch(model, n, per_system, activations):
    """Weak scaling: throughput rises; the step grows by no more than the deeper SwarmX tree's
    fill; every breakdown adds up to its step."""
    runs = [train_wafer(load_model(model), resolve(CATALOG, "cs-3").with_devices(k),
                        TrainWorkload(1e12, per_system * k, 2048), activations=activations)
            for k in (n, 2 * n)]
    small, large = runs
    assert large.tokens_per_s > small.tokens_per_s
    fill = large.breakdown["exposed_swarmx_tree"] - small.breakdown["exposed_swarmx_tree"]
    assert large.step_time_s <= small.step_time_s + max(fill, 0.0) + 1e-12
    for r in runs:
        assert sum(r.breakdown.values()) == pytest.approx(r.step_time_s, rel=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(MODELS), st.sampled_from([1, 2, 8, 32, 128]),
       st.sampled_from(["sram", "offload", "auto"]))
def test_adding_systems_at_a_fixed_global_batch_never_slows(model, n, activations):
    steps = [train_wafer(load_model(model), resolve(CATALOG, "cs-3").with_devices(k),
                         TrainWorkload(1e12, 256, 2048), activations=activations).step_time_s
             for k in (n, 2 * n)]
    assert steps[1] <= steps[0] * (1 + 1e-9)
