"""Weight-streaming training on wafer-scale clusters: calibration, capacity, scaling knee."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wafersim import train
from wafersim.catalog.system import resolve
from wafersim.catalog.variants import corner
from wafersim.cost.train.scenario import TrainWorkload
from wafersim.cost.train.wafer import train_wafer
from wafersim.errors import ConfigError, InfeasiblePlan
from wafersim.models import load_model


@pytest.mark.parametrize("model_id, system_id, batch, seq, measured", [
    ("gpt-j-6b", "cs-2", 66, 2048, 40550.4),      # public.csv CB04 (calibration row)
    ("llama-2-7b", "cs-3", 1024, 4096, 130990.08),  # public.csv CB07 (calibration row)
])
def test_calibration_rows_inside_the_shared_range(catalog, model_id, system_id, batch, seq,
                                                  measured):
    """One efficiency for every generation: each published run lies between the predictions at
    the low and high end of the architecture's range."""
    ends = [train(model_id, system_id, 1e9, global_batch=batch, seq_len=seq,
                  catalog=corner(catalog, system_id, side)).tokens_per_s for side in ("lo", "hi")]
    assert ends[0] * 0.95 <= measured <= ends[1] * 1.05  # range ends are rounded to 2 digits


def test_breakdown_sums_and_keys(catalog):
    r = train("llama-2-70b", "cs-3", 2e12, count=64, global_batch=2048, seq_len=4096,
              catalog=catalog)
    assert sum(r.breakdown.values()) == pytest.approx(r.step_time_s)
    data = r.to_json()
    for key in ("step_time_s", "tokens_per_s", "wall_time_s", "device_hours", "mfu",
                "flops_per_s_per_device", "memory_bytes_per_device", "energy_J", "cost_usd",
                "breakdown", "plan", "assumptions"):
        assert key in data
    assert r.compute_time_s == pytest.approx(2e12 / r.tokens_per_s)
    assert r.wall_time_s == pytest.approx(r.compute_time_s / r.goodput)
    assert 0 < r.mfu < 1


def _step(catalog, n, batch, model="llama-2-70b"):
    system = resolve(catalog, "cs-3").with_devices(n)
    return train_wafer(load_model(model), system, TrainWorkload(1e12, batch, 4096)).step_time_s


def test_knee_exists_and_moves_right_with_batch(catalog):
    counts = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048]
    small = [_step(catalog, n, 2048) for n in counts]
    large = [_step(catalog, n, 16384) for n in counts]
    assert all(b <= a * (1 + 1e-9) for a, b in zip(small, small[1:], strict=False))  # never slower with more
    assert small[-1] == pytest.approx(small[-2], rel=0.05)  # flat past the knee

    def knee(curve):  # first doubling that gains less than 1.5x; len(curve) if none
        return next((i for i in range(1, len(curve)) if curve[i - 1] / curve[i] < 1.5), len(curve))

    assert knee(small) < len(counts) and knee(large) > knee(small)


@settings(max_examples=25, deadline=None)
@given(st.sampled_from([1, 4, 16, 64, 256]), st.floats(0.0, 0.9))
def test_sparsity_never_slows(n, sparsity):
    from wafersim.catalog import load_catalog

    cat = load_catalog()
    system = resolve(cat, "cs-3").with_devices(n)
    work = TrainWorkload(1e12, 2048, 2048)
    dense = train_wafer(load_model("llama-2-7b"), system, work).step_time_s
    sparse = train_wafer(load_model("llama-2-7b"), system, work, sparsity=sparsity).step_time_s
    assert sparse <= dense * (1 + 1e-12)


def test_memoryx_capacity(catalog):
    with pytest.raises(InfeasiblePlan, match="MemoryX holds 24.0 TB"):
        train("dense-24t", "cs-3", 1e12, memory_service="memoryx-24tb", catalog=catalog)


def test_24t_activations_exceed_sram(catalog):
    with pytest.raises(InfeasiblePlan, match="exceed the .* GB of wafer SRAM"):
        train("dense-24t", "cs-3", 1e12, seq_len=2048, memory_service="memoryx-1200tb",
              catalog=catalog)


def test_batch_smaller_than_systems(catalog):
    with pytest.raises(InfeasiblePlan, match="smaller than 64 systems"):
        train("llama-2-7b", "cs-3", 1e12, count=64, global_batch=32, catalog=catalog)


def test_cluster_limit(catalog):
    with pytest.raises(ConfigError, match="2048"):
        train("llama-2-7b", "cs-3", 1e12, count=4096, catalog=catalog)
