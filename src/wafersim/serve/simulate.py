"""Simulate a serving benchmark run: layer 1 picks the plan, the event loop plays the requests.

1. The steady-state model (`cost/infer/dispatch.py`, or `cost/infer/disagg.py` with a split) picks the plan
   for the run's most requests in flight, capped at what the KV cache holds.
2. That plan's step-time curves (`cost/infer/curve.py`) give each prefill and decode iteration.
3. A client sends the workload's requests; a mixed pool (or a prefill and a decode pool) batches
   them iteration by iteration (`serve/engine.py`), and the finished requests are summarised as a
   benchmark client prints them (`serve/result.py`).

What the steady state leaves out and this adds: the burst at the start (every prompt queues for
prefill), decode pausing for prefill on shared devices, batches that shrink as a finite run
drains, and arrival processes below saturation.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from wafersim.catalog.schema import Stack
from wafersim.catalog.system import System
from wafersim.cost.infer.common import SelfDraft, Serving
from wafersim.cost.infer.curve import Curve, curve_of, pool_curves
from wafersim.cost.infer.disagg import Split, disaggregated_serve
from wafersim.cost.infer.dispatch import serve, wafer_system
from wafersim.cost.infer.result import InferResult
from wafersim.cost.infer.wafer import Speculative
from wafersim.cost.kernels.economics import economics
from wafersim.errors import ConfigError, InfeasiblePlan
from wafersim.models.spec import ModelSpec
from wafersim.serve.client import Client
from wafersim.serve.engine import DecodePool, MixedPool, PrefillPool, Request
from wafersim.serve.events import EventLoop
from wafersim.serve.result import ServeResult, summarise
from wafersim.serve.workload import Workload

# SGLang's default --max-prefill-tokens (python/sglang/srt/server_args.py): the most prompt
# tokens one scheduler prefills in an iteration
DEFAULT_PREFILL_TOKENS = 16384

ASSUMPTIONS = (
    "plan: layer 1's best plan for the run's most requests in flight (capped at the KV cache)",
    "decode iterations timed at the request shape's mean context (as layer 1)",
    "prefill first: waiting prompts (within the token budget per scheduler) run before decoding",
    "plan, step times and KV capacity at the workload's mean lengths; a prompt batch costs its "
    "tokens / the mean prompt length prompts",
    "energy at the devices' full power for the whole run",
)


def capped(run: Callable[[int], InferResult], batch: int) -> InferResult:
    """Layer 1 at `batch` requests in flight, or at the KV cache's capacity when fewer fit."""
    try:
        return run(batch)
    except InfeasiblePlan:
        if batch == 1:
            raise
        cap = run(1).max_batch
        if not 1 <= cap < batch:
            raise
        return run(cap)


def simulate(model: ModelSpec, system: System, workload: Workload, precision: str = "bf16",
             kv_precision: str = "bf16", plan: dict[str, int | None] | None = None,
             count: int | None = None, spec: Speculative | SelfDraft | None = None,
             split: Split | None = None,
             prefill_tokens: int = DEFAULT_PREFILL_TOKENS, stack: Stack | None = None) -> ServeResult:
    """Play `workload` against `model` served on `system` (disaggregated when `split` is given),
    with the chip's calibrated serving stack or `stack`."""
    if prefill_tokens < 1:
        raise ConfigError(f"--prefill-tokens {prefill_tokens} must be at least 1 token")
    serving = Serving(*workload.mean_tokens(), precision, kv_precision, stack=stack)
    # prompts a batch may hold: mean-length prompts of as many tokens as the longest in flight
    top = workload.in_flight * math.ceil(workload.input_tokens / serving.input_tokens)
    if split is not None:
        point = capped(lambda b: disaggregated_serve(model, system, serving, split, [b], plan,
                                                     spec)[0], workload.in_flight)
        pre, dec = pool_curves(model, system, serving, point.plan, top, spec)  # type: ignore[arg-type]
        used = system.with_chips(split.devices)
    else:
        point = capped(lambda b: serve(model, system, serving, [b], plan, count, spec)[0],
                       workload.in_flight)
        used = _served(system, point, count)
        pre = dec = curve_of(model, used, serving, point.plan, top, spec)
    requests, pools = _play(workload, serving, pre, dec, point, prefill_tokens, split is not None)
    return _result(model, used, point, requests, pools, prefill_tokens)


def _served(system: System, point: InferResult, count: int | None) -> System:
    """The system layer 1 served on."""
    if point.plan["kind"] == "sram_resident":
        return wafer_system(system, point.devices)
    return system if count is None else system.with_chips(count)


def _play(workload: Workload, serving: Serving, pre: Curve, dec: Curve, point: InferResult,
          prefill_tokens: int, disaggregated: bool) -> tuple[list[Request], dict[str, dict[str, float]]]:
    """Send the workload's requests through the pools; returns them finished, and each pool's
    prefill and decode seconds."""
    loop = EventLoop()
    planned, inputs, outputs = workload.sample()
    requests = [Request(i, int(n), int(m)) for i, (n, m) in enumerate(zip(inputs, outputs, strict=True))]
    client: Client

    def finished(req: Request) -> None:
        client.finished(req)

    capacity = max(1, dec.max_batch)
    if disaggregated:
        decode = DecodePool(loop, dec, capacity, finished)
        prefill = PrefillPool(loop, pre, prefill_tokens * pre.schedulers, serving.input_tokens,
                              point.prefill_breakdown["kv_transfer"], decode.submit)
        send, pools = prefill.submit, {"prefill_pool": prefill.seconds, "decode_pool": decode.seconds}
    else:
        engine = MixedPool(loop, pre, dec, capacity, prefill_tokens * dec.schedulers,
                           serving.input_tokens, finished)
        send, pools = engine.submit, {"engine": engine.seconds}
    client = Client(loop, requests, list(planned), workload.in_flight, send)
    loop.run()
    return requests, pools


def _result(model: ModelSpec, used: System, point: InferResult, requests: list[Request],
            pools: dict[str, dict[str, float]], prefill_tokens: int) -> ServeResult:
    figures = summarise(requests, pools)
    eco = economics(used, figures["duration_s"])
    tokens = figures["output_tokens"]
    usd = None if eco.cost_usd is None else eco.cost_usd / tokens * 1e6
    plan: dict[str, Any] = dict(point.plan) | {"prefill_tokens_per_scheduler": prefill_tokens}
    steady = {"batch": float(point.batch), "ttft_s": point.ttft_s, "tpot_s": point.tpot_s,
              "throughput_tokens_per_s": point.throughput_tokens_per_s}
    return ServeResult(model=model.id, system=point.system, devices=point.devices,
                       energy_per_token_J=eco.energy_J / tokens, usd_per_million_tokens=usd,
                       plan=plan, steady_state=steady,
                       assumptions=ASSUMPTIONS + eco.assumptions, **figures)
