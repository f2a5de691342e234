"""What a serving benchmark sends: how many requests, how fast, and how long each one is.

Mirrors the knobs of the common serving benchmarks (SGLang `bench_serving`, vLLM
`benchmark_serving`): `requests` prompts (`--num-prompts`); a client holding at most
`concurrency` in flight (`--max-concurrency`: a request is sent when a slot frees); arrivals
either all at once (`--request-rate inf`) or as a Poisson process of `rate_per_s`; and the random
dataset's lengths, uniform integers in [max(1, ratio x L), L] (`--random-range-ratio`; 1 gives
every request exactly L tokens, 0 any length from 1 to L). Lengths and arrival times come from
one seeded generator, so the same workload gives the same requests.

Beyond the benchmarks' knobs: `arrivals` "gamma" (bursty: gaps with coefficient of variation
`burstiness`) or "piecewise" (diurnal: `rates` per `period_s`, cycling) instead of Poisson
(serve/arrivals.py), and `dataset` (serve/datasets.py) for lognormal lengths matched to a public
dataset's published statistics, clipped to `input_tokens` and `output_tokens` (then the longest a
prompt or output may be). A trace file replays recorded requests instead (serve/trace.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from wafersim.errors import ParameterError
from wafersim.serve import arrivals as processes
from wafersim.serve.datasets import dataset as dataset_of

MIN_RATE_PER_S = 1 / 86400  # one request a day: a slower rate simulates idle days
ARRIVALS = ("poisson", "gamma", "piecewise")


@dataclass(frozen=True, eq=False)
class Sampled:
    """The requests a workload sends, one entry per request, sorted by arrival."""

    arrival_s: np.ndarray  # float: when each request is due
    input_tokens: np.ndarray  # int: prompt tokens
    output_tokens: np.ndarray  # int: output tokens
    session: np.ndarray  # int: conversation id, -1 = none
    prefix_tokens: np.ndarray  # int: leading prompt tokens shared with earlier requests, 0 = none
    models: tuple[str, ...] | None = None  # per-request model id (from a trace), None = absent

    @classmethod
    def of(cls, arrival_s: np.ndarray, input_tokens: np.ndarray,
           output_tokens: np.ndarray) -> Sampled:
        """Requests without sessions or shared prefixes."""
        n = len(arrival_s)
        return cls(arrival_s, input_tokens, output_tokens, np.full(n, -1, dtype=np.int64),
                   np.zeros(n, dtype=np.int64))


class Traffic(Protocol):
    """What a run sends: a synthetic `Workload` or a replayed trace (serve/trace.py)."""

    @property
    def requests(self) -> int: ...

    @property
    def in_flight(self) -> int: ...  # most requests in flight

    @property
    def input_tokens(self) -> int: ...  # the longest prompt

    @property
    def output_tokens(self) -> int: ...  # the longest output

    def mean_tokens(self) -> tuple[int, int]: ...

    def sample(self) -> Sampled: ...


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
    arrivals: str = "poisson"  # with rate_per_s: "poisson" or "gamma"; "piecewise" takes rates
    burstiness: float = 1.0  # gamma: coefficient of variation of the gaps; 1 is Poisson
    rates: tuple[float, ...] | None = None  # piecewise: requests/s in each period, cycling
    period_s: float = 3600.0  # piecewise: how long each rate holds
    dataset: str | None = None  # lengths of a public dataset (serve/datasets.py), else uniform

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
        self._check_arrivals()
        if self.dataset is not None:
            dataset_of(self.dataset)
            if self.range_ratio != 1.0:
                raise ParameterError("range_ratio", self.range_ratio, "{range_ratio:g} draws "
                                     "uniform lengths; {dataset!r} draws its own: drop one",
                                     allowed="1 with a dataset", dataset=self.dataset)

    def _check_arrivals(self) -> None:
        if self.arrivals not in ARRIVALS:
            raise ParameterError("arrivals", self.arrivals, "{arrivals!r} is not an arrival "
                                 f"process; give one of {', '.join(ARRIVALS)}",
                                 allowed=", ".join(ARRIVALS))
        if not (self.burstiness > 0 and math.isfinite(self.burstiness)):
            raise ParameterError("burstiness", self.burstiness, "{burstiness:g} must be a "
                                 "positive coefficient of variation (1 is Poisson, more is "
                                 "burstier)", allowed="> 0 and finite")
        if self.burstiness != 1.0 and self.arrivals != "gamma":
            raise ParameterError("burstiness", self.burstiness, "{burstiness:g} shapes gamma "
                                 "arrivals; give {arrivals.flag} gamma or drop it", allowed="gamma "
                                 "arrivals only")
        if self.arrivals == "gamma" and self.rate_per_s is None:
            raise ParameterError("arrivals", self.arrivals, "{arrivals!r} needs a mean rate; "
                                 "give {rate_per_s.flag}", allowed="with rate_per_s")
        if self.arrivals == "piecewise":
            self._check_piecewise()
        elif self.rates is not None:
            raise ParameterError("rates", self.rates, "{rates} sets piecewise arrivals; "
                                 "give {arrivals.flag} piecewise or drop it", allowed="piecewise "
                                 "arrivals only")

    def _check_piecewise(self) -> None:
        if self.rate_per_s is not None:
            raise ParameterError("rate_per_s", self.rate_per_s, "{rate_per_s:g} is one rate; "
                                 "piecewise arrivals take {rates.flag} per period: drop one",
                                 allowed="None with piecewise arrivals")
        rates = self.rates or ()
        if not rates:
            raise ParameterError("rates", self.rates, "piecewise arrivals need {rates.flag}: "
                                 "requests/s per period, e.g. 2,8,4", allowed=">= 0 each, one > 0")
        if not all(r >= 0 and math.isfinite(r) for r in rates) or max(rates) <= 0:
            raise ParameterError("rates", self.rates, "{rates} must be requests/s per period, "
                                 "none negative, at least one above 0, e.g. 2,8,4",
                                 allowed=">= 0 each, one > 0")
        if processes.mean_rate_per_s(rates) < MIN_RATE_PER_S:
            raise ParameterError("rates", self.rates, "{rates.flag} average under one request "
                                 f"a day; give at least {MIN_RATE_PER_S:.3g} requests/s on average",
                                 allowed=f"mean >= {MIN_RATE_PER_S:.3g}")
        if not (self.period_s > 0 and math.isfinite(self.period_s)):
            raise ParameterError("period_s", self.period_s, "{period_s:g} must be a positive "
                                 "number of seconds each rate holds", allowed="> 0 and finite")

    @property
    def in_flight(self) -> int:
        """The most requests that can be in flight at once."""
        return min(self.requests, self.concurrency or self.requests)

    def mean_tokens(self) -> tuple[int, int]:
        """Mean (prompt, output) tokens of the length distribution, rounded."""
        if self.dataset is not None:
            d = dataset_of(self.dataset)
            return (max(1, round(d.prompt.mean(self.input_tokens))),
                    max(1, round(d.output.mean(self.output_tokens))))
        return self._mean(self.input_tokens), self._mean(self.output_tokens)

    def _mean(self, full: int) -> int:
        return round((self._low(full) + full) / 2)

    def _low(self, full: int) -> int:
        return max(1, int(full * self.range_ratio))

    def sample(self) -> Sampled:
        """The requests, seeded: lengths first, then send times, from one generator."""
        rng = np.random.default_rng(self.seed)
        if self.dataset is not None:
            d = dataset_of(self.dataset)
            inputs = d.prompt.sample(rng, self.requests, self.input_tokens)
            outputs = d.output.sample(rng, self.requests, self.output_tokens)
        else:
            inputs = self._lengths(rng, self.input_tokens)
            outputs = self._lengths(rng, self.output_tokens)
        return Sampled.of(self._send_times(rng), inputs, outputs)

    def _send_times(self, rng: np.random.Generator) -> np.ndarray:
        if self.arrivals == "piecewise":
            return processes.piecewise(rng, self.requests, self.rates or (), self.period_s)
        if self.rate_per_s is None:
            return np.zeros(self.requests)
        if self.arrivals == "gamma":
            return processes.gamma(rng, self.requests, self.rate_per_s, self.burstiness)
        return processes.poisson(rng, self.requests, self.rate_per_s)

    def _lengths(self, rng: np.random.Generator, full: int) -> np.ndarray:
        if self.range_ratio == 1.0:
            return np.full(self.requests, full, dtype=np.int64)
        return rng.integers(self._low(full), full + 1, self.requests)
