"""Simulate a serving benchmark run: layer 1 picks the plan, the event loop plays the requests.

1. The steady-state model (`cost/backends.py`: the scenario's backend, or two pools with a
   split) picks the typed plan for the run's most requests in flight, capped at what the KV
   cache holds, on the devices `infer` picks (`under_load`: on wafers the pipeline `infer`
   chooses at one request; more requests fill its replicas, then queue).
2. That plan's step-time curves (`Curve`, from the same backend) give each prefill and decode
   iteration.
3. A client sends the workload's requests; a mixed pool (or a prefill and a decode pool) batches
   them iteration by iteration (`serve/engine.py`), and the finished requests are summarised as a
   benchmark client prints them (`serve/result.py`).

What the steady state leaves out and this adds: the burst at the start (every prompt queues for
prefill), decode pausing for prefill on shared devices, batches that shrink as a finite run
drains, and arrival processes below saturation.
"""

from __future__ import annotations

import math

from wafersim.catalog.system import System
from wafersim.cost.backends import curves, occupied, serve_at_most, under_load
from wafersim.cost.infer.curve import Curve
from wafersim.cost.infer.result import InferResult
from wafersim.cost.infer.scenario import InferScenario
from wafersim.cost.kernels.economics import serving_economics
from wafersim.errors import ParameterError
from wafersim.models.spec import ModelSpec
from wafersim.serve.client import Client
from wafersim.serve.engine import DecodePool, MixedPool, PrefillPool, Request
from wafersim.serve.events import EventLoop
from wafersim.serve.features import EngineOptions, features_for
from wafersim.serve.observe import Recorder
from wafersim.serve.result import ServeResult, summarise
from wafersim.serve.workload import Traffic

# SGLang's default --max-prefill-tokens (python/sglang/srt/server_args.py): the most prompt
# tokens one scheduler prefills in an iteration
DEFAULT_PREFILL_TOKENS = 16384

ASSUMPTIONS = (
    "plan: layer 1's best plan for the run's most requests in flight (capped at the KV cache), "
    "on the devices infer picks",
    "decode iterations timed at the request shape's mean context (as layer 1)",
    "prefill first: waiting prompts (within the token budget per scheduler) run before decoding",
    "plan, step times and KV capacity at the workload's mean lengths; a prompt batch costs its "
    "tokens / the mean prompt length prompts",
    "energy at the devices' full power for the whole run",
)


def simulate(sc: InferScenario, workload: Traffic,
             prefill_tokens: int = DEFAULT_PREFILL_TOKENS, *,
             engine: EngineOptions = EngineOptions()) -> ServeResult:
    """Play `workload` against the scenario (its request shape at the workload's mean lengths;
    disaggregated when it has a split)."""
    if prefill_tokens < 1:
        raise ParameterError("prefill_tokens", prefill_tokens, "{prefill_tokens} must be at least "
                             "1 token", allowed=">= 1")
    # prompts a batch may hold: mean-length prompts of as many tokens as the longest in flight
    top = workload.in_flight * math.ceil(workload.input_tokens / sc.serving.input_tokens)
    sc = under_load(sc)
    point = serve_at_most(sc, workload.in_flight)
    pre, dec = curves(sc, point, top)
    recorder = Recorder()
    requests, pools = play(workload, sc, pre, dec, point, prefill_tokens, options=engine,
                           recorder=recorder)
    notes = queued(workload, point)
    return result_of(sc.model, occupied(sc, point), point, requests, pools, prefill_tokens, notes,
                     recorder)


def queued(workload: Traffic, point: InferResult) -> tuple[str, ...]:
    """A note when the run holds more requests in flight than the plan's KV cache does."""
    if point.batch >= workload.in_flight:
        return ()
    return (f"{workload.in_flight} requests in flight; the plan on {point.devices} device(s) "
            f"holds {point.batch} at full context, the rest queue (more devices, or on wafers a "
            "longer pipeline, hold more)",)


def play(workload: Traffic, sc: InferScenario, pre: Curve, dec: Curve, point: InferResult,
          prefill_tokens: int, *, options: EngineOptions = EngineOptions(),
          recorder: Recorder | None = None) -> tuple[list[Request], dict[str, dict[str, float]]]:
    """Send the workload's requests through the pools; returns them finished, and each pool's
    prefill and decode seconds."""
    loop = EventLoop()
    sampled = workload.sample()
    planned, inputs, outputs = sampled.arrival_s, sampled.input_tokens, sampled.output_tokens
    requests = [Request(i, n, m, session=g, prefix_tokens=x) for i, (n, m, g, x) in enumerate(zip(
        inputs.tolist(), outputs.tolist(), sampled.session.tolist(), sampled.prefix_tokens.tolist(),
        strict=True))]
    client: Client

    def finished(req: Request) -> None:
        client.finished(req)

    capacity = max(1, dec.max_batch)
    serving = sc.serving
    features = features_for(options, sc, point, dec)
    if sc.split is not None:
        decode = DecodePool(loop, dec, capacity, finished, features=features, observer=recorder)
        prefill = PrefillPool(loop, pre, prefill_tokens * pre.schedulers, serving.input_tokens,
                              point.prefill_breakdown["kv_transfer"], decode.submit,
                              features=features)
        send, pools = prefill.submit, {"prefill_pool": prefill.seconds, "decode_pool": decode.seconds}
    else:
        engine = MixedPool(loop, pre, dec, capacity, prefill_tokens * dec.schedulers,
                           serving.input_tokens, finished, features=features, observer=recorder)
        send, pools = engine.submit, {"engine": engine.seconds}
    client = Client(loop, requests, list(planned), workload.in_flight, send)
    loop.run()
    return requests, pools


def result_of(model: ModelSpec, used: System, point: InferResult, requests: list[Request],
            pools: dict[str, dict[str, float]], prefill_tokens: int,
            notes: tuple[str, ...] = (), recorder: Recorder | None = None) -> ServeResult:
    figures = summarise(requests, pools, recorder=recorder)
    eco = serving_economics(used, figures["duration_s"])
    tokens = figures["output_tokens"]
    energy, usd = eco.per_token(tokens)
    steady = {"batch": float(point.batch), "ttft_s": point.ttft_s, "tpot_s": point.tpot_s,
              "throughput_tokens_per_s": point.throughput_tokens_per_s}
    return ServeResult(model=model.id, system=point.system, devices=point.devices,
                       energy_per_token_J=energy, usd_per_million_tokens=usd,
                       plan=point.plan, prefill_tokens_per_scheduler=prefill_tokens,
                       steady_state=steady,
                       assumptions=notes + ASSUMPTIONS + _plan_notes(point) + eco.assumptions,
                       cost_basis=eco.basis, **figures)


def _plan_notes(point: InferResult) -> tuple[str, ...]:
    """The steady-state point's notes on its replicas (wafer layouts say how many)."""
    return tuple(n for n in point.assumptions if "replicas of a" in n or "left idle" in n)
