"""Speed of workload sampling and trace reading: 1,000,000 arrivals of each process, and a
1,000,000-request trace read as CSV and as JSONL (written to a temporary folder first).

Run: python benchmarks/bench_workloads.py [--requests N]   (prints figures; asserts nothing)
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from wafersim.serve import arrivals
from wafersim.serve.trace import TraceWorkload
from wafersim.serve.workload import Workload


def timed(label: str, fn: Callable[[], object]) -> None:
    start = time.perf_counter()
    fn()
    print(f"{label:<40} {time.perf_counter() - start:8.3f} s")


def write_traces(folder: Path, n: int) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    t = arrivals.poisson(rng, n, 100.0)
    inputs, outputs = rng.integers(1, 4096, n), rng.integers(1, 1024, n)
    session = rng.integers(0, n // 8, n)
    rows = [f"{a:.6f},{i},{o},s{s}" for a, i, o, s in zip(t, inputs, outputs, session, strict=True)]
    csv_path, jsonl_path = folder / "t.csv", folder / "t.jsonl"
    csv_path.write_text("arrival_s,input_tokens,output_tokens,session\n" + "\n".join(rows) + "\n")
    jsonl_path.write_text("".join(
        f'{{"arrival_s": {a:.6f}, "input_tokens": {i}, "output_tokens": {o}, "session": "s{s}"}}\n'
        for a, i, o, s in zip(t, inputs, outputs, session, strict=True)))
    return csv_path, jsonl_path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=1_000_000)
    n = ap.parse_args().requests
    timed("poisson arrivals", lambda: Workload(n, rate_per_s=10.0).sample())
    timed("gamma arrivals (cv 3)", lambda: Workload(n, rate_per_s=10.0, arrivals="gamma",
                                                    burstiness=3.0).sample())
    timed("piecewise arrivals (2,8,4 per hour)", lambda: Workload(
        n, arrivals="piecewise", rates=(2.0, 8.0, 4.0)).sample())
    timed("sharegpt lengths + poisson", lambda: Workload(n, 8192, 8192, rate_per_s=10.0,
                                                         dataset="sharegpt").sample())
    with tempfile.TemporaryDirectory() as tmp:
        csv_path, jsonl_path = write_traces(Path(tmp), n)
        timed("read CSV trace (4 columns, sessions)", lambda: TraceWorkload.read(csv_path))
        timed("read JSONL trace (4 keys, sessions)", lambda: TraceWorkload.read(jsonl_path))


if __name__ == "__main__":
    main()
