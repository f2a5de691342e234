"""Serving on HBM accelerators: capacity, plans, bandwidth-bound decode, MoE, precision."""

import pytest

import wafersim
from wafersim.errors import ConfigError, InfeasiblePlan


def test_grok1_bf16_does_not_fit_eight_h100(catalog):
    # 631 GB over 80 GB devices needs 9 on average; the error names the fewest whole nodes
    # on which some plan holds it
    with pytest.raises(InfeasiblePlan, match=r"needs at least 16 devices"):
        wafersim.infer("grok-1", "dgx-h100", catalog=catalog)


def test_grok1_fp8_fits_eight_h100(catalog):
    r = wafersim.infer("grok-1", "dgx-h100", precision="fp8", catalog=catalog)
    assert r.devices == 8 and r.max_batch >= 1


def test_h200_decodes_faster_than_h100_by_bandwidth(catalog):
    h100 = wafersim.infer("llama-3.1-8b", "h100-sxm", catalog=catalog)
    h200 = wafersim.infer("llama-3.1-8b", "h200-sxm", catalog=catalog)

    def kernels(r):  # the kernel-level time, before each chip's own serving-stack efficiency
        return r.tpot_s - r.decode_breakdown["serving_stack"]

    ratio = kernels(h100) / kernels(h200)
    assert 1.2 < ratio < 4.8 / 3.35 * 1.05


def test_moe_decode_reads_only_touched_experts(catalog):
    moe = wafersim.infer("mixtral-8x7b", "dgx-h100", tp=8, catalog=catalog)
    dense = wafersim.infer("llama-3.1-70b", "dgx-h100", tp=8, catalog=catalog)
    assert moe.decode_breakdown["gemm"] < 0.6 * dense.decode_breakdown["gemm"]


def test_fewer_weight_bits_decode_faster(catalog):
    bf16 = wafersim.infer("llama-3.1-8b", "h100-sxm", catalog=catalog)
    int4 = wafersim.infer("llama-3.1-8b", "h100-sxm", precision="int4", catalog=catalog)
    assert int4.tpot_s < 0.5 * bf16.tpot_s


def test_tp_that_does_not_divide_heads_pads_them(catalog):
    # 32 query / 8 KV heads over 3 devices: 33 heads each for queries and keys/values (MHA)
    r = wafersim.infer("llama-3.1-8b", "dgx-h100", tp=3, catalog=catalog)
    assert r.plan.degrees.tp == 3
    assert r.padded_heads == {"query_heads": 33, "kv_heads": 33, "query_heads_before": 32,
                              "kv_heads_before": 8}


def test_ep_on_dense_model_is_refused(catalog):
    with pytest.raises(ConfigError, match="ep=2"):
        wafersim.infer("llama-3.1-8b", "dgx-h100", ep=2, catalog=catalog)


def test_max_throughput_respects_the_slo(catalog):
    free = wafersim.infer("llama-3.1-70b", "dgx-h100", max_throughput=True, catalog=catalog)
    slo = wafersim.infer("llama-3.1-70b", "dgx-h100", max_throughput=True, tpot_slo_s=0.015,
                         catalog=catalog)
    assert slo.tpot_s <= 0.015 and slo.batch <= free.batch
    assert free.throughput_tokens_per_s >= slo.throughput_tokens_per_s


def test_kv_cache_limits_the_batch(catalog):
    r = wafersim.infer("llama-3.1-70b", "dgx-h100", catalog=catalog)
    with pytest.raises(InfeasiblePlan, match="do not fit the KV cache"):
        wafersim.infer("llama-3.1-70b", "dgx-h100", batch=r.max_batch * 2, catalog=catalog)


def test_breakdowns_add_up(catalog):
    r = wafersim.infer("deepseek-v3", "gb200-nvl72", batch=64, precision="fp8", catalog=catalog)
    assert sum(r.decode_breakdown.values()) == pytest.approx(r.tpot_s)
    assert sum(r.prefill_breakdown.values()) == pytest.approx(r.ttft_s)


def test_attention_flops_count_every_layer(catalog):
    """Prefill attention and compute-bound MLA decode attention: all layers' score FLOPs."""
    from wafersim.catalog.system import resolve
    from wafersim.cost.infer.common import Serving
    from wafersim.cost.infer.hbm_points import hbm_device
    from wafersim.models import load_model

    device = hbm_device(resolve(catalog, "h100-sxm"), Serving())
    rate = device.matmul_efficiency * device.peak_flops_per_s
    m = load_model("llama-3.1-8b")
    r = wafersim.infer(m, "h100-sxm", batch=4, input_tokens=8192, output_tokens=16, catalog=catalog)
    tokens, keys = 4 * 8192, (8192 + 1) / 2
    flops = m.n_layers * 2 * tokens * keys * m.n_heads * (m.qk_dim + m.v_dim)
    overhead = m.n_layers * device.kernel_overhead_s
    assert r.prefill_breakdown["attention"] == pytest.approx(flops / rate + overhead)
    # absorbed MLA decode at a large batch is compute-bound: 128 heads score one 576-wide latent
    ds = wafersim.infer("deepseek-v3", "h200-sxm", batch=512, input_tokens=4096, output_tokens=2,
                        precision="fp8", kv_precision="fp8", tp=8, attention_dp=8, count=8,
                        catalog=catalog)
    per_layer = 2 * 512 / 8 * (4096 + 0.5 + 1) * 128 * (2 * 512 + 64)
    fp8 = hbm_device(resolve(catalog, "h200-sxm"), Serving(precision="fp8"))
    bound = ds.decode_breakdown["attention_kv"] - 61 * fp8.kernel_overhead_s
    assert bound == pytest.approx(61 * per_layer / (fp8.matmul_efficiency * fp8.peak_flops_per_s))
