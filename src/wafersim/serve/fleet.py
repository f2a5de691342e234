"""A fleet: `replicas` copies of one plan behind a router, all fed by one benchmark client.

Each replica is the plan layer 1 picks on its own devices, with its own pool(s): one mixed pool,
or a prefill and a decode pool when the scenario is disaggregated (a wafer plan's own replicas
stay inside its pool, as the wafer layout gives them). The client's concurrency cap holds for the
whole fleet; the router (`serve/router.py`) sends each request to one replica, which batches it as
a lone replica would. A replica on one mixed pool has its own horizon
(`Fleet.horizon`): its decode runs stop early only when the client may send to it (its turn, as
`Router.turn` knows it), not at every other replica's events. The fleet's figures are the
benchmark's over every request; its devices, energy and cost those of every replica for the
whole run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from wafersim.cost.infer.curve import Curve
from wafersim.cost.infer.result import InferResult
from wafersim.cost.infer.scenario import InferScenario
from wafersim.serve.engine import DecodePool, Features, MixedPool, PrefillPool, Request
from wafersim.serve.events import EventLoop
from wafersim.serve.observe import Fanout, Observer, Recorder
from wafersim.serve.result import ServeResult
from wafersim.serve.router import Router
from wafersim.serve.timeline import Timeline

Send = Callable[[Request], None]
Seconds = dict[str, dict[str, float]]  # per pool: prefill and decode seconds


@dataclass(frozen=True)
class FleetServeResult(ServeResult):
    """A run on a fleet: the benchmark's figures over every request (`devices`: the whole
    fleet's; `pools`: each pool's mean over the replicas) and each replica's share."""

    replicas: int = 1
    router: str = "round-robin"
    per_replica: tuple[dict[str, Any], ...] = ()  # requests and busy seconds per pool


class Fleet:
    """The replicas' pools and the router in front of them."""

    def __init__(self, loop: EventLoop, sc: InferScenario, curves: tuple[Curve, Curve],
                 point: InferResult, prefill_tokens: int, router: Router,
                 sessions: Sequence[int] | None, on_finish: Send,
                 client_horizon: Callable[[int], float], timeline: Timeline | None = None,
                 features: Features | None = None) -> None:
        self.router, self.sessions, self.on_finish = router, sessions, on_finish
        self.client_horizon = client_horizon
        self.placed: dict[int, int] = {}  # request index -> replica
        self.counts = [0] * router.replicas
        self.recorders = [Recorder() for _ in range(router.replicas)]
        features = features or Features()
        # a pool with events of its own (requests arriving after the server path) looks ahead
        # to the loop's next event; the others only to requests that may reach them
        own = sc.split is not None or features.server_path_s > 0
        built = [_replica(loop, None if own else partial(self.horizon, i), sc, curves, point,
                          prefill_tokens, self.finished,
                          _observers(timeline, self.recorders[i], i), features)
                 for i in range(router.replicas)]
        self.sends = [send for send, _ in built]
        self.seconds = [seconds for _, seconds in built]

    def send(self, req: Request) -> None:
        """Route a request the client sends to a replica."""
        session = -1 if self.sessions is None else self.sessions[req.index]
        i = self.router.pick(req.input_tokens + req.output_tokens, session)
        self.placed[req.index] = i
        self.counts[i] += 1
        self.sends[i](req)

    def horizon(self, replica: int) -> float:
        """When the client may next send a request to `replica`."""
        return self.client_horizon(self.router.turn(replica))

    def finished(self, req: Request) -> None:
        self.router.done(self.placed.pop(req.index), req.input_tokens + req.output_tokens)
        self.on_finish(req)

    def pools(self) -> Seconds:
        """Each pool's prefill and decode seconds, the mean over the replicas."""
        n = len(self.seconds)
        return {name: {k: sum(s[name][k] for s in self.seconds) / n for k in parts}
                for name, parts in self.seconds[0].items()}

    def per_replica(self) -> tuple[dict[str, Any], ...]:
        """Each replica's requests and busy (prefill + decode) seconds per pool."""
        return tuple({"requests": n, "busy_s": {name: sum(parts.values())
                                                for name, parts in s.items()}}
                     for n, s in zip(self.counts, self.seconds, strict=True))


def _observers(timeline: Timeline | None, recorder: Recorder,
               replica: int) -> Callable[[str], Observer]:
    """The observer each of a replica's pools reports to: its recorder, and its timeline track."""
    def observer(pool: str) -> Observer:
        return recorder if timeline is None else Fanout(recorder, timeline.track(replica, pool))
    return observer


def _replica(loop: EventLoop, horizon: Callable[[], float] | None, sc: InferScenario,
             curves: tuple[Curve, Curve], point: InferResult, prefill_tokens: int,
             finished: Send, track: Callable[[str], Observer],
             features: Features) -> tuple[Send, Seconds]:
    """One copy of the plan: where it takes requests, and its pools' seconds (`horizon`: when a
    request may next reach it; None: the loop's next event)."""
    pre, dec = curves
    capacity = max(1, dec.max_batch)
    nominal = sc.serving.input_tokens
    if sc.split is not None:
        decode = DecodePool(loop, dec, capacity, finished, features=features,
                            observer=track("decode_pool"))
        prefill = PrefillPool(loop, pre, prefill_tokens * pre.schedulers, nominal,
                              point.prefill_breakdown["kv_transfer"], decode.submit,
                              features=features, observer=track("prefill_pool"))
        return prefill.submit, {"prefill_pool": prefill.seconds, "decode_pool": decode.seconds}
    engine = MixedPool(loop, pre, dec, capacity, prefill_tokens * dec.schedulers, nominal,
                       finished, features=features, observer=track("engine"), horizon=horizon)
    return engine.submit, {"engine": engine.seconds}

