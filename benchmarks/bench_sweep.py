"""Speed of a 100,000-point inference sweep: points/s of each executor and the speed-up of the
process pool (and of Ray, when installed) over serial. Target: under 60 s with the pool on 2 cores.

Run: python benchmarks/bench_sweep.py [--points N] [--workers W]   (prints figures; asserts nothing)

The grid: llama-3.1-8b and mixtral-8x7b on dgx-h100, dgx-h200 and dgx-b200, 128 prompt and 128
to 512 output tokens, batch 1..N (N from --points: 5,556 for 100,000 points), every batch fitting
(batches past the KV cache are found by bisection and cost about the same; docs/sweeps.md). Every run
writes a fresh store in a temporary directory; the rows of every executor are checked equal.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from importlib.util import find_spec
from pathlib import Path

from wafersim.catalog import load_catalog
from wafersim.sweep.execute import run_sweep
from wafersim.sweep.spec import SweepSpec, parse_spec
from wafersim.sweep.store import read_rows

MODELS = ["llama-3.1-8b", "mixtral-8x7b"]
SYSTEMS = ["dgx-h100", "dgx-h200", "dgx-b200"]
INPUT_TOKENS = [128]
OUTPUT_TOKENS = [128, 256, 512]


def spec(points: int) -> SweepSpec:
    batches = math.ceil(points / (len(MODELS) * len(SYSTEMS) * len(OUTPUT_TOKENS)))
    return parse_spec({"kind": "infer", "grid": {
        "model": MODELS, "system": SYSTEMS, "input_tokens": INPUT_TOKENS, "output_tokens": OUTPUT_TOKENS,
        "batch": list(range(1, batches + 1))}}, load_catalog())


def timed(sweep: SweepSpec, executor: str, workers: int | None) -> tuple[float, list[dict]]:
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        done = run_sweep(sweep, Path(out), executor, workers)
        seconds = time.perf_counter() - start
        rows = read_rows(Path(out))
    shown = workers or ("all cores" if executor == "ray" else 1)
    print(f"{executor:8s} workers {shown}: {done.points:,} points ({done.failed:,} "
          f"infeasible) in {seconds:6.1f} s = {done.points / seconds:8,.0f} points/s")
    return seconds, rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    sweep = spec(args.points)
    serial, rows = timed(sweep, "serial", None)
    pool, pool_rows = timed(sweep, "process", args.workers)
    assert pool_rows == rows, "the pool's rows differ from serial"
    print(f"process pool speed-up over serial: {serial / pool:.2f}x")
    if find_spec("ray") is None:
        print("ray: not installed (pip install 'wafersim[sweep]')")
        return
    ray, ray_rows = timed(sweep, "ray", None)
    assert ray_rows == rows, "Ray's rows differ from serial"
    print(f"ray speed-up over serial: {serial / ray:.2f}x (start-up of the local Ray included)")


if __name__ == "__main__":
    main()
