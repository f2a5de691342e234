"""Speed of the serving simulator: simulated requests per second of wall time, per workload.

Run: python benchmarks/bench_serve.py   (prints figures; asserts nothing)
     python benchmarks/bench_serve.py --fleet   (only the million-request runs)

Each figure is the best of three warm runs of `wafersim.simulate_serving`, which includes layer 1's
plan search and step-time curves as well as the event loop. The million-request runs (a 16-replica
fleet and one replica, each at a rate it sustains) run once each in a fresh process, which reports
its seconds and its peak resident memory (the target: the fleet under 20 s and 1 GB on one core).
"""

from __future__ import annotations

import multiprocessing
import resource
import sys
import time

import wafersim
from wafersim.catalog import load_catalog

WORKLOADS = {
    "Llama 3 8B, 1 x H100, 2,000 requests, concurrency 64": dict(
        model="llama-3-8b", system="h100-sxm", count=1, requests=2000, concurrency=64,
        input_tokens=1024, output_tokens=256),
    "Llama 3.1 70B, 8 x H100, 10,000 Poisson requests at 8/s, lengths in [1, L]": dict(
        model="llama-3.1-70b", system="dgx-h100", requests=10_000, rate_per_s=8.0,
        concurrency=256, range_ratio=0.0, input_tokens=2048, output_tokens=512, seed=1),
    "DeepSeek-V3, 16 + 16 Ascend 910C disaggregated, 3,328 requests (ASC-21)": dict(
        model="deepseek-v3", system="ascend-910c", count=32, disaggregate="16:16",
        requests=3328, concurrency=832, input_tokens=3500, output_tokens=1500, precision="int8",
        kv_precision="int8", draft="mtp", lookahead=2, prefill_tokens=28680),
    "Llama 3.1 8B, CS-3, 1,000 requests, concurrency 32": dict(
        model="llama-3.1-8b", system="cs-3", requests=1000, concurrency=32),
}


PER_REPLICA_RATE = 30.0  # requests/s one 8 x H100 replica of Llama 3.1 8B sustains at 1,024 + 256

MILLION = {
    "Llama 3.1 8B, 16 x (8 x H100) round-robin, 1 M Poisson requests at 480/s": dict(
        replicas=16, rate_per_s=16 * PER_REPLICA_RATE),
    "Llama 3.1 8B, 16 x (8 x H100) least-tokens, 1 M Poisson requests at 480/s": dict(
        replicas=16, rate_per_s=16 * PER_REPLICA_RATE, router="least-tokens"),
    "Llama 3.1 8B, 1 x (8 x H100), 1 M Poisson requests at 30/s": dict(
        replicas=1, rate_per_s=PER_REPLICA_RATE),
}


def _million(kw: dict[str, object]) -> tuple[float, float, float]:
    """(wall s, simulated s, peak resident MB) of one run, in this (fresh) process."""
    catalog = load_catalog()
    start = time.perf_counter()
    r = wafersim.simulate_serving("llama-3.1-8b", "dgx-h100", requests=1_000_000,
                                  input_tokens=1024, output_tokens=256, range_ratio=0.0, seed=1,
                                  catalog=catalog, **kw)  # type: ignore[arg-type]
    wall = time.perf_counter() - start
    return wall, r.duration_s, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def million() -> None:
    print(f"{'million-request run':78s} {'wall':>9s} {'requests/s':>11s} {'simulated':>10s} "
          f"{'peak':>8s}")
    spawn = multiprocessing.get_context("spawn")
    for name, kw in MILLION.items():
        with spawn.Pool(1) as pool:
            wall, simulated, peak_MB = pool.apply(_million, (kw,))
        print(f"{name:78s} {wall:7.1f} s {1e6 / wall:11,.0f} {simulated:9,.0f} s "
              f"{peak_MB:6,.0f} MB")


def main() -> None:
    if "--fleet" not in sys.argv:
        workloads()
    million()


def workloads() -> None:
    catalog = load_catalog()
    print(f"{'workload':78s} {'wall':>9s} {'requests/s':>11s} {'simulated':>10s}")
    for name, kw in WORKLOADS.items():
        times = []
        for _ in range(3):
            start = time.perf_counter()
            r = wafersim.simulate_serving(catalog=catalog, **kw)  # type: ignore[arg-type]
            times.append(time.perf_counter() - start)
        best = min(times)
        print(f"{name:78s} {best * 1e3:7.1f} ms {r.requests / best:11,.0f} {r.duration_s:9,.0f} s")


if __name__ == "__main__":
    main()
