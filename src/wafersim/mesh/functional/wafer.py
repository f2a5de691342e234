"""One simulated wafer of the data-parallel cluster: it keeps its shard's activations in its SRAM
(a ledger of bytes against the PE region's capacity) and runs each streamed unit forward and
backward on them. Weights arrive, are used, and are dropped: they never stay."""

from __future__ import annotations

import numpy as np

from wafersim.errors import ParameterError
from wafersim.mesh.functional import gpt
from wafersim.mesh.functional.config import GPTConfig


class SimulatedWafer:
    """A shard's inputs, targets and cached activations; SRAM bytes held and their peak."""

    def __init__(self, config: GPTConfig, capacity_bytes: int, value_bytes: int) -> None:
        self.config = config
        self.capacity_bytes = capacity_bytes
        self.value_bytes = value_bytes
        self.held: dict[str, int] = {}
        self.peak_bytes = 0
        self.caches: dict[str, gpt.Cache] = {}

    def _hold(self, name: str, arrays: list[np.ndarray]) -> None:
        self.held[name] = sum(a.size for a in arrays) * self.value_bytes
        used = sum(self.held.values())
        if used > self.capacity_bytes:
            raise ParameterError("grid", self.config.grid, f"the activations need {used:,} bytes "
                                 f"of wafer SRAM but the {self.config.grid[0]}x"
                                 f"{self.config.grid[1]} PE region holds {self.capacity_bytes:,}; "
                                 "give a larger {grid.flag} or smaller sizes",
                                 allowed=f"at most {self.capacity_bytes:,} bytes")
        self.peak_bytes = max(self.peak_bytes, used)

    def _drop(self, name: str) -> None:
        self.held.pop(name, None)
        self.caches.pop(name, None)

    def load(self, ids: np.ndarray, targets: np.ndarray, total_tokens: int) -> None:
        """This wafer's sequences of the step (kept until the step ends)."""
        self.ids, self.targets, self.total = ids, targets, total_tokens
        self._hold("batch", [ids, targets])

    def forward(self, unit: str, w: gpt.Params) -> None:
        """Run `unit` on the activations held; keep what its backward needs."""
        if unit == "embed":
            self.x = gpt.embed_forward(w, self.ids)
            self.loss = 0.0
        elif unit == "head":
            self.loss, cache = gpt.head_forward(w, self.x, self.targets, self.total)
            self.caches[unit] = cache
        else:
            self.caches[unit] = {"x": self.x}
            self.x, cache = gpt.layer_forward(w, self.x, self.config.n_heads)
            self.caches[unit] |= cache
        self._hold(unit, list(self.caches.get(unit, {}).values()))
        self._hold("x", [self.x])

    def backward(self, unit: str, w: gpt.Params) -> gpt.Params:
        """The unit's weight gradients from this shard; frees its cached activations."""
        if unit == "head":
            self.dx, grads = gpt.head_backward(w, self.caches[unit], self.targets, self.total)
        elif unit == "embed":
            grads = gpt.embed_backward(w, self.ids, self.dx)
            self._drop("batch")
        else:
            self.dx, grads = gpt.layer_backward(w, self.caches[unit], self.dx, self.config.n_heads)
        self._drop(unit)
        self._hold("x", [self.dx])
        return grads
