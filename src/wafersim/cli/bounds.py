"""Every numeric flag's documented range and the flags that only make sense together, checked
once, as the command line is parsed (docs/limits.md lists them with their reasons).

A value outside its range, an empty value, or two flags that disagree end as one line naming
the flag(s), the value and the fix. An upper bound is practical (work and memory stay bounded)
or physical (more devices than any cluster built); the environment variable a bound names raises
it for a run that really needs more.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from wafersim.errors import ConfigError


@dataclass(frozen=True)
class Bound:
    """[low, high] in `unit`; `why` says where `high` comes from; `env` raises it."""

    low: float
    high: float
    unit: str
    why: str
    env: str | None = None
    open_high: bool = False  # high itself is excluded

    def limit(self) -> float:
        """`high`, or the larger value the environment variable gives."""
        raw = os.environ.get(self.env, "") if self.env else ""
        try:
            value = float(raw)
        except ValueError:
            return self.high
        return value if math.isfinite(value) and value > self.high else self.high


MAX_DEVICES = Bound(1, 1_000_000, "devices", "5x the largest accelerator cluster built, about "
                    "200,000 GPUs", "WAFERSIM_MAX_DEVICES")
MAX_DEGREE = Bound(1, 1_000_000, "devices", "a parallel degree cannot exceed the device limit",
                   "WAFERSIM_MAX_DEVICES")
MAX_CONTEXT = Bound(1, 10_000_000, "tokens", "the longest context any catalogued or announced "
                    "model has, 10M tokens", "WAFERSIM_MAX_CONTEXT")
MAX_SEQUENCES = Bound(1, 10_000_000, "sequences", "10x the device limit; published global "
                      "batches hold a few thousand sequences", "WAFERSIM_MAX_BATCH")
MAX_REQUESTS = Bound(1, 10_000_000, "requests", "10x the device limit; more requests in flight "
                     "than any deployment holds", "WAFERSIM_MAX_BATCH")
MAX_TOKENS = Bound(1, 1e15, "tokens", "25x the largest published training run, about 40T tokens",
                   "WAFERSIM_MAX_TOKENS")

# Flags by the parameter name their command gives them; a list flag (--count 1,2,4, --batch)
# and an amount (--tokens 2T) are checked by the parser that reads them.
BOUNDS: dict[str, Bound] = {
    "count": MAX_DEVICES, "train_devices": MAX_DEVICES, "pipeline_wafers": MAX_DEVICES,
    "tp": MAX_DEGREE, "pp": MAX_DEGREE, "dp": MAX_DEGREE, "cp": MAX_DEGREE, "ep": MAX_DEGREE,
    "attention_dp": MAX_DEGREE, "global_batch": MAX_SEQUENCES, "micro_batch": MAX_SEQUENCES,
    "seq_len": MAX_CONTEXT, "input_tokens": MAX_CONTEXT, "output_tokens": MAX_CONTEXT,
    "prefill_tokens": MAX_CONTEXT, "chunked_prefill": MAX_CONTEXT, "concurrency": MAX_REQUESTS,
    "batch": MAX_REQUESTS,
    "requests": Bound(1, 1_000_000, "requests", "a million requests take about a minute and a "
                      "GB of memory to simulate", "WAFERSIM_MAX_REQUESTS"),
    "seed": Bound(0, 2**32 - 1, "", "seeds are 32-bit integers, as in the serving benchmarks"),
    "lookahead": Bound(1, 64, "drafted tokens", "published drafts propose 3-10 tokens; at any "
                       "acceptance below 1 tokens past 64 are almost never kept"),
    "acceptance": Bound(0.0, 1.0, "", "a probability; at 1 every drafted token is kept and the "
                        "expected tokens per step is not defined by the model used",
                        open_high=True),
    "sparsity": Bound(0.0, 1.0, "", "the fraction of weights that are zero", open_high=True),
    "tokens": MAX_TOKENS, "train_tokens": MAX_TOKENS,
    "v": Bound(1, 1_000, "virtual stages", "at most one per layer; no catalogued model has "
               "1,000 layers"),
}


def check(flag: str, name: str, value: float) -> None:
    """A one-line ConfigError unless `value` lies in the bound of parameter `name`."""
    bound = BOUNDS.get(name)
    if bound is None:
        return
    if not math.isfinite(value):
        raise ConfigError(f"{flag} {_shown(value)} is not a finite number; give a value in "
                          f"{_range(bound)}")
    high, unit = bound.limit(), f" {bound.unit}" if bound.unit else ""
    if value < bound.low:
        raise ConfigError(f"{flag} {_shown(value)} is below {_number(bound.low)}; give a value in "
                          f"{_range(bound)}")
    if value > high or (bound.open_high and value >= high):
        raise ConfigError(f"{flag} {_shown(value)} is past the limit of {_number(high)}{unit} "
                          f"({bound.why}); give a value in {_range(bound)}" + _raise(bound))


def _shown(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"


def _number(value: float) -> str:
    """A limit as people read it: 1,000,000 (integral), 0.5 or 1e+15."""
    return f"{int(value):,}" if value == int(value) and abs(value) < 1e13 else f"{value:g}"


def _range(bound: Bound) -> str:
    close = ")" if bound.open_high else "]"
    return f"[{_number(bound.low)}, {_number(bound.limit())}{close}"


def _raise(bound: Bound) -> str:
    return f", or set {bound.env} to raise the limit" if bound.env else ""
