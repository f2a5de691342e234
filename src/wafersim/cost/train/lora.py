"""LoRA fine-tuning (Hu et al. 2021, arXiv:2106.09685): frozen base weights, trained low-rank adapters.

A frozen linear still passes the gradient back to its input (dX = dY W^T, one forward pass of
GEMM work) but computes no weight gradient (dW = X^T dY), so its backward costs one forward pass
instead of two; attention, norms and activations backpropagate as in full training. Each adapted
projection W gains W + B A with A (k x r) and B (r x n), trained in full (forward, input and weight
gradients). Only the adapters keep gradients and optimizer state and are reduced across
data-parallel ranks. Adapters sit on the attention projections, as in the MLPerf Training
llama2_70b_lora reference (run_llama_70B_scrolls_r16.sh: --lora_target_modules qkv_proj,o_proj).
"""

from __future__ import annotations

import re

import numpy as np
import numpy.typing as npt

from wafersim.cost.kernels.gemm import Device, gemm_time_s
from wafersim.errors import ConfigError
from wafersim.models.spec import ModelSpec
from wafersim.ops.graph import Graph, Op
from wafersim.xp import Real, Whole

Array = npt.NDArray[np.float64]
TARGETS = ("attn.qkv", "attn.q", "attn.q_b", "attn.kv_b", "attn.o")  # attention projections
FROZEN_BACKWARD = 1.0  # backward of a frozen linear / its forward: dX only (no dW)
TRAINED_BACKWARD = 2.0  # dX and dW (Narayanan et al. 2021)


def lora_rank(finetune: str | None) -> int:
    """Adapter rank of a fine-tuning spec: '' or None (full training) -> 0, 'lora-r16' -> 16."""
    if not finetune:
        return 0
    match = re.fullmatch(r"lora-r(\d+)", finetune.strip())
    if not match or int(match.group(1)) < 1:
        raise ConfigError(f"fine-tuning {finetune!r} is not understood; use e.g. 'lora-r16'")
    return int(match.group(1))


def _targets(graph: Graph) -> list[Op]:
    return [op for op in graph.layer_ops() if op.kind == "gemm" and op.name in TARGETS]


def adapter_params(graph: Graph, rank: int) -> float:
    """Adapter weights of the whole model: r (k + n) per adapted projection and layer."""
    if not rank:
        return 0.0
    return float(sum(rank * (op.k + op.n) * op.repeat for op in _targets(graph)))


def adapter_time_s(graph: Graph, rank: int, tokens: Real, tp: Whole, share: Real,
                   device: Device) -> Real:
    """Forward seconds of one stage's adapters on one micro-batch (x A, then (x A) B); the
    tensor-parallel rank holds its slice of the wide side."""
    total: Real = np.zeros_like(tokens) if isinstance(tokens, np.ndarray) else 0.0
    for op in _targets(graph):
        down = gemm_time_s(tokens, rank, op.k / tp if op.name.endswith(".o") else op.k, device)
        up = gemm_time_s(tokens, op.n if op.name.endswith(".o") else op.n / tp, rank, device)
        total = total + (down + up) * op.repeat * share
    return total


def lora_flops_per_token(model: ModelSpec, seq_len: int) -> float:
    """Model FLOPs per token of LoRA fine-tuning: linears forward and input gradient, attention
    scores forward and backward (adapter FLOPs are negligible and left out)."""
    linear = 2.0 * model.params_matmul_active
    scores = model.attention_score_flops(model.training_keys(seq_len))
    return (1.0 + FROZEN_BACKWARD) * linear + 3.0 * scores
