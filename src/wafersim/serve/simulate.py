"""Simulate a serving benchmark run: layer 1 picks the plan, the event loop plays the requests.

1. The steady-state model (`cost/backends.py`: the scenario's backend, or two pools with a
   split) picks the typed plan for the run's most requests in flight, capped at what the KV
   cache holds, on the devices `infer` picks (`under_load`: on wafers the pipeline `infer`
   chooses at one request; more requests fill its replicas, then queue).
2. That plan's step-time curves (`Curve`, from the same backend) give each prefill and decode
   iteration.
3. A client sends the workload's requests; a mixed pool (or a prefill and a decode pool) batches
   them iteration by iteration (`serve/engine.py`), and the finished requests are summarised as a
   benchmark client prints them (`serve/result.py`). With `replicas`, a fleet of copies of the
   plan shares the client behind a router (`serve/fleet.py`, `serve/router.py`).

What the steady state leaves out and this adds: the burst at the start (every prompt queues for
prefill), decode pausing for prefill on shared devices, batches that shrink as a finite run
drains, and arrival processes below saturation.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from wafersim.catalog.system import System
from wafersim.cost.backends import curves, occupied, serve_at_most, under_load
from wafersim.cost.infer.curve import Curve
from wafersim.cost.infer.result import InferResult
from wafersim.cost.infer.scenario import InferScenario
from wafersim.cost.kernels.economics import serving_economics
from wafersim.errors import ParameterError, writable
from wafersim.models.spec import ModelSpec
from wafersim.serve.client import Client
from wafersim.serve.engine import Features, Request
from wafersim.serve.events import EventLoop
from wafersim.serve.features import EngineOptions, features_for
from wafersim.serve.fleet import Fleet, FleetServeResult
from wafersim.serve.observe import Recorder, combined
from wafersim.serve.result import ServeResult, Slo, summarise
from wafersim.serve.router import Router
from wafersim.serve.timeline import Timeline
from wafersim.serve.workload import Traffic

# SGLang's default --max-prefill-tokens (python/sglang/srt/server_args.py): the most prompt
# tokens one scheduler prefills in an iteration
DEFAULT_PREFILL_TOKENS = 16384

ASSUMPTIONS = (
    "plan: layer 1's best plan for the run's most requests in flight (capped at the KV cache), "
    "on the devices infer picks",
    "decode iterations timed at the request shape's mean context (as layer 1)",
    "prefill first (unless chunked): waiting prompts (within the token budget per scheduler) run "
    "before decoding",
    "plan, step times and KV capacity at the workload's mean lengths; a prompt batch costs its "
    "tokens / the mean prompt length prompts",
    "energy at the devices' full power for the whole run",
)


def simulate(sc: InferScenario, workload: Traffic,
             prefill_tokens: int = DEFAULT_PREFILL_TOKENS, *,
             engine: EngineOptions = EngineOptions(), replicas: int = 1,
             router: str = "round-robin", slo: Slo | None = None,
             trace_path: str | Path | None = None) -> FleetServeResult:
    """Play `workload` against `replicas` copies of the scenario's plan (its request shape at the
    workload's mean lengths; disaggregated when it has a split) behind `router`, each replica's
    engine with the `engine` switches; `slo` gives the SLO attainment and goodput figures;
    `trace_path` gets the run's timeline (`serve/timeline.py`)."""
    if prefill_tokens < 1:
        raise ParameterError("prefill_tokens", prefill_tokens, "{prefill_tokens} must be at least "
                             "1 token", allowed=">= 1")
    Router(router, replicas)  # refuse an unknown router or count before the plan search
    if trace_path is not None:
        writable("trace", trace_path)
    sc = under_load(sc)
    point = serve_at_most(sc, math.ceil(workload.in_flight / replicas))
    timeline = None if trace_path is None else Timeline()
    step_curves = _curves(sc, point, workload, engine.preemption is not None)
    features = features_for(engine, sc, point, step_curves[1])
    requests, fleet = play_fleet(workload, sc, step_curves, point, prefill_tokens,
                                 Router(router, replicas), timeline, features)
    if timeline is not None and trace_path is not None:
        timeline.write(trace_path)
    notes = queued(workload, point, replicas) + engine.notes()
    run = result_of(sc.model, occupied(sc, point), point, requests, fleet.pools(), prefill_tokens,
                    notes, replicas, combined(fleet.recorders), slo)
    return FleetServeResult(**run.__dict__, replicas=replicas, router=router,
                            per_replica=fleet.per_replica())


