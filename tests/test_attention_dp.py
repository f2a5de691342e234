"""Data-parallel attention with wide expert parallelism for MoE serving on HBM systems."""

import numpy as np
import pytest

import wafersim
from wafersim.catalog.system import resolve
from wafersim.cost.infer import hbm
from wafersim.errors import ConfigError
from wafersim.models import load_model
from wafersim.plan.infer_grid import enumerate_plans


@pytest.fixture(scope="module")
def deepseek():
    return load_model("deepseek-v3")


def test_attention_dp_plans_spread_experts_over_the_whole_group(catalog, deepseek):
    system = resolve(catalog, "ascend-910c").with_devices(160)
    plans = enumerate_plans(deepseek, system, ad=None)
    wide = plans.ad > 1
    assert wide.any() and (~wide).any()
    assert np.all(plans.ep[wide] == np.minimum(plans.tp[wide], deepseek.n_experts))
    assert 160 in plans.tp[wide]  # a group may exceed the 128 attention heads


def test_dense_models_get_no_attention_dp(catalog):
    plans = enumerate_plans(load_model("llama-3.1-70b"), resolve(catalog, "dgx-h100"))
    assert np.all(plans.ad == 1)
    with pytest.raises(ConfigError, match="MoE models"):
        enumerate_plans(load_model("llama-3.1-70b"), resolve(catalog, "dgx-h100"), tp=8, ad=8)


def test_latent_kv_is_split_not_replicated(catalog, deepseek):
    system = resolve(catalog, "ascend-910c").with_devices(32)
    tp = enumerate_plans(deepseek, system, tp=32, ep=32, ad=1)
    dp = enumerate_plans(deepseek, system, tp=32, ad=32)
    full = deepseek.kv_cache_bytes_per_token("int8")
    assert hbm.kv_bytes_per_token_device(deepseek, "int8", tp)[0] == pytest.approx(full)
    assert hbm.kv_bytes_per_token_device(deepseek, "int8", dp)[0] == pytest.approx(full / 32)


def test_uneven_expert_split_loads_the_fullest_device(catalog, deepseek):
    system = resolve(catalog, "ascend-910c").with_devices(160)
    plans = enumerate_plans(deepseek, system, tp=160, ad=160)
    assert int(plans.ep[0]) == 160
    # 256 experts over 160 devices: the fullest holds 2, so its expert bytes are 2/256 of them
    weights = hbm.weight_bytes_per_device(deepseek, "int8", plans)[0]
    assert 2 / 256 * 0.95 * deepseek.params_total < weights < 0.1 * deepseek.params_total


def test_attention_dp_serves_a_larger_batch_of_deepseek(catalog):
    args = dict(count=32, input_tokens=3500, output_tokens=1500, precision="int8",
                kv_precision="int8", catalog=catalog, max_throughput=True)
    plain = wafersim.infer("deepseek-v3", "ascend-910c", attention_dp=1, **args)
    wide = wafersim.infer("deepseek-v3", "ascend-910c", attention_dp=32, tp=32, **args)
    assert wide.max_batch > 4 * plain.max_batch
    assert wide.throughput_tokens_per_s > plain.throughput_tokens_per_s
    assert wide.plan.degrees.attention_dp == 32 and wide.decode_breakdown["expert_all_to_all"] > 0


def test_ep_must_cover_the_group_under_attention_dp(catalog, deepseek):
    with pytest.raises(ConfigError, match="ep=4: .* use ep 8"):
        enumerate_plans(deepseek, resolve(catalog, "dgx-h100"), tp=8, ep=4, ad=8)


def test_mla_decode_scores_against_the_absorbed_latent(deepseek):
    assert hbm.score_dims(deepseek, decode=True) == 2 * 512 + 64
    assert hbm.score_dims(deepseek, decode=False) == 192 + 128


def test_decode_only_leaves_prefill_out_of_throughput(catalog):
    args = dict(batch=64, input_tokens=4096, output_tokens=256, catalog=catalog)
    pool = wafersim.infer("llama-3.1-8b", "h100-sxm", decode_only=True, **args)
    full = wafersim.infer("llama-3.1-8b", "h100-sxm", **args)
    assert pool.throughput_tokens_per_s == pytest.approx(64 / pool.tpot_s)
    assert full.throughput_tokens_per_s < pool.throughput_tokens_per_s


def test_mtp_decodes_more_tokens_per_step(catalog):
    args = dict(count=32, batch=256, input_tokens=2048, output_tokens=512, precision="int8",
                kv_precision="int8", tp=32, attention_dp=32, catalog=catalog)
    plain = wafersim.infer("deepseek-v3", "ascend-910c", **args)
    mtp = wafersim.infer("deepseek-v3", "ascend-910c", draft="mtp", acceptance=0.7, lookahead=1, **args)
    assert mtp.tpot_s < plain.tpot_s and mtp.decode_breakdown["mtp_draft"] > 0
    assert mtp.plan.speculation.tokens_per_step == pytest.approx(1.7)
    # a step verifies two tokens per request: slower than one plain step, faster than two
    assert plain.tpot_s < mtp.tpot_s * 1.7 < 2 * plain.tpot_s


def test_mtp_needs_a_model_with_an_mtp_module(catalog):
    with pytest.raises(ConfigError, match="no multi-token-prediction module"):
        wafersim.infer("llama-3.1-8b", "h100-sxm", draft="mtp", catalog=catalog)
    with pytest.raises(ConfigError, match="use mtp"):
        wafersim.infer("llama-3.1-70b", "dgx-h100", draft="llama-3.1-8b", catalog=catalog)
