"""The model catalog: ids, parameter counts vs published, FLOPs vs published accounting."""

import json
import math

import pytest

from wafersim.models import load_model, model_ids, published_params

REQUIRED = {
    "gpt3-125m", "gpt3-350m", "gpt3-760m", "gpt3-1.3b", "gpt3-2.7b", "gpt3-6.7b", "gpt3-13b",
    "gpt3-175b", "gpt-j-6b", "gpt-neox-20b", "llama-2-7b", "llama-2-13b", "llama-2-70b",
    "llama-3-8b", "llama-3-70b", "llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b",
    "llama-3.3-70b", "falcon-40b", "mpt-30b", "mixtral-8x7b", "grok-1", "deepseek-v3",
    "qwen3-235b-a22b", "opt-175b", "bloom-176b", "gopher-280b", "palm-540b", "mt-nlg-530b",
    "glm-130b", "llama-65b", "megatron-1.7b", "megatron-3.6b", "megatron-7.5b", "megatron-18b",
    "megatron-39b", "megatron-76b", "megatron-145b", "megatron-310b", "megatron-530b",
    "megatron-1t", "megatron-22b", "gpt-moe-1.8t", "dense-24t", "gpt-oss-20b", "gpt-oss-120b",
    "qwen3-8b", "qwen3-32b", "qwen3-30b-a3b", "llama-4-scout", "llama-4-maverick", "mistral-7b",
    "mixtral-8x22b", "falcon-180b", "nemotron-4-340b", "nemotron-4-15b", "kimi-k2",
}


def test_required_models_present():
    assert not REQUIRED - set(model_ids())


def tolerance(entry: dict, value: float) -> float:
    """1%, or the published rounding when the authors gave fewer significant digits."""
    if entry.get("tolerance_pct"):
        return entry["tolerance_pct"] / 100
    digits = entry.get("digits")
    if not digits:
        return 0.01
    half_step = 0.5 * 10 ** (math.floor(math.log10(value)) - digits + 1)
    return max(0.01, half_step / value)


@pytest.mark.parametrize("model_id", sorted(REQUIRED))
def test_params_match_published(model_id):
    pub = published_params()[model_id]
    m = load_model(model_id)
    total = float(pub["params"])
    ours = m.params_total + (m.vocab_size * m.d_model if pub.get("stored_tied_head") else 0)
    assert ours == pytest.approx(total, rel=tolerance(pub, total))
    if pub.get("active_params"):
        active = float(pub["active_params"])
        got = m.params_active - (m.embedding_params() if pub.get("active_excludes_embedding") else 0)
        entry = {"digits": pub.get("active_digits"),
                 "tolerance_pct": pub.get("active_tolerance_pct")}
        assert got == pytest.approx(active, rel=tolerance(entry, active))


def test_published_entries_have_sources():
    for model_id, pub in published_params().items():
        assert pub.get("source"), model_id


def megatron_per_token(layers, h, s, V, recompute=False):
    # Narayanan et al. 2021: 72 B s l h^2 (1 + s/6h + V/12lh), 96 (1 + s/6h + V/16lh) recomputed
    if recompute:
        return 96 * layers * h * h * (1 + s / (6 * h) + V / (16 * layers * h))
    return 72 * layers * h * h * (1 + s / (6 * h) + V / (12 * layers * h))


@pytest.mark.parametrize("model_id", ["gpt3-175b", "megatron-1t", "megatron-22b", "mt-nlg-530b"])
@pytest.mark.parametrize("recompute", [False, True])
def test_training_flops_megatron_formula(model_id, recompute):
    m = load_model(model_id)
    s = 2048
    expected = megatron_per_token(m.n_layers, m.d_model, s, m.vocab_size, recompute)
    got = m.training_flops_per_token(s, "full" if recompute else "none")
    assert got == pytest.approx(expected, rel=2e-3)


def test_six_n_for_short_sequences():
    m = load_model("llama-2-70b")
    assert m.training_flops_per_token(128) == pytest.approx(6 * m.params_active, rel=0.02)
    # attention makes long sequences costlier than 6N
    assert m.training_flops_per_token(32768) > 1.2 * 6 * m.params_active


def test_moe_active_is_smaller():
    for model_id in ("mixtral-8x7b", "deepseek-v3", "qwen3-235b-a22b", "grok-1", "gpt-moe-1.8t"):
        m = load_model(model_id)
        assert m.is_moe and m.params_active < 0.5 * m.params_total
    dense = load_model("llama-3-8b")
    assert dense.params_active == dense.params_total


def test_kv_cache_bytes():
    assert load_model("llama-2-70b").kv_cache_bytes_per_token("bf16") == 2 * 80 * 8 * 128 * 2
    assert load_model("llama-2-7b").kv_cache_bytes_per_token("fp8") == 2 * 32 * 32 * 128 * 1
    # MLA caches the compressed latent plus the rope key: 61 x (512 + 64) x 2 bytes
    assert load_model("deepseek-v3").kv_cache_bytes_per_token("bf16") == 61 * 576 * 2


def test_weight_bytes_and_decode_flops():
    m = load_model("llama-3.1-405b")
    assert m.weight_bytes("fp8") == m.params_total
    assert m.weight_bytes("int4") == m.params_total / 2
    assert m.decode_flops(0) == pytest.approx(2 * m.params_active, rel=0.01)
    assert m.decode_flops(8192) > m.decode_flops(128)
    assert m.prefill_flops(1) == pytest.approx(m.decode_flops(0), rel=1e-9)


def test_user_config_path(tmp_path):
    cfg = {"model_type": "llama", "hidden_size": 512, "num_attention_heads": 8,
           "num_hidden_layers": 4, "intermediate_size": 1376, "vocab_size": 32000}
    folder = tmp_path / "tiny-llama"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(cfg))
    m = load_model(str(folder / "config.json"))
    assert m.id == "tiny-llama" and m.n_layers == 4
    embed, head = 32000 * 512, 32000 * 512
    layer = 4 * 512 * 512 + 3 * 512 * 1376 + 2 * 512
    assert m.params_total == embed + head + 4 * layer + 512
    assert load_model(str(folder)).params_total == m.params_total


def test_unknown_recompute_is_an_error():
    from wafersim.errors import ConfigError

    with pytest.raises(ConfigError, match="recompute 'some'"):
        load_model("llama-3-8b").training_flops_per_token(2048, "some")
