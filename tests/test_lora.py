"""LoRA fine-tuning: frozen base linears backpropagate to their inputs only, adapters train in
full, and only adapters carry gradients, optimizer state and data-parallel reduction."""

import pytest

from wafersim import train
from wafersim.catalog.system import resolve
from wafersim.cost.train.lora import adapter_params, lora_flops_per_token, lora_rank
from wafersim.cost.train.step import StepModel
from wafersim.errors import ConfigError
from wafersim.models import load_model
from wafersim.ops.graph import lower
from wafersim.plan import Constraints, enumerate_plans

SEQ, BATCH = 8192, 8


def _step(catalog, rank, **fixed):
    model = load_model("llama-2-70b")
    sm = StepModel(model, resolve(catalog, "dgx-h100").with_devices(8), SEQ, BATCH, "fp8",
                   lora_rank=rank)
    c = Constraints(tp=4, pp=1, dp=2, cp=1, micro_batch=1, recompute="full", **fixed)
    return sm, sm.evaluate(enumerate_plans(model, 8, 8, BATCH, SEQ, c))


def test_rank_parsing():
    assert lora_rank(None) == 0 and lora_rank("") == 0 and lora_rank("lora-r16") == 16
    with pytest.raises(ConfigError, match="lora-r16"):
        lora_rank("qlora")


def test_adapters_sit_on_attention_projections():
    m = load_model("llama-2-70b")
    graph = lower(m, "train", 1, SEQ)
    d, qkv = m.d_model, (m.n_heads + 2 * m.n_kv_heads) * m.head_dim
    expected = 16 * ((d + qkv) + (d + d)) * m.n_layers
    assert adapter_params(graph, 16) == pytest.approx(expected)


def test_frozen_base_saves_weight_gradients(catalog):
    _, full = _step(catalog, 0, zero=0)
    _, lora = _step(catalog, 16, zero=0)
    ratio = float(lora.breakdown["compute"][0] / full.breakdown["compute"][0])
    assert 0.6 < ratio < 0.85  # linears 2 of 3 passes; attention and elementwise unchanged
    assert float(lora.memory["optimizer"][0]) < 1e-3 * float(full.memory["optimizer"][0])
    assert float(lora.memory["gradients"][0]) < 1e-2 * float(full.memory["gradients"][0])


def test_only_adapters_are_reduced(catalog):
    _, full = _step(catalog, 0, zero=1)
    _, lora = _step(catalog, 16, zero=1)
    assert float(lora.breakdown["exposed_dp_comm"][0]) <= float(full.breakdown["exposed_dp_comm"][0])
    assert float(lora.breakdown["optimizer"][0]) < 1e-2 * float(full.breakdown["optimizer"][0])


def test_model_flops_and_wafer_refusal(catalog):
    m = load_model("llama-2-70b")
    assert lora_flops_per_token(m, SEQ) == pytest.approx(
        4.0 * m.params_matmul_active + 3.0 * m.attention_score_flops(SEQ))
    r = train("llama-2-70b", "dgx-h100", 1e8, count=8, global_batch=8, seq_len=SEQ,
              precision="fp8", finetune="lora-r16", catalog=catalog)
    assert r.flops_per_s_per_device * r.step_time_s * 8 == pytest.approx(
        lora_flops_per_token(m, SEQ) * 8 * SEQ)
    with pytest.raises(ConfigError, match="clusters only"):
        train("llama-2-7b", "cs-3", 1e8, finetune="lora-r16", catalog=catalog)


def test_frozen_base_weights_sit_in_the_matmul_format(catalog):
    """An fp8 LoRA run keeps its frozen base in fp8 (1 byte), a full fp8 run its 16-bit copy."""
    _, full = _step(catalog, 0, zero=0)
    _, lora = _step(catalog, 16, zero=0)
    ratio = float(lora.memory["weights"][0] / full.memory["weights"][0])
    assert ratio == pytest.approx(0.5, rel=0.01)  # 1 byte against 2, plus the small adapters


def test_frozen_feed_forward_keeps_only_its_activation_inputs():
    """Adapters sit on the attention only, so the feed-forward's GEMMs need no saved inputs: per
    token a Llama layer keeps the gate and up outputs, not the MLP input or the SwiGLU output."""
    from wafersim.ops.memory import activation_bytes_per_token
    m = load_model("llama-2-70b")
    full = activation_bytes_per_token(m, "none")
    frozen = activation_bytes_per_token(m, "none", frozen_mlp=True)
    assert full - frozen == pytest.approx(2.0 * (m.d_model + m.d_ff))
    assert activation_bytes_per_token(m, "full", frozen_mlp=True) == 2.0 * m.d_model


def test_lora_runs_keep_fewer_activations(catalog):
    c = dict(recompute="none")
    model = load_model("llama-2-70b")
    def activations(rank):
        sm = StepModel(model, resolve(catalog, "dgx-h100").with_devices(8), SEQ, BATCH, "fp8",
                       lora_rank=rank)
        plans = enumerate_plans(model, 8, 8, BATCH, SEQ,
                                Constraints(tp=4, pp=1, dp=2, cp=1, micro_batch=1, **c))
        return float(sm.evaluate(plans).memory["activations"][0])
    assert activations(16) < 0.8 * activations(0)
