"""Memory of one device under many training plans at once (bytes, numpy arrays over plans).

Model state follows ZeRO (Rajbhandari et al. 2020): 16-bit weights and gradients and 12 bytes of
fp32 optimizer state per parameter; stage 1 shards the optimizer state over the data-parallel
ranks (dp x cp: context-parallel ranks hold the same weights, Megatron-Core's data-parallel group
with CP), stage 2 also the gradients, stage 3 also the weights (plus a buffer for the gathered
layers). Tensor and pipeline parallelism split the weights; expert parallelism splits the experts.
Activations follow Korthikanti et al. 2022 with sequence parallelism (all activations split by
tp) and context parallelism (split by cp); the first pipeline stage holds min(micro-batches, pp)
micro-batches in flight under 1F1B, times (1 + (pp - 1) / (pp v)) when interleaved (Sec. 4.2.3),
and one more when MoE all-to-all overlaps another micro-batch (DualPipe: pp + 1, DeepSeek-V3).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt

from wafersim.models.spec import RECOMPUTE, ModelSpec, bytes_per_param
from wafersim.ops.memory import activation_bytes_per_token, training_state
from wafersim.plan.train import PlanSpace
from wafersim.xp import Real, ceil, maximum, minimum, pick, real, where

Array = npt.NDArray[np.float64]
LOGIT_BYTES = 6.0  # bf16 logits plus their fp32 copy for the loss (Megatron cross-entropy)


def stage_share(model: ModelSpec, plans: PlanSpace) -> Real:
    """Share of the layers on the fullest stage: v chunks of ceil(layers / (pp v)) layers each
    (uneven stages allowed, as Llama 3 405B's 126 layers on 16 stages)."""
    share: Real = plans.v * ceil(model.n_layers / (plans.pp * plans.v)) / model.n_layers
    return share


def _expert_params(model: ModelSpec) -> float:
    if not model.is_moe:
        return 0.0
    return float(model.n_moe_layers * model.n_experts * model.mlp_params(model.d_ff_expert))


@lru_cache(maxsize=256)
def _params(model: ModelSpec) -> tuple[int | float, float, int, int]:
    """(layer weights but the experts, routed experts, embedding, head) of the whole model."""
    experts = _expert_params(model)
    embed, head = model.embedding_params(), model.head_params()
    return model.params_total - experts - embed - head, experts, embed, head


def params_per_device(model: ModelSpec, plans: PlanSpace,
                      share: Real | None = None) -> tuple[Real, Real]:
    """(dense, expert) parameters on the device of the fullest pipeline stage (`share`: the
    plans' `stage_share`, computed when not given, as below)."""
    tp, share = real(plans.tp), stage_share(model, plans) if share is None else share
    layers, experts, embed, head = _params(model)
    ends = where(plans.pp > 1, max(embed, head), embed + head)  # first/last stage holds them
    dense: Real = (layers * share + ends) / tp
    expert: Real = experts * share / (tp * plans.ep)
    return dense, expert


def state_bytes(model: ModelSpec, plans: PlanSpace, precision: str,
                adapters: float = 0.0, share: Real | None = None) -> dict[str, Real]:
    """Weights, gradients and optimizer state per device, sharded as each plan's ZeRO stage says.

    LoRA (`adapters` > 0 weights in the whole model): the base is frozen, so gradients and
    optimizer state are the adapters' alone (unsharded; they are small)."""
    share = stage_share(model, plans) if share is None else share
    dense, expert = params_per_device(model, plans, share)
    dp = real(plans.dp * plans.cp)  # context-parallel ranks hold the same weights
    expert_dp = maximum(dp / plans.ep, 1.0)  # experts replicate over dp cp / ep ranks
    state = training_state(precision)
    z = plans.zero

    def sharded(bytes_per_param: float, from_stage: int) -> Real:
        on = z >= from_stage
        out: Real = bytes_per_param * (where(on, dense / dp, dense) + where(on, expert / expert_dp,
                                                                            expert))
        return out
    gathered = where(z >= 3, 2.0 * (dense + expert) / (model.n_layers * share), 0.0)
    if adapters:
        # a frozen weight is never updated, so it needs no 16-bit copy: it is kept in the matmul
        # format (Transformer Engine fp8_model_init; NeMo's LoRA recipes set fp8_params)
        frozen = bytes_per_param(precision)
        base = sharded(frozen, 3) + frozen * gathered
        local = adapters * share / plans.tp
        return {"weights": base + state.weights * local, "gradients": state.gradients * local,
                "optimizer": state.optimizer * local}
    weights = sharded(state.weights, 3) + state.weights * gathered  # 2 layers prefetched
    return {"weights": weights, "gradients": sharded(state.gradients, 2),
            "optimizer": sharded(state.optimizer, 1)}


@lru_cache(maxsize=256)
def _per_token_modes(model: ModelSpec, frozen_mlp: bool = False) -> tuple[float, ...]:
    """Activation bytes a layer keeps per token, under each recompute mode (RECOMPUTE order)."""
    return tuple(activation_bytes_per_token(model, mode, frozen_mlp=frozen_mlp)
                 for mode in RECOMPUTE)


def activation_bytes(model: ModelSpec, plans: PlanSpace, seq_len: int, n_micro: Real,
                     eager: bool = False, share: Real | None = None,
                     frozen_mlp: bool = False) -> Real:
    """Activations the first pipeline stage keeps, plus the working layer and the logits
    (`frozen_mlp`: LoRA on the attention only, so the feed-forward keeps no GEMM inputs).

    Eager (non-flash) attention also keeps the softmax output, dropout mask and dropout output:
    5 a s bytes per token per layer, unless selective or full recompute drops them (Korthikanti
    et al. 2022, Eq. 1-2).
    """
    scores = 5.0 * model.n_heads * seq_len if eager else 0.0  # per local token, all keys
    modes = _per_token_modes(model, frozen_mlp)
    per_token = pick(modes, plans.recompute) + where(plans.recompute == 0, scores, 0.0)
    full_layer = modes[RECOMPUTE.index("none")] + scores
    tokens = plans.micro_batch * seq_len / (plans.tp * plans.cp)  # per device, with SP and CP
    layers = model.n_layers * (stage_share(model, plans) if share is None else share)
    in_flight = minimum(n_micro, plans.pp + plans.overlap) * where(
        plans.v > 1, 1.0 + (plans.pp - 1) / (plans.pp * plans.v), 1.0)
    kept = per_token * tokens * layers * in_flight
    working = where(plans.recompute == RECOMPUTE.index("full"), full_layer * tokens, 0.0)
    logits = plans.micro_batch * seq_len / plans.cp * model.vocab_size / plans.tp * LOGIT_BYTES
    out: Real = kept + working + logits
    return out
