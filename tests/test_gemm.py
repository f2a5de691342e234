"""GEMM time model: calibrated roofline with a per-kernel cost, checked on held-out micro rows."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wafersim.cost.kernels.gemm import device_of, gemm_efficiency, gemm_time_s
from wafersim.errors import ConfigError


@pytest.mark.parametrize("chip_id, precision, size, measured", [
    ("h100-sxm", "fp8", 16384, 1.3773e15),  # row M018 (H100 fp8 calibrates on MAMF row M013)
    ("h200-sxm", "fp8", 16384, 1.3663e15),  # row M019 (calibrated on MAMF row M014)
])
def test_held_out_square_gemms(catalog, chip_id, precision, size, measured):
    dev = device_of(catalog.get(chip_id), precision)
    t = gemm_time_s(size, size, size, dev)
    assert 2 * size**3 / t == pytest.approx(measured, rel=0.08)


def test_decode_gemv_is_memory_bound(catalog):
    dev = device_of(catalog.get("h100-sxm"), "bf16")
    t = gemm_time_s(1, 8192, 8192, dev)
    weights = 8192 * 8192 * 2
    assert t == pytest.approx(weights / dev.memory_Bps + dev.kernel_overhead_s, rel=0.01)
    assert gemm_efficiency(1, 8192, 8192, dev) < 0.01


def test_efficiency_grows_with_size(catalog):
    dev = device_of(catalog.get("b200"), "bf16")
    sizes = np.array([64, 256, 1024, 4096, 16384])
    eff = gemm_efficiency(sizes, sizes, sizes, dev)
    assert np.all(np.diff(eff) > 0) and eff[-1] == pytest.approx(dev.matmul_efficiency, rel=0.01)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 65536), st.integers(1, 65536), st.integers(1, 65536), st.floats(1.0, 4.0))
def test_faster_memory_never_slower(m, n, k, factor):
    from dataclasses import replace

    from wafersim.catalog import load_catalog

    dev = device_of(load_catalog().get("h100-sxm"), "bf16")
    fast = replace(dev, memory_Bps=dev.memory_Bps * factor, peak_flops_per_s=dev.peak_flops_per_s * factor)
    assert gemm_time_s(m, n, k, fast) <= gemm_time_s(m, n, k, dev)


def test_fallback_and_defaults_are_stated(catalog):
    dev = device_of(catalog.get("trainium2"), "bf16")
    assert dev.matmul_efficiency == 0.7 and any("assumed" in a for a in dev.assumptions)
    h100 = device_of(catalog.get("h100-sxm"), "fp16")
    assert any("taken from bf16" in a for a in h100.assumptions)


def test_missing_precision(catalog):
    with pytest.raises(ConfigError, match="no dense fp4 peak"):
        device_of(catalog.get("h100-sxm"), "fp4")


def test_a_fused_decoder_chip_has_no_per_kernel_cost(catalog):
    from wafersim.cost.infer.hbm import STEP_OVERHEAD_S, fixed_overhead_s
    from wafersim.cost.kernels.gemm import KERNEL_OVERHEAD_S, device_of
    from wafersim.models import load_model
    model = load_model("llama-3.1-8b")
    fused = device_of(catalog.get("sn40l"), "bf16")  # kernel_overhead_us: 0 in the catalog
    gpu = device_of(catalog.get("h100-sxm"), "bf16")
    assert fused.kernel_overhead_s == 0.0 and gpu.kernel_overhead_s == KERNEL_OVERHEAD_S
    assert fixed_overhead_s(model, fused) == STEP_OVERHEAD_S
    assert fixed_overhead_s(model, gpu) > STEP_OVERHEAD_S
