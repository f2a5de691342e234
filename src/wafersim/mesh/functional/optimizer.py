"""AdamW (Loshchilov & Hutter 2019, decoupled weight decay), one tensor at a time."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BETA1, BETA2, EPS = 0.9, 0.999, 1e-8  # the PyTorch defaults


@dataclass
class Moments:
    """One tensor's first and second moment estimates (state that lives in MemoryX)."""

    m: np.ndarray
    v: np.ndarray


def adamw(w: np.ndarray, g: np.ndarray, state: Moments, step: int, lr: float,
          weight_decay: float) -> np.ndarray:
    """The updated tensor; `state` is advanced in place. `step` counts from 1."""
    state.m = BETA1 * state.m + (1 - BETA1) * g
    state.v = BETA2 * state.v + (1 - BETA2) * g * g
    m_hat = state.m / (1 - BETA1**step)
    v_hat = state.v / (1 - BETA2**step)
    return w - lr * (m_hat / (np.sqrt(v_hat) + EPS) + weight_decay * w)
