"""Sliding-window and chunked attention: the spans read from HF configs, and every figure that
depends on them (attention FLOPs, decode reads, KV-cache bytes) in training and inference."""

from dataclasses import replace

import pytest

import wafersim
from wafersim.catalog import load_catalog
from wafersim.cost.infer.common import Serving
from wafersim.errors import ConfigError
from wafersim.models import ModelSpec, load_model, model_ids
from wafersim.models.hf import from_hf_config
from wafersim.models.windows import keys_through
from wafersim.ops import lower

WINDOWED = {"mistral-7b": ("sliding", 4096, 32), "gpt-oss-20b": ("sliding", 128, 12),
            "gpt-oss-120b": ("sliding", 128, 18), "llama-4-scout": ("chunked", 8192, 36),
            "llama-4-maverick": ("chunked", 8192, 36)}


def _global(m: ModelSpec) -> ModelSpec:
    """The same model with every layer attending globally."""
    return replace(m, window_tokens=0, window_layers=())


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_shipped_configs_give_their_windows():
    for model_id in model_ids():
        m = load_model(model_id)
        kind, span, layers = WINDOWED.get(model_id, ("sliding", 0, 0))
        assert (m.window_kind, m.window_tokens, m.n_window_layers) == (kind, span, layers), model_id


def test_layer_patterns():
    assert load_model("gpt-oss-20b").window_layers == tuple(range(0, 24, 2))  # sliding, full, ...
    scout = load_model("llama-4-scout").window_layers  # layers 4, 8, ... 48 global (NoPE)
    assert scout == tuple(i for i in range(48) if (i + 1) % 4)
    assert load_model("mistral-7b").window_layers == tuple(range(32))


def test_mistral_kv_at_32k_is_4096_tokens_per_layer():
    m = load_model("mistral-7b")
    per_layer_token = 2 * 8 * 128 * 2  # K and V, 8 KV heads of 128, bf16
    assert m.kv_cache_bytes(32768) == 4096 * 32 * per_layer_token == 536_870_912
    assert m.kv_cache_bytes(4096) == m.kv_cache_bytes(32768)
    assert m.kv_cache_bytes(1000) == 1000 * 32 * per_layer_token


def test_gpt_oss_alternation_about_halves_the_kv_cache():
    m = load_model("gpt-oss-20b")
    per_layer_token = 2 * 8 * 64 * 2
    assert m.kv_cache_bytes(8192) == (12 * 8192 + 12 * 128) * per_layer_token == 204_472_320
    assert m.kv_cache_bytes(8192) / _global(m).kv_cache_bytes(8192) == pytest.approx(0.5078125)
    big = load_model("gpt-oss-120b")
    assert big.kv_cache_bytes(131072) == (18 * 131072 + 18 * 128) * per_layer_token


def test_llama4_chunked_layers_keep_one_chunk():
    m = load_model("llama-4-scout")
    per_layer_token = 2 * 8 * 128 * 2
    assert m.kv_cache_bytes(131072) == (12 * 131072 + 36 * 8192) * per_layer_token


def test_full_attention_models_are_unchanged():
    for model_id in model_ids():
        m = load_model(model_id)
        if m.window_tokens:
            continue
        assert m.kv_cache_bytes(12345) == 12345 * m.kv_cache_bytes_per_token()
        assert m.training_keys(4096) == 4096
        assert m.decode_keys(999) == 1000
        assert m.causal_keys(1, 2048) == 2048 * 2049 / 2
        assert [op.name for op in lower(m, "train", 1, 2048).ops].count("attn.core") == 1


def test_below_the_window_nothing_changes():
    for model_id, (_, span, _) in WINDOWED.items():
        m, g = load_model(model_id), _global(load_model(model_id))
        assert m.training_flops_per_token(span) == pytest.approx(g.training_flops_per_token(span))
        assert m.prefill_flops(span) == pytest.approx(g.prefill_flops(span))
        assert m.decode_flops(span - 1) == pytest.approx(g.decode_flops(span - 1))
        assert m.kv_cache_bytes(span) == g.kv_cache_bytes(span)


def test_sliding_attention_flops_past_the_window():
    m = load_model("mistral-7b")
    per_key = 2.0 * 32 * 32 * (128 + 128)  # QK^T and AV over 32 layers of 32 heads
    causal = 4096 * 4097 / 2 + (32768 - 4096) * 4096  # min(position, 4096) keys per token
    assert m.prefill_flops(32768) == pytest.approx(2.0 * m.params_matmul_active * 32768
                                                   + per_key * causal)
    assert m.decode_flops(32767) == pytest.approx(2.0 * m.params_matmul_active + per_key * 4096)
    train = (2 * (4096 * 4097 / 2 + 4096 * 4096) - 8192) / 8192  # 2K - s per token
    assert m.training_keys(8192) == pytest.approx(train) == pytest.approx(6143.5)


