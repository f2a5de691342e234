"""Which requests a run sends, from the front ends' arguments: a trace file (or a workload object)
as given, else a synthetic `Workload` whose arrival process and lengths the arguments pick.

Defaults stay those of the benchmarks: 1,000 requests of 1,024 + 1,024 tokens, all sent at once.
The arrival process follows from what is given when `arrivals` is not: `rates` piecewise,
`burstiness` gamma, else Poisson. With a `dataset` and no lengths, the longest prompt and output
are the dataset's 99.9th percentiles, shrunk to fit the model's context.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from wafersim.errors import ParameterError
from wafersim.serve.datasets import dataset as dataset_of
from wafersim.serve.trace import TraceWorkload
from wafersim.serve.workload import Traffic, Workload

DEFAULT_REQUESTS, DEFAULT_TOKENS = 1000, 1024


@dataclass(frozen=True)
class Synthetic:
    """The knobs of a synthetic run; None: the default (or, with a trace, not given)."""

    concurrency: int | None = None
    rate_per_s: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    range_ratio: float = 1.0
    arrivals: str | None = None
    burstiness: float | None = None
    rates: Sequence[float] | None = None
    period_s: float | None = None
    dataset: str | None = None

    def given(self) -> list[str]:
        """The knobs set away from their defaults."""
        names = [k for k, v in vars(self).items() if v is not None and k != "range_ratio"]
        return names + (["range_ratio"] if self.range_ratio != 1.0 else [])


def traffic(workload: str | Path | Traffic | None, requests: int | None, seed: int,
            knobs: Synthetic, context_tokens: int) -> Traffic:
    """The workload to play: the trace or object `workload`, else one built from `knobs`."""
    if workload is None:
        return _synthetic(requests, seed, knobs, context_tokens)
    if knobs.given():
        name = knobs.given()[0]
        raise ParameterError(name, getattr(knobs, name), f"{{{name}}} conflicts with "
                             "{workload.flag}: a trace gives each request's arrival and lengths; "
                             "drop one", allowed="None with a workload")
    if isinstance(workload, str | Path):
        return TraceWorkload.read(workload, requests)
    return workload


def _synthetic(requests: int | None, seed: int, k: Synthetic, context_tokens: int) -> Workload:
    inputs, outputs = k.input_tokens, k.output_tokens
    if k.dataset is not None and (inputs is None or outputs is None):
        cap_in, cap_out = dataset_of(k.dataset).caps(context_tokens)
        inputs = max(1, min(cap_in, context_tokens - (outputs or 0))) if inputs is None else inputs
        outputs = max(1, min(cap_out, context_tokens - inputs)) if outputs is None else outputs
    arrivals = k.arrivals or ("piecewise" if k.rates is not None else
                              "gamma" if k.burstiness is not None else "poisson")
    if k.period_s is not None and arrivals != "piecewise":
        raise ParameterError("period_s", k.period_s, "{period_s:g} is how long each of the "
                             "piecewise rates holds; give {rates.flag} or drop it",
                             allowed="piecewise arrivals only")
    return Workload(DEFAULT_REQUESTS if requests is None else requests,
                    DEFAULT_TOKENS if inputs is None else inputs,
                    DEFAULT_TOKENS if outputs is None else outputs, k.concurrency,
                    k.rate_per_s, k.range_ratio, seed, arrivals,
                    1.0 if k.burstiness is None else k.burstiness,
                    None if k.rates is None else tuple(k.rates),
                    3600.0 if k.period_s is None else k.period_s, k.dataset)
