"""Prompt and output lengths of public datasets, from their published statistics.

Each dataset's lengths are lognormal, matched to the figures its papers publish: a mean and an
assumed spread where only the mean is published, or the median and 90th percentile where those
are. A length is rounded to whole tokens and clipped to [1, cap]; the caller picks the caps (by
default the 99.9th percentiles, shrunk to fit the model's context).

The figures (tokens; docs/serving-workloads.md lists them with their sources):
- ShareGPT: mean prompt 161.31, mean output 337.99 (vLLM paper, Kwon et al., SOSP 2023, Fig. 11a);
  spread assumed (sigma 1, median about 0.61 x mean).
- LMSYS-Chat-1M: per turn, mean prompt 69.5, mean response 214.5 (Zheng et al., ICLR 2024,
  Table 1); spread assumed (sigma 1).
- arXiv summarisation: prompt median 7,059 and P90 12,985, output median 208 and P90 371
  (Sarathi-Serve, Agrawal et al., OSDI 2024, Table 2, LLaMA-2 tokenizer); the long-prompt
  workload DistServe (Zhong et al., OSDI 2024) also serves.
None of these figures was re-checked against the papers here (`verified=False`): check them
before relying on the exact values.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass

import numpy as np

from wafersim.errors import ParameterError

Z90 = 1.2815515655446004  # standard normal 90th percentile
Z999 = 3.090232306167813  # standard normal 99.9th percentile


@dataclass(frozen=True)
class Lengths:
    """A lognormal length distribution: ln(length) ~ Normal(mu, sigma)."""

    mu: float
    sigma: float

    @classmethod
    def of_mean(cls, mean: float, sigma: float) -> Lengths:
        """From the mean and a spread: mean = exp(mu + sigma^2 / 2)."""
        return cls(math.log(mean) - sigma**2 / 2, sigma)

    @classmethod
    def of_median_p90(cls, median: float, p90: float) -> Lengths:
        """From the median exp(mu) and the 90th percentile exp(mu + z90 sigma)."""
        return cls(math.log(median), math.log(p90 / median) / Z90)

    def sample(self, rng: np.random.Generator, n: int, cap: int) -> np.ndarray:
        """`n` lengths, whole tokens in [1, cap]."""
        return np.clip(np.rint(rng.lognormal(self.mu, self.sigma, n)), 1, cap).astype(np.int64)

    def mean(self, cap: int) -> float:
        """E[min(X, cap)] of the lognormal X (the clipped mean; the floor at 1 is negligible)."""
        a = (math.log(cap) - self.mu) / self.sigma
        below = math.exp(self.mu + self.sigma**2 / 2) * _phi(a - self.sigma)
        return below + cap * (1.0 - _phi(a))

    def quantile(self, z: float) -> float:
        return math.exp(self.mu + z * self.sigma)


def _phi(x: float) -> float:
    """Standard normal CDF."""
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


@dataclass(frozen=True)
class PublicDataset:
    """A public dataset's prompt and output lengths, with where the figures come from."""

    name: str
    prompt: Lengths
    output: Lengths
    source: str
    verified: bool = False  # True once the figures are checked against the cited table

    def caps(self, context_tokens: int) -> tuple[int, int]:
        """(longest prompt, longest output): the 99.9th percentiles, scaled down together until
        a request of both fits `context_tokens`."""
        prompt, output = (math.ceil(d.quantile(Z999)) for d in (self.prompt, self.output))
        if prompt + output <= context_tokens:
            return prompt, output
        prompt = max(1, int(prompt * context_tokens / (prompt + output)))
        return prompt, max(1, context_tokens - prompt)


DATASETS = {
    "sharegpt": PublicDataset("sharegpt", Lengths.of_mean(161.31, 1.0), Lengths.of_mean(337.99, 1.0),
                        "vLLM (Kwon et al., SOSP 2023) Fig. 11a: means; spread assumed"),
    "lmsys": PublicDataset("lmsys", Lengths.of_mean(69.5, 1.0), Lengths.of_mean(214.5, 1.0),
                     "LMSYS-Chat-1M (Zheng et al., ICLR 2024) Table 1: means per turn; spread "
                     "assumed"),
    "arxiv": PublicDataset("arxiv", Lengths.of_median_p90(7059, 12985), Lengths.of_median_p90(208, 371),
                     "Sarathi-Serve (Agrawal et al., OSDI 2024) Table 2: medians and P90s"),
}


def dataset(name: str) -> PublicDataset:
    """The dataset called `name`; an unknown name suggests the closest."""
    if name in DATASETS:
        return DATASETS[name]
    close = difflib.get_close_matches(name, list(DATASETS), n=1, cutoff=0.4)
    hint = f" (did you mean {close[0]}?)" if close else ""
    raise ParameterError("dataset", name, f"{{dataset!r}} is not a known dataset{hint}; give "
                         f"one of {', '.join(DATASETS)}", allowed=", ".join(DATASETS))