def test_chunked_keys_restart_at_each_chunk():
    assert keys_through("chunked", 4, 10) == 10 + 10 + 3  # two chunks of 4, then 2 tokens
    m = load_model("llama-4-scout")
    assert m.decode_keys(8192) == pytest.approx((12 * 8193 + 36 * 1) / 48)  # a new chunk
    assert m.decode_keys(8191) == pytest.approx(8192)  # the last token of the first chunk


def test_graph_splits_global_and_windowed_attention():
    m = load_model("gpt-oss-20b")
    for phase, seq in (("train", 4096), ("prefill", 4096), ("decode", 4095)):
        g = lower(m, phase, 2, seq)
        attn = {op.name: op.repeat for op in g.ops if op.kind == "attention"}
        assert attn == {"attn.core": 12, "attn.window": 12}
        full = sum(op.flops * op.repeat for op in lower(_global(m), phase, 2, seq).ops
                   if op.kind == "attention")
        windowed = sum(op.flops * op.repeat for op in g.ops if op.kind == "attention")
        assert windowed < 0.6 * full
    tokens = 2 * 4096
    fwd = lower(m, "train", 2, 4096).forward_flops
    assert fwd == pytest.approx(m.forward_flops_per_token(4096) * tokens)


def test_serving_sees_the_window():
    m = load_model("mistral-7b")
    s = Serving(input_tokens=30000, output_tokens=2768)
    assert s.kv_bytes_per_request(m, paged=False) == m.kv_cache_bytes(4096)
    assert s.decode_context(m) == pytest.approx(4095)  # every step reads the last 4,096 keys
    assert s.prefill_keys(m) == pytest.approx((4096 * 4097 / 2 + (30000 - 4096) * 4096) / 30000)
    g = _global(m)
    assert s.decode_context(g) == s.mean_decode_context
    assert s.prefill_keys(g) == (30000 + 1) / 2


def test_long_context_serving_fits_more_and_decodes_faster(catalog):
    m = load_model("mistral-7b")
    kw = dict(batch=8, input_tokens=30000, output_tokens=2000, catalog=catalog)
    windowed, full = (wafersim.infer(x, "dgx-h100", **kw) for x in (m, _global(m)))
    assert windowed.max_batch > 4 * full.max_batch
    assert windowed.tpot_s < full.tpot_s
    assert windowed.ttft_s < full.ttft_s


def test_long_sequence_training_is_cheaper(catalog):
    m = load_model("mistral-7b")
    kw = dict(count=8, seq_len=32768, global_batch=64, catalog=catalog)
    windowed, full = (wafersim.train(x, "dgx-h100", 1e9, **kw) for x in (m, _global(m)))
    assert windowed.step_time_s < 0.9 * full.step_time_s


def _config(**extra):
    base = {"model_type": "mistral", "hidden_size": 256, "intermediate_size": 512,
            "num_attention_heads": 4, "num_key_value_heads": 2, "num_hidden_layers": 6,
            "vocab_size": 1000, "max_position_embeddings": 4096}
    return base | extra


def test_hf_patterns():
    gemma3 = from_hf_config(_config(sliding_window=512, sliding_window_pattern=3), "g")
    assert gemma3.window_layers == (0, 1, 3, 4)  # every third layer global
    qwen = from_hf_config(_config(sliding_window=512, use_sliding_window=True,
                                  max_window_layers=4), "q")
    assert qwen.window_layers == (4, 5)
    off = from_hf_config(_config(sliding_window=512, use_sliding_window=False), "o")
    assert off.window_tokens == 0 and off.window_layers == ()
    chunked = from_hf_config(_config(attention_chunk_size=64, no_rope_layer_interval=2), "c")
    assert (chunked.window_kind, chunked.window_layers) == ("chunked", (0, 2, 4))
    typed = from_hf_config(_config(sliding_window=64, layer_types=["full_attention"] * 6), "t")
    assert typed.window_tokens == 0


@pytest.mark.parametrize("extra, message", [
    (dict(layer_types=["sliding_attention"] * 5), "must list 6"),
    (dict(layer_types=["sliding_attention"] * 6), "'sliding_window' is not set"),
    (dict(sliding_window=64, attention_chunk_size=64,
          layer_types=["sliding_attention", "chunked_attention"] * 3), "mixes sliding and chunked"),
    (dict(attention_chunk_size=64, no_rope_layers=[1, 0, 2, 1, 1, 1]), "0 or 1"),
    (dict(sliding_window=-5), "sliding_window"),
])
def test_bad_window_configs(extra, message):
    with pytest.raises(ConfigError, match=message):
        from_hf_config(_config(**extra), "bad")


def test_model_detail_lists_the_windows():
    from wafersim.report.models import model_detail
    d = model_detail(load_model("gpt-oss-20b"), 8192)
    assert d["architecture"]["window_layers"] == list(range(0, 24, 2))
    assert d["derived"]["attention"] == ("sliding window of 128 tokens on 12 of 24 layers, "
                                         "global on the rest")
    assert d["derived"]["kv_cache_bytes_at_seq_len"]["bf16"] == 204_472_320
    full = model_detail(load_model("llama-3.1-8b"), 8192)
    assert "window_tokens" not in full["architecture"] and "attention" not in full["derived"]
