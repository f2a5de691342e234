"""Step times of one chosen serving plan at every batch size: the curves an event-driven
simulation (`serve/`) steps along.

For the plan layer 1 picked (`InferResult.plan`), `tpot_s[b - 1]` is each request's time per
output token while b requests decode together, and `ttft_s[k - 1]` the time to prefill k
prompts in one pass. Both come from the cost functions `infer` uses, so a simulation whose batch
stays at b reproduces layer 1's TPOT at b. Decode times are taken at the request shape's mean
context (`Serving.mean_decode_context`), as layer 1 takes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class Curve:
    """Decode and prefill step times of one plan, indexed by requests (1-based)."""

    tpot_s: np.ndarray  # [b - 1]: seconds per output token per request, b requests decoding
    ttft_s: np.ndarray  # [k - 1]: seconds to prefill k prompts together
    max_batch: int  # requests whose KV cache fits at full context (0: none)
    schedulers: int  # independent batch schedulers: replicas x data-parallel attention ranks

    def decode_s(self, batch: int) -> float:
        """Seconds per token of each of `batch` requests decoding together."""
        tpot = self._tpot
        return tpot[min(batch, len(tpot)) - 1]

    @cached_property
    def _tpot(self) -> list[float]:
        """The decode step times as Python floats (a list indexes faster than an array)."""
        return [float(x) for x in self.tpot_s.tolist()]

    @cached_property
    def _prompts(self) -> np.ndarray:
        return np.arange(1, self.ttft_s.size + 1, dtype=float)

    @cached_property
    def _ttft(self) -> list[float] | None:
        """The prefill times as Python floats (None: some are not finite)."""
        return self.ttft_s.tolist() if bool(np.isfinite(self.ttft_s).all()) else None

    def prefill_s(self, prompts: float) -> float:
        """Seconds to prefill `prompts` prompts (fractional: tokens / prompt length) in one pass."""
        x, t = max(prompts, 1.0), self._ttft
        if t is None:
            return float(np.interp(x, self._prompts, self.ttft_s))
        if x >= len(t):
            return t[-1]
        j = int(x) - 1
        # np.interp's own formula between the points j + 1 and j + 2, bit for bit, without its
        # per-call overhead (a run calls this once per prefill iteration)
        return (t[j + 1] - t[j]) * (x - (j + 1)) + t[j]
