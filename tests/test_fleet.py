"""Fleets of replicas behind a router: spread, balance, affinity, scaling of latency and cost."""

from dataclasses import dataclass

import numpy as np
import pytest

import wafersim
from wafersim.catalog.system import resolve
from wafersim.cost.infer.scenario import InferScenario, Serving
from wafersim.errors import ParameterError
from wafersim.models import load_model
from wafersim.serve.router import Router
from wafersim.serve.simulate import simulate
from wafersim.serve.workload import Sampled, Workload


def _run(catalog, **kw):
    args = dict(requests=400, input_tokens=1024, output_tokens=128, count=1,
                catalog=catalog) | kw
    return wafersim.simulate_serving("llama-3-8b", "h100-sxm", **args)


@dataclass(frozen=True)
class _Listed(Workload):
    """Requests given one by one: send times, lengths and sessions (as a trace gives them)."""

    times: tuple[float, ...] = ()
    inputs: tuple[int, ...] = ()
    outputs: tuple[int, ...] = ()
    sessions: tuple[int, ...] = ()

    def mean_tokens(self):
        return round(np.mean(self.inputs)), round(np.mean(self.outputs))

    def sample(self):
        n = self.requests
        return Sampled(np.array(self.times), np.array(self.inputs), np.array(self.outputs),
                       np.array(self.sessions or [-1] * n), np.zeros(n, dtype=np.int64))


def _listed(arrivals, inputs, outputs, sessions=()):
    return _Listed(len(arrivals), max(inputs), max(outputs), times=tuple(arrivals),
                   inputs=tuple(inputs), outputs=tuple(outputs), sessions=tuple(sessions))


def _play(catalog, workload, **kw):
    serving = Serving(*workload.mean_tokens())
    sc = InferScenario.of(load_model("llama-3-8b"), resolve(catalog, "h100-sxm"), serving, 1)
    return simulate(sc, workload, **kw)


def test_round_robin_spreads_requests_evenly(catalog):
    r = _run(catalog, rate_per_s=40.0, replicas=4, seed=3)
    assert [p["requests"] for p in r.per_replica] == [100, 100, 100, 100]
    assert r.replicas == 4 and r.router == "round-robin"


def test_least_tokens_beats_round_robin_on_p99_ttft_under_skewed_lengths(catalog):
    # every other request is long: round-robin over two replicas sends all the long ones to one
    n = 600
    inputs = [8000 if i % 2 == 0 else 200 for i in range(n)]
    outputs = [400 if i % 2 == 0 else 20 for i in range(n)]
    w = _listed([i * 0.06 for i in range(n)], inputs, outputs)
    rr = _play(catalog, w, replicas=2, router="round-robin")
    lt = _play(catalog, w, replicas=2, router="least-tokens")
    assert lt.ttft_s["p99"] < 0.8 * rr.ttft_s["p99"]
    assert [p["requests"] for p in rr.per_replica] == [300, 300]


def test_session_affinity_keeps_each_session_on_one_replica(catalog):
    n = 120
    w = _listed([i * 0.05 for i in range(n)], [512] * n, [64] * n,
                sessions=[0 if i % 3 else 1 for i in range(n)])
    r = _play(catalog, w, replicas=4, router="session")
    assert [p["requests"] for p in r.per_replica] == [40, 80, 0, 0]  # session 1 came first
    spread = _play(catalog, w, replicas=4, router="least-tokens")
    assert min(p["requests"] for p in spread.per_replica) > 0


def test_session_router_sends_requests_without_a_session_by_least_tokens():
    router = Router("session", 3)
    assert [router.pick(100, 7) for _ in range(3)] == [0, 0, 0]
    assert [router.pick(10, -1) for _ in range(2)] == [1, 2]
    router.done(0, 300)
    assert router.pick(10, -1) == 0 and router.pick(5, 7) == 0


def test_n_replicas_at_n_times_the_rate_give_about_one_replicas_latency(catalog):
    one = _run(catalog, requests=300, rate_per_s=6.0, range_ratio=0.5, seed=2)
    four = _run(catalog, requests=1200, rate_per_s=24.0, range_ratio=0.5, seed=2, replicas=4)
    assert four.request_throughput_per_s == pytest.approx(4 * one.request_throughput_per_s,
                                                          rel=0.1)
    assert four.latency_s["mean"] == pytest.approx(one.latency_s["mean"], rel=0.1)
    assert four.tpot_s["p50"] == pytest.approx(one.tpot_s["p50"], rel=0.1)


def test_devices_and_cost_scale_with_the_replicas(catalog):
    # whole 8-GPU nodes: three replicas are three nodes (and the network joining them)
    kw = dict(count=None, input_tokens=1024, output_tokens=128, seed=4)
    one = wafersim.simulate_serving("llama-3-8b", "dgx-h100", requests=200, rate_per_s=20.0,
                                    catalog=catalog, **kw)
    three = wafersim.simulate_serving("llama-3-8b", "dgx-h100", requests=600, rate_per_s=60.0,
                                      replicas=3, catalog=catalog, **kw)
    assert three.devices == 3 * one.devices == 24
    # each replica serves a third of the tokens in about the same time: the same per token
    assert three.energy_per_token_J == pytest.approx(one.energy_per_token_J, rel=0.1)
    run_J = three.energy_per_token_J * three.output_tokens
    assert run_J == pytest.approx(3 * one.energy_per_token_J * one.output_tokens, rel=0.1)
    assert three.usd_per_million_tokens == pytest.approx(one.usd_per_million_tokens, rel=0.15)
    assert sum(p["requests"] for p in three.per_replica) == three.requests == 600


def test_the_fleet_json_keeps_every_key_and_adds_the_replicas(catalog):
    one, two = _run(catalog, requests=50), _run(catalog, requests=50, replicas=2)
    assert set(one.to_json()) == set(two.to_json())
    assert {"replicas", "router", "per_replica"} <= set(two.to_json())
    for parts in two.pools.values():
        assert sum(parts.values()) == pytest.approx(two.duration_s)


def test_unknown_router_and_no_replicas_are_refused(catalog):
    with pytest.raises(ParameterError, match="router"):
        _run(catalog, requests=10, router="random")
    with pytest.raises(ParameterError, match="replicas"):
        _run(catalog, requests=10, replicas=0)


def test_least_tokens_turn_counts_the_replicas_ahead():
    router = Router("least-tokens", 4)
    for tokens in (300, 100, 200, 100):
        router.pick(tokens)  # each replica gets one: 300, 100, 200, 100
    assert [router.turn(i) for i in range(4)] == [3, 0, 2, 1]
    assert router.pick(1) == 1  # the one with no replica ahead of it


def test_prefill_time_interpolates_bit_for_bit_as_numpy_does():
    from wafersim.cost.infer.curve import Curve
    rng = np.random.default_rng(0)
    ttft = np.cumsum(rng.random(300) * 1e-3)
    curve = Curve(ttft, ttft, 300, 1)
    prompts = np.concatenate([rng.random(5000) * 320, np.arange(0, 310, 0.5), [1e9]])
    ours = [curve.prefill_s(float(p)) for p in prompts]
    theirs = np.interp(np.maximum(prompts, 1.0), np.arange(1, 301, dtype=float), ttft)
    assert ours == theirs.tolist()
    assert Curve(ttft, np.array([1.0, np.inf]), 2, 1).prefill_s(1.5) == np.inf
