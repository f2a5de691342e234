"""`ServeResult`: one simulated benchmark run, summarised as the benchmark clients print it.

Figures follow SGLang `bench_serving` / vLLM `benchmark_serving`: the run lasts from the first
send to the last completion; output throughput = output tokens / duration; TTFT and latency run
from a request's send; TPOT = (latency - TTFT) / (output tokens - 1) over requests with more than
one output token; concurrency = the sum of latencies / duration (mean requests in flight);
queueing delay runs from a request's send until its prompt first enters an iteration. With an
`Slo`, attainment is the share of requests meeting both targets (TTFT, and TPOT where they
generated more than one token) and goodput those requests per second of the run (DistServe,
Zhong et al. OSDI 2024).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from wafersim.plan.infer import InferPlan
from wafersim.serve.engine import Request
from wafersim.serve.observe import Recorder


def _stats(values: np.ndarray) -> dict[str, float]:
    return {"mean": float(values.mean()), "p50": float(np.percentile(values, 50)),
            "p90": float(np.percentile(values, 90)), "p99": float(np.percentile(values, 99))}


@dataclass(frozen=True)
class Slo:
    """Per-request targets: time to first token and time per output token (None: no target)."""

    ttft_s: float | None = None
    tpot_s: float | None = None

    def met(self, ttft_s: np.ndarray, tpot_s: np.ndarray) -> np.ndarray:
        """Which requests meet both targets (`tpot_s` nan: one output token, no TPOT)."""
        ok = np.ones(ttft_s.size, dtype=bool)
        if self.ttft_s is not None:
            ok &= ttft_s <= self.ttft_s
        if self.tpot_s is not None:
            ok &= ~(tpot_s > self.tpot_s)
        return ok


@dataclass(frozen=True)
class ServeResult:
    """A simulated serving run (SI units). Each pool's `pools` breakdown sums to `duration_s`."""

    model: str
    system: str
    devices: int
    requests: int
    duration_s: float
    input_tokens: int  # all requests
    output_tokens: int  # all requests
    throughput_tokens_per_s: float  # output tokens / duration
    request_throughput_per_s: float
    mean_concurrency: float
    ttft_s: dict[str, float]  # mean, p50, p99
    tpot_s: dict[str, float | None]  # None: no request generated more than one token
    latency_s: dict[str, float]  # mean, p50, p90, p99 (as ttft_s)
    pools: dict[str, dict[str, float]]  # per pool: prefill, decode and idle seconds
    energy_per_token_J: float | None  # None: the system's power is not in the catalog
    usd_per_million_tokens: float | None
    plan: InferPlan  # layer 1's plan the run played
    prefill_tokens_per_scheduler: int  # prompt-token budget of one scheduler's iteration
    steady_state: dict[str, float]  # layer 1 at the plan's batch: ttft_s, tpot_s, throughput
    assumptions: tuple[str, ...] = field(default_factory=tuple)
    cost_basis: str = "tco"  # what $ per million tokens pays for: owning ("tco") or renting
    queue_s: dict[str, float] | None = None  # send to first iteration: mean, p50, p90, p99
    slo_attainment: float | None = None  # share of requests meeting the Slo; None: no Slo
    goodput_requests_per_s: float | None = None  # requests meeting the Slo per second
    kv_utilisation: dict[str, float] | None = None  # KV used / capacity over the run: mean, peak
    preemptions: int | None = None  # None: not recorded

    def __post_init__(self) -> None:
        for name, parts in self.pools.items():
            total = sum(parts.values())
            assert math.isclose(total, self.duration_s, rel_tol=1e-9, abs_tol=1e-12), \
                f"pool {name} breakdown {total} != {self.duration_s}"

    def to_json(self) -> dict[str, Any]:
        """The stable machine view (SI units)."""
        out = {k: (dict(v) if isinstance(v, dict) else list(v) if isinstance(v, tuple) else v)
               for k, v in self.__dict__.items()}
        budget = out.pop("prefill_tokens_per_scheduler")
        return out | {"plan": self.plan.to_json() | {"prefill_tokens_per_scheduler": budget}}


def summarise(requests: list[Request], pools: dict[str, dict[str, float]], slo: Slo | None = None,
              recorder: Recorder | None = None) -> dict[str, Any]:
    """The benchmark's figures from finished requests; pools get their idle seconds."""
    sent = np.array([r.sent_s for r in requests])
    first = np.array([r.first_token_s for r in requests])
    finish = np.array([r.finish_s for r in requests])
    out = np.array([r.output_tokens for r in requests])
    duration = float(finish.max())
    multi = out > 1
    latency = finish - sent
    tpot = np.divide(finish - first, out - 1, out=np.full(out.size, np.nan), where=multi)
    figures = {
        "requests": len(requests), "duration_s": duration,
        "input_tokens": int(sum(r.input_tokens for r in requests)), "output_tokens": int(out.sum()),
        "throughput_tokens_per_s": float(out.sum()) / duration,
        "request_throughput_per_s": len(requests) / duration,
        "mean_concurrency": float(latency.sum()) / duration,
        "ttft_s": _stats(first - sent),
        "tpot_s": _stats(tpot[multi]) if multi.any() else {
            "mean": None, "p50": None, "p90": None, "p99": None},
        "latency_s": _stats(latency),
        "queue_s": _stats(np.array([r.scheduled_s for r in requests]) - sent),
        "pools": {name: busy | {"idle": max(0.0, duration - sum(busy.values()))}
                  for name, busy in pools.items()},
    }
    if slo is not None:
        met = int(slo.met(first - sent, tpot).sum())
        figures |= {"slo_attainment": met / len(requests), "goodput_requests_per_s": met / duration}
    if recorder is not None:
        figures |= {"kv_utilisation": recorder.utilisation(duration),
                    "preemptions": recorder.preemptions}
    return figures
