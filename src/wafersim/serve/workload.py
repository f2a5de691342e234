"""What a serving benchmark sends: how many requests, how fast, and how long each one is.

Mirrors the knobs of the common serving benchmarks (SGLang `bench_serving`, vLLM
`benchmark_serving`): `requests` prompts (`--num-prompts`); a client holding at most
`concurrency` in flight (`--max-concurrency`: a request is sent when a slot frees); arrivals
either all at once (`--request-rate inf`) or as a Poisson process of `rate_per_s`; and the random
dataset's lengths, uniform integers in [max(1, ratio x L), L] (`--random-range-ratio`; 1 gives
every request exactly L tokens, 0 any length from 1 to L). Lengths and arrival times come from
one seeded generator, so the same workload gives the same requests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from wafersim.errors import ParameterError

MIN_RATE_PER_S = 1 / 86400  # one request a day: a slower rate simulates idle days


@dataclass(frozen=True)
class Workload:
    """A finite benchmark run: requests, arrival process, concurrency cap and lengths."""

    requests: int
    input_tokens: int = 1024
    output_tokens: int = 1024
    concurrency: int | None = None  # most requests in flight; None: no cap
    rate_per_s: float | None = None  # Poisson arrivals; None: all sent at time 0
    range_ratio: float = 1.0  # lengths uniform in [max(1, ratio x L), L]
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("requests", "input_tokens", "output_tokens"):
            if getattr(self, name) < 1:
                raise ParameterError(name, getattr(self, name), f"{{{name}}} must be at least 1",
                                     allowed=">= 1")
        if self.concurrency is not None and self.concurrency < 1:
            raise ParameterError("concurrency", self.concurrency, "{concurrency} must be at least "
                                 "1 request", allowed=">= 1 or None (no cap)")
        if self.rate_per_s is not None and not (self.rate_per_s > 0 and math.isfinite(self.rate_per_s)):
            raise ParameterError("rate_per_s", self.rate_per_s, "{rate_per_s:g} must be a positive "
                                 "number of requests/s (leave it out to send every request at "
                                 "once)", allowed="> 0 and finite, or None (all at once)")
        if self.rate_per_s is not None and self.rate_per_s < MIN_RATE_PER_S:
            raise ParameterError("rate_per_s", self.rate_per_s, "{rate_per_s:g} requests/s sends "
                                 f"one request every {1 / self.rate_per_s / 86400:.3g} days; give "
                                 f"at least {MIN_RATE_PER_S:.3g} (one a day)",
                                 allowed=f">= {MIN_RATE_PER_S:.3g}")
        if self.seed < 0:
            raise ParameterError("seed", self.seed, "{seed} must be a non-negative integer",
                                 allowed=">= 0")
        if not 0.0 <= self.range_ratio <= 1.0:
            raise ParameterError("range_ratio", self.range_ratio, "{range_ratio:g} must lie in "
                                 "[0, 1]; 1 gives every request the full lengths", allowed="[0, 1]")

    @property
    def in_flight(self) -> int:
        """The most requests that can be in flight at once."""
        return min(self.requests, self.concurrency or self.requests)

    def mean_tokens(self) -> tuple[int, int]:
        """Mean (prompt, output) tokens of the length distribution, rounded."""
        return self._mean(self.input_tokens), self._mean(self.output_tokens)

    def _mean(self, full: int) -> int:
        return round((self._low(full) + full) / 2)

    def _low(self, full: int) -> int:
        return max(1, int(full * self.range_ratio))

    def sample(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(send times s, prompt tokens, output tokens), one entry per request, seeded."""
        rng = np.random.default_rng(self.seed)
        inputs = self._lengths(rng, self.input_tokens)
        outputs = self._lengths(rng, self.output_tokens)
        if self.rate_per_s is None:
            return np.zeros(self.requests), inputs, outputs
        gaps = rng.exponential(1.0 / self.rate_per_s, self.requests)  # Poisson process
        return np.cumsum(gaps) - gaps[0], inputs, outputs

    def _lengths(self, rng: np.random.Generator, full: int) -> np.ndarray:
        if self.range_ratio == 1.0:
            return np.full(self.requests, full, dtype=np.int64)
        return rng.integers(self._low(full), full + 1, self.requests)
