"""Weight-only quantised inference (w4a16, w8a16): narrow weights, 16-bit matmuls, dequant cost."""

import pytest

from wafersim.catalog.system import resolve
from wafersim.cost.infer.common import DEFAULT_WEIGHT_ONLY_DEQUANT_RATIO, Serving
from wafersim.cost.infer.hbm_points import hbm_device
from wafersim.cost.kernels.gemm import gemm_time_s
from wafersim.errors import ParameterError
from wafersim.precision import BYTES_PER_ELEMENT, WEIGHT_ONLY, math_precision
from wafersim.validate import infer
from wafersim.validate.calibrate_stacks import with_parameter
from wafersim.validate.records import read

FT = "fastertransformer-glm-130b"
N = K = 12288.0  # a GLM-130B hidden size square weight


@pytest.fixture(scope="module")
def a100(catalog):
    return resolve(catalog, "a100-sxm-40gb")


def test_formats_store_narrow_weights_and_run_16_bit_math():
    assert BYTES_PER_ELEMENT["w4a16"] == 0.5 and BYTES_PER_ELEMENT["w8a16"] == 1.0
    assert {math_precision(name) for name in WEIGHT_ONLY} == {"fp16"}
    assert math_precision("int4") == "int4" and math_precision("bf16") == "bf16"


def test_device_is_the_16_bit_one_with_the_stacks_dequant_cost(catalog, a100):
    plain = hbm_device(a100, Serving(precision="fp16"))
    w4 = hbm_device(a100, Serving(precision="w4a16", stack=catalog.stack(FT)))
    assert w4.peak_flops_per_s == plain.peak_flops_per_s  # no int4 tensor-core path
    assert w4.peak_flops_per_s < hbm_device(a100, Serving(precision="int4")).peak_flops_per_s
    assert w4.weight_only_dequant_ratio == catalog.stack(FT).weight_only_dequant_ratio.value > 0
    assert hbm_device(a100, Serving(precision="w4a16")).weight_only_dequant_ratio == (
        DEFAULT_WEIGHT_ONLY_DEQUANT_RATIO)
    assert plain.weight_only_dequant_ratio == 0.0


def test_decode_gemv_reads_packed_weights_then_pays_the_dequantisation(catalog, a100):
    """At batch 1 the GEMV is bound by its weight bytes: 4x fewer than fp16, plus the dequant."""
    fp16 = hbm_device(a100, Serving(precision="fp16"))
    w4 = hbm_device(a100, Serving(precision="w4a16", stack=catalog.stack(FT)))
    t16 = gemm_time_s(1.0, N, K, fp16, "fp16") - fp16.kernel_overhead_s
    t4 = gemm_time_s(1.0, N, K, w4, "w4a16") - w4.kernel_overhead_s
    assert t16 / t4 == pytest.approx(2.0 / (0.5 + 2.0 * w4.weight_only_dequant_ratio), rel=0.01)
    w8 = hbm_device(a100, Serving(precision="w8a16", stack=catalog.stack(FT)))
    t8 = gemm_time_s(1.0, N, K, w8, "w8a16") - w8.kernel_overhead_s
    assert t4 < t8 < t16 * (1.0 + w8.weight_only_dequant_ratio)


def test_large_batches_run_at_the_16_bit_matmul_rate(catalog, a100):
    fp16 = hbm_device(a100, Serving(precision="fp16"))
    w4 = hbm_device(a100, Serving(precision="w4a16", stack=catalog.stack(FT)))
    m = 16384.0
    assert gemm_time_s(m, N, K, w4, "w4a16") == pytest.approx(gemm_time_s(m, N, K, fp16, "fp16"))


def test_kv_cache_takes_no_weight_only_format():
    with pytest.raises(ParameterError, match="kv_precision"):
        Serving(kv_precision="w4a16")


def test_dequant_cost_sets_the_glm_130b_decode_time(catalog):
    """I071 (held out) slows with the stack's dequantisation cost: the mechanism can fail."""
    row = next(r for r in read() if r.id == "I071")
    assert row.precision == "w4a16" and row.calibrates is None
    fitted = infer.predict_row(row, catalog)
    ideal = infer.predict_row(row, with_parameter(catalog, FT, "weight_only_dequant_ratio", 1e-9))
    assert ideal < 0.7 * fitted
    assert fitted == pytest.approx(row.value, rel=0.25)
