"""Models of the newer families (gpt-oss, Qwen3, Llama 4, Mistral, Falcon, Nemotron-4, Kimi K2):
each one serves and trains on a system that holds it, is listed by `wafersim models`, and keeps
the architecture features its config gives."""

from __future__ import annotations

import pytest

from wafersim.models import load_model

# model id -> (system to serve on, system to train on, devices to train on)
NEW = {
    "gpt-oss-20b": ("dgx-h100", "dgx-h100", "8"),
    "gpt-oss-120b": ("dgx-h100", "dgx-h100", "64"),
    "qwen3-8b": ("dgx-h100", "dgx-h100", "8"),
    "qwen3-32b": ("dgx-h100", "dgx-h100", "16"),
    "qwen3-30b-a3b": ("dgx-h100", "dgx-h100", "16"),
    "llama-4-scout": ("dgx-h100", "dgx-h100", "32"),
    "llama-4-maverick": ("dgx-h200", "dgx-h200", "64"),
    "mistral-7b": ("dgx-h100", "dgx-h100", "8"),
    "mixtral-8x22b": ("dgx-h100", "dgx-h100", "32"),
    "falcon-180b": ("dgx-h200", "dgx-h200", "64"),
    "nemotron-4-340b": ("dgx-h200", "dgx-h200", "128"),
    "nemotron-4-15b": ("dgx-h100", "dgx-h100", "16"),
    "kimi-k2": ("gb200-nvl72", "gb200-nvl72", "288"),
}


@pytest.mark.parametrize("model_id", sorted(NEW))
def test_serves(cli, model_id):
    system = NEW[model_id][0]
    run = cli("infer", "--model", model_id, "--system", system, "--json")
    assert run.code == 0, run.err
    out = run.json()
    assert out["model"] == model_id and out["throughput_tokens_per_s"] > 0 and out["tpot_s"] > 0


@pytest.mark.parametrize("model_id", sorted(NEW))
def test_trains(cli, model_id):
    _, system, count = NEW[model_id]
    run = cli("train", "--model", model_id, "--system", system, "--count", count, "--tokens",
              "1e9", "--json")
    assert run.code == 0, run.err
    out = run.json()
    assert out["tokens_per_s"] > 0 and 0 < out["mfu"] < 1


def test_listed(cli):
    run = cli("models", "--json")
    assert run.code == 0, run.err
    listed = {row["id"] for row in run.json()}
    assert set(NEW) <= listed


def test_architecture_features():
    maverick = load_model("llama-4-maverick")
    assert maverick.n_moe_layers == 24 and maverick.n_shared_experts == 1  # every second layer
    assert load_model("llama-4-scout").n_moe_layers == 48
    oss = load_model("gpt-oss-120b")
    assert oss.attn_bias and oss.mlp_bias and oss.router_bias and oss.top_k == 4
    kimi = load_model("kimi-k2")
    assert kimi.is_mla and kimi.n_experts == 384 and kimi.n_dense_layers == 1
    assert load_model("qwen3-8b").qk_norm  # dense Qwen3 keeps its q/k norms too
    nemotron = load_model("nemotron-4-340b")
    assert not nemotron.gated_mlp and nemotron.norm_bias
    assert load_model("falcon-180b").n_heads % 16  # 232 heads: tp 16 must pad