def _curves(sc: InferScenario, point: InferResult, workload: Traffic,
            paged: bool = False) -> tuple[Curve, Curve]:
    """The plan's step-time curves for as many requests as one replica can hold: the run's most
    in flight, and on a mixed pool without paging at most what its KV cache holds at full
    context (a larger batch never runs; paged, free blocks bound it instead); prompts counted as
    mean-length prompts of as many tokens as the longest."""
    per_prompt = math.ceil(workload.input_tokens / sc.serving.input_tokens)
    if sc.split is None and not paged:
        held = max(1, point.max_batch)
        pre, dec = curves(sc, point, min(workload.in_flight, held) * per_prompt)
        if max(1, dec.max_batch) <= held:
            return pre, dec
    return curves(sc, point, workload.in_flight * per_prompt)


def queued(workload: Traffic, point: InferResult, replicas: int = 1) -> tuple[str, ...]:
    """A note when the run holds more requests in flight than the plan's KV cache does."""
    if point.batch * replicas >= workload.in_flight:
        return ()
    if replicas > 1:
        return (f"{workload.in_flight} requests in flight; {replicas} replicas of the plan on "
                f"{point.devices} device(s) each hold {point.batch} at full context, the rest "
                "queue (more replicas hold more)",)
    return (f"{workload.in_flight} requests in flight; the plan on {point.devices} device(s) "
            f"holds {point.batch} at full context, the rest queue (more devices, or on wafers a "
            "longer pipeline, hold more)",)


def play(workload: Traffic, sc: InferScenario, pre: Curve, dec: Curve, point: InferResult,
         prefill_tokens: int, *, options: EngineOptions = EngineOptions()
         ) -> tuple[list[Request], dict[str, dict[str, float]]]:
    """Send the workload's requests through one replica's pools; returns them finished, and each
    pool's prefill and decode seconds."""
    requests, fleet = play_fleet(workload, sc, (pre, dec), point, prefill_tokens,
                                 Router("round-robin", 1), None,
                                 features_for(options, sc, point, dec))
    return requests, fleet.pools()


def play_fleet(workload: Traffic, sc: InferScenario, step_curves: tuple[Curve, Curve],
               point: InferResult, prefill_tokens: int, router: Router,
               timeline: Timeline | None, features: Features) -> tuple[list[Request], Fleet]:
    """Send the workload's requests through the fleet `router` fronts; returns them finished,
    and the fleet (its pools' seconds, each replica's requests)."""
    with _collector_paused():
        loop = EventLoop()
        drawn = workload.sample()
        sessions = drawn.session.tolist()
        requests = [Request(i, n, m, session=g, prefix_tokens=x) for i, (n, m, g, x) in enumerate(
            zip(drawn.input_tokens.tolist(), drawn.output_tokens.tolist(), sessions,
                drawn.prefix_tokens.tolist(), strict=True))]
        # the client and the fleet call each other: the client learns where to send last, so
        # that each holds the other's bound methods (no wrapper call per event)
        client = Client(loop, requests, drawn.arrival_s.tolist(), workload.in_flight, _unwired)
        fleet = Fleet(loop, sc, step_curves, point, prefill_tokens, router, sessions,
                      client.finished, client.horizon, timeline, features)
        client.send = fleet.send
        loop.run()
    return requests, fleet


def _unwired(req: Request) -> None:
    raise AssertionError(f"request {req.index} sent before the client was wired to its fleet")


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a run plays: its requests and events form no cycles,
    and walking a million live requests on every collection costs more than the run itself."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def result_of(model: ModelSpec, used: System, point: InferResult, requests: list[Request],
              pools: dict[str, dict[str, float]], prefill_tokens: int,
              notes: tuple[str, ...] = (), replicas: int = 1, recorder: Recorder | None = None,
              slo: Slo | None = None) -> ServeResult:
    """The run's figures; devices, energy and cost those of `replicas` copies of the plan."""
    figures = summarise(requests, pools, slo=slo, recorder=recorder)
    fleet = used if replicas == 1 else used.with_devices(used.devices * replicas)
    eco = serving_economics(fleet, figures["duration_s"])
    tokens = figures["output_tokens"]
    energy, usd = eco.per_token(tokens)
    steady = {"batch": float(point.batch), "ttft_s": point.ttft_s, "tpot_s": point.tpot_s,
              "throughput_tokens_per_s": point.throughput_tokens_per_s}
    return ServeResult(model=model.id, system=point.system, devices=point.devices * replicas,
                       energy_per_token_J=energy, usd_per_million_tokens=usd,
                       plan=point.plan, prefill_tokens_per_scheduler=prefill_tokens,
                       steady_state=steady,
                       assumptions=notes + ASSUMPTIONS + _plan_notes(point) + eco.assumptions,
                       cost_basis=eco.basis, **figures)


def _plan_notes(point: InferResult) -> tuple[str, ...]:
    """The steady-state point's notes on its replicas (wafer layouts say how many)."""
    return tuple(n for n in point.assumptions if "replicas of a" in n or "left idle" in n)
