"""Memory footprints of training: weights, gradients, optimizer state and activations.

Mixed-precision Adam keeps 16-bit weights and gradients plus fp32 master weights and two fp32
moments: 2 + 2 + 12 = 16 bytes per parameter (Rajbhandari et al. 2020, ZeRO, Sec. 3.1).
Activations follow Korthikanti et al. 2022 ("Reducing Activation Recomputation", Sec. 4) with
fused (flash) attention, so no sequence-squared softmax buffers are kept and no dropout masks.
"""

from __future__ import annotations

from dataclasses import dataclass

from wafersim.errors import ConfigError
from wafersim.models.spec import RECOMPUTE, ModelSpec, bytes_per_param


@dataclass(frozen=True, slots=True)
class StateBytes:
    """Bytes per parameter of the training state."""

    weights: float
    gradients: float
    optimizer: float  # master weights and moments

    @property
    def total(self) -> float:
        return self.weights + self.gradients + self.optimizer


# assumption: Adam's update per weight (two moments, bias corrections, sqrt, divide, decay,
# update); the weight-streaming cost model and the functional wafer simulation both use it
ADAM_FLOPS_PER_PARAM = 12.0


def training_state(precision: str = "bf16", optimizer: str = "adam") -> StateBytes:
    """Bytes per parameter for mixed-precision training (fp8 keeps 16-bit weights for the update)."""
    weight = max(bytes_per_param(precision), 2.0)  # fp8 recipes keep a bf16 copy (NVIDIA TE)
    if optimizer == "adam":
        return StateBytes(weights=weight, gradients=weight, optimizer=12.0)  # fp32 master, m, v
    if optimizer == "sgd":
        return StateBytes(weights=weight, gradients=weight, optimizer=8.0)  # fp32 master, momentum
    raise ConfigError(f"optimizer {optimizer!r} is not one of adam, sgd")


def activation_bytes_per_token(model: ModelSpec, recompute: str = "none",
                               act_bytes: float = 2.0, frozen_mlp: bool = False) -> float:
    """Activation bytes one layer keeps per token for the backward pass. With `frozen_mlp` (LoRA
    adapters on the attention projections only) the feed-forward computes no weight gradients,
    so its input and its down projection's input are not kept: dX = dY W^T needs no X (Hu et
    al. 2021); the activation function's inputs still are."""
    if recompute not in RECOMPUTE:
        raise ConfigError(f"recompute {recompute!r} is not one of {', '.join(RECOMPUTE)}")
    m = model
    d = m.d_model
    if recompute == "full":
        return act_bytes * d  # only the layer input is checkpointed
    q = m.n_heads * m.qk_dim
    kv = (m.kv_lora_rank + m.qk_rope_head_dim) if m.is_mla else 2 * m.n_kv_heads * m.head_dim
    attn = d + q + kv + m.n_heads * m.v_dim + d  # qkv input, Q, K/V, attention output, out-proj input
    d_ff, width = (m.d_ff_expert, m.top_k + m.n_shared_experts) if m.is_moe else (m.d_ff, 1)
    mlp = d + width * d_ff * (3 if m.gated_mlp else 2)  # input, up (and gate) outputs, act output
    if frozen_mlp:
        mlp = width * d_ff * (2 if m.gated_mlp else 1)  # the activation function's inputs only
    norms = 2 * d
    return act_bytes * (attn + mlp + norms)


def model_state_bytes(model: ModelSpec, precision: str = "bf16", optimizer: str = "adam") -> float:
    """Weights, gradients and optimizer state of the whole model."""
    return model.params_total * training_state(precision, optimizer).total
