"""When requests arrive: Poisson, bursty (gamma) and diurnal (piecewise-rate) processes.

Each function returns `n` sorted send times in seconds, drawn from the generator it is given
(seeded by the caller), vectorised with numpy.

- `poisson`: exponential gaps of mean 1/rate, the first request at 0 s (`bench_serving
  --request-rate`).
- `gamma`: gamma-distributed gaps of mean 1/rate and coefficient of variation `cv` (shape
  1/cv^2), the first request at 0 s: cv > 1 is burstier than Poisson, cv < 1 more regular, cv = 1
  is the Poisson process itself (`bench_serving`'s burstiness option is the shape, 1/cv^2).
- `piecewise`: a non-homogeneous Poisson process whose rate steps through `rates`, each held for
  `period_s`, cycling (rates 2,8,4 with one hour each: a three-hour day repeated). Drawn by
  inverting the cumulative rate: unit-rate Poisson times E_i map to t_i = Lambda^-1(E_i)
  (Cinlar's time change, e.g. Lewis & Shedler 1979). Time 0 is the start of the first period.
"""

from __future__ import annotations

import numpy as np


def poisson(rng: np.random.Generator, n: int, rate_per_s: float) -> np.ndarray:
    """Poisson arrivals of `rate_per_s`, the first at 0 s."""
    gaps = rng.exponential(1.0 / rate_per_s, n)
    return np.cumsum(gaps) - gaps[0]


def gamma(rng: np.random.Generator, n: int, rate_per_s: float, cv: float) -> np.ndarray:
    """Gamma renewal arrivals: mean gap 1/rate, gap std / mean = cv, the first at 0 s."""
    if cv == 1.0:
        return poisson(rng, n, rate_per_s)
    shape = 1.0 / cv**2  # gamma: cv^2 = 1 / shape
    gaps = rng.gamma(shape, 1.0 / (rate_per_s * shape), n)
    return np.cumsum(gaps) - gaps[0]


def piecewise(rng: np.random.Generator, n: int, rates_per_s: tuple[float, ...],
              period_s: float) -> np.ndarray:
    """Arrivals whose rate is `rates_per_s[j]` during period j of each cycle."""
    rates = np.asarray(rates_per_s, dtype=np.float64)
    ends = np.cumsum(rates * period_s)  # expected arrivals by the end of each period
    per_cycle = ends[-1]
    unit = np.cumsum(rng.exponential(1.0, n))  # a unit-rate Poisson process
    cycles = np.floor(unit / per_cycle)
    rest = unit - cycles * per_cycle
    j = np.minimum(np.searchsorted(ends, rest, side="right"), len(rates) - 1)
    before = ends[j] - rates[j] * period_s
    # side="right" skips zero-rate periods; inf guards the rounding case rest == per_cycle
    within = (rest - before) / np.where(rates > 0, rates, np.inf)[j]
    return (cycles * len(rates) + j) * period_s + within


def mean_rate_per_s(rates_per_s: tuple[float, ...]) -> float:
    """The long-run arrival rate of a piecewise process: the mean of its periods' rates."""
    return float(np.mean(rates_per_s))
