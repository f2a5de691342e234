"""The plain NumPy training loop the streamed run must reproduce: the whole batch at once, one
process, the same seeded weights, batches and AdamW."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wafersim.mesh.functional import gpt
from wafersim.mesh.functional.config import GPTConfig
from wafersim.mesh.functional.optimizer import Moments, adamw


@dataclass(frozen=True)
class ReferenceRun:
    """Losses per step and the final weights, unit by unit."""

    losses: tuple[float, ...]
    weights: dict[str, dict[str, np.ndarray]]


def loss_and_grads(config: GPTConfig, params: dict[str, gpt.Params], ids: np.ndarray,
                   targets: np.ndarray) -> tuple[float, dict[str, gpt.Params]]:
    """Mean cross-entropy of the batch and the gradient of every weight."""
    total = targets.size
    x = gpt.embed_forward(params["embed"], ids)
    caches = []
    for i in range(config.n_layers):
        x, cache = gpt.layer_forward(params[f"layer{i}"], x, config.n_heads)
        caches.append(cache)
    loss, head = gpt.head_forward(params["head"], x, targets, total)
    dx, grads_head = gpt.head_backward(params["head"], head, targets, total)
    grads = {"head": grads_head}
    for i in reversed(range(config.n_layers)):
        dx, grads[f"layer{i}"] = gpt.layer_backward(params[f"layer{i}"], caches[i], dx,
                                                    config.n_heads)
    grads["embed"] = gpt.embed_backward(params["embed"], ids, dx)
    return loss, grads


def train_reference(config: GPTConfig, steps: int, seed: int) -> ReferenceRun:
    """Train `steps` AdamW steps from the seeded weights on the seeded batches."""
    params = gpt.init_params(config, seed)
    state = {u: {k: Moments(np.zeros_like(w), np.zeros_like(w)) for k, w in p.items()}
             for u, p in params.items()}
    losses = []
    for step, (ids, targets) in enumerate(gpt.batches(config, steps, seed), start=1):
        loss, grads = loss_and_grads(config, params, ids, targets)
        losses.append(loss)
        params = {u: {k: adamw(w, grads[u][k], state[u][k], step, config.lr, config.weight_decay)
                      for k, w in p.items()} for u, p in params.items()}
    return ReferenceRun(tuple(losses), params)
