"""Little's law with the engine's features on: the time-average of requests in flight (swept
from each request's send and finish) = the arrival rate the client planned x the mean latency,
within what a finite run's ramp up and drain allow (the drain after the last arrival lasts at
most the longest latency)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from wafersim.cost.infer.curve import Curve
from wafersim.serve.client import Client
from wafersim.serve.engine import Features, MixedPool, Request
from wafersim.serve.events import EventLoop

FEATURES = st.sampled_from([Features(), Features(chunk_tokens=256),
                            Features(kv_tokens=16 * 300, paged=True),
                            Features(chunk_tokens=512, kv_tokens=16 * 300, paged=True,
                                     server_path_s=0.05)])


def _in_flight_mean(sent, finish, until):
    """Time-average of requests in flight over [0, until], swept event by event."""
    times = np.concatenate([sent, finish])
    steps = np.concatenate([np.ones(sent.size), -np.ones(finish.size)])
    order = np.argsort(times, kind="stable")
    times, level = times[order], np.cumsum(steps[order])
    return float(np.sum(level[:-1] * np.diff(times))) / until


@settings(max_examples=12, deadline=None)
@given(features=FEATURES, rate=st.floats(2.0, 40.0), n=st.integers(100, 300),
       prompt=st.integers(16, 400), output=st.integers(4, 120), seed=st.integers(0, 50))
def test_in_flight_is_throughput_times_latency(features, rate, n, prompt, output, seed):
    rng = np.random.default_rng(seed)
    k = np.arange(1, 513)
    curve = Curve(tpot_s=0.005 * (1 + 0.02 * (k - 1)), ttft_s=0.02 * k, max_batch=64,
                  schedulers=1)
    loop = EventLoop()
    reqs = [Request(i, int(p), int(o)) for i, (p, o) in
            enumerate(zip(rng.integers(1, prompt + 1, n), rng.integers(1, output + 1, n), strict=True))]
    client: Client
    pool = MixedPool(loop, curve, curve, 64, 2048, 100, lambda r: client.finished(r),
                     features=features)
    arrivals = np.cumsum(rng.exponential(1 / rate, n))
    client = Client(loop, reqs, list(arrivals - arrivals[0]), n, pool.submit)
    loop.run()
    sent = np.array([r.sent_s for r in reqs])
    finish = np.array([r.finish_s for r in reqs])
    duration = float(finish.max())
    in_flight = _in_flight_mean(sent, finish, duration)
    latency = finish - sent
    arrival_rate = (n - 1) / float(arrivals[-1] - arrivals[0])
    ramp = float(latency.max()) / duration
    assert np.all(latency > 0)
    assert abs(in_flight / (arrival_rate * latency.mean()) - 1) <= 0.05 + 1.5 * ramp
