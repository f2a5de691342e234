"""Speed of the serving simulator: simulated requests per second of wall time, per workload.

Run: python benchmarks/bench_serve.py   (prints figures; asserts nothing)

Each figure is the best of three warm runs of `wafersim.simulate_serving`, which includes layer 1's
plan search and step-time curves as well as the event loop.
"""

from __future__ import annotations

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


def main() -> None:
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
