"""MemoryX: the store that holds every weight and its optimizer state off the wafers, streams a
unit's weights out on request and runs the optimizer on the reduced gradients (Cerebras docs,
"Weight Streaming Execution": weights and optimizer live in MemoryX)."""

from __future__ import annotations

import numpy as np

from wafersim.mesh.functional.gpt import Params
from wafersim.mesh.functional.optimizer import Moments, adamw


class MemoryX:
    """Weights and AdamW moments per unit; counts the bytes it sends and receives."""

    def __init__(self, weights: dict[str, Params], value_bytes: int) -> None:
        self.weights = {u: {k: w.copy() for k, w in p.items()} for u, p in weights.items()}
        self.state = {u: {k: Moments(np.zeros_like(w), np.zeros_like(w)) for k, w in p.items()}
                      for u, p in weights.items()}
        self.grads: dict[str, Params] = {}
        self.value_bytes = value_bytes
        self.sent_bytes = 0
        self.received_bytes = 0

    def unit_bytes(self, unit: str) -> int:
        """Bytes of one unit's weights as the wafers hold them."""
        return self.unit_params(unit) * self.value_bytes

    def unit_params(self, unit: str) -> int:
        return sum(w.size for w in self.weights[unit].values())

    def stream(self, unit: str) -> Params:
        """A read-only view of the unit's weights, counted as sent once (SwarmX replicates)."""
        self.sent_bytes += self.unit_bytes(unit)
        out = {}
        for k, w in self.weights[unit].items():
            view = w.view()
            view.flags.writeable = False
            out[k] = view
        return out

    def receive(self, unit: str, grads: Params) -> None:
        """The gradient of one unit, already summed over the wafers by SwarmX."""
        self.received_bytes += sum(g.size for g in grads.values()) * self.value_bytes
        self.grads[unit] = grads

    def step(self, step: int, lr: float, weight_decay: float) -> None:
        """AdamW on every unit whose gradient arrived; then forget the gradients."""
        for unit, grads in self.grads.items():
            for k, g in grads.items():
                self.weights[unit][k] = adamw(self.weights[unit][k], g, self.state[unit][k], step,
                                              lr, weight_decay)
        self.grads = {}
