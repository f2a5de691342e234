"""Operator graph: weights and FLOPs agree with the model's accounting for every catalog model."""

import pytest

from wafersim.errors import ConfigError
from wafersim.models import load_model, model_ids
from wafersim.ops import lower


@pytest.mark.parametrize("model_id", model_ids())
def test_weights_add_up(model_id):
    m = load_model(model_id)
    assert lower(m, "train", 1, 128).weight_params == pytest.approx(m.params_total, rel=1e-9)


@pytest.mark.parametrize("model_id", model_ids())
@pytest.mark.parametrize("recompute", ["none", "selective", "full"])
def test_training_flops_match_model(model_id, recompute):
    m = load_model(model_id)
    g = lower(m, "train", 2, 2048)
    per_token = g.training_flops(recompute) / g.tokens
    assert per_token == pytest.approx(m.training_flops_per_token(2048, recompute), rel=1e-9)


def test_megatron_gpt3_step():
    # 72 B s l h^2 (1 + s/6h + V/12lh) for one batch (Narayanan et al. 2021, eq. 3)
    m = load_model("gpt3-175b")
    B, s, L, h, V = 8, 2048, m.n_layers, m.d_model, m.vocab_size
    expected = 72 * B * s * L * h * h * (1 + s / (6 * h) + V / (12 * L * h))
    assert lower(m, "train", B, s).training_flops() == pytest.approx(expected, rel=2e-3)


def test_decode_and_prefill():
    m = load_model("llama-3.1-8b")
    d = lower(m, "decode", 4, 1000)
    assert d.tokens == 4
    assert d.forward_flops == pytest.approx(4 * m.decode_flops(1000), rel=1e-9)
    core = next(op for op in d.ops if op.kind == "attention")
    assert core.kv_read_elems * core.repeat * 2 == pytest.approx(
        4 * 1001 * m.kv_cache_bytes_per_token("bf16"))
    p = lower(m, "prefill", 1, 512)
    lm_head = 2 * m.vocab_size * m.d_model
    body = m.prefill_flops(512) - 512 * lm_head
    assert p.forward_flops == pytest.approx(body + lm_head, rel=1e-9)  # logits of the last token


def test_moe_experts():
    m = load_model("mixtral-8x7b")
    g = lower(m, "train", 1, 4096)
    up = next(op for op in g.ops if op.name == "moe.expert.up")
    assert up.instances == 8 and up.m == pytest.approx(4096 * 2 / 8)
    assert g.by_kind()["expert"] > g.by_kind()["gemm"]


def test_mla_graph_has_latent_projections():
    names = {op.name for op in lower(load_model("deepseek-v3"), "train", 1, 128).ops}
    assert {"attn.q_a", "attn.kv_a", "attn.kv_b", "moe.router", "moe.shared.up"} <= names


@pytest.mark.parametrize("args", [("train", 0, 128), ("train", 1, 0), ("serve", 1, 1)])
def test_bad_arguments(args):
    with pytest.raises(ConfigError):
        lower(load_model("llama-3-8b"), *args)
