"""Time to evaluate every seed claim with its sensitivity (target: under 15 s of CPU on
one core), and the verdict counts.

Run: python benchmarks/bench_claims.py   (prints figures; asserts nothing)
"""

from __future__ import annotations

import time
from collections import Counter

from wafersim.catalog import load_catalog
from wafersim.claims.evaluate import evaluate_claims


def main() -> None:
    catalog = load_catalog()
    start_cpu, start_wall = time.process_time(), time.perf_counter()
    results = evaluate_claims(catalog=catalog)
    cpu, wall = time.process_time() - start_cpu, time.perf_counter() - start_wall
    verdicts = Counter(str(r.evaluation.verdict) for r in results)
    inputs = sum(len(r.sensitivity) for r in results)
    print(f"{len(results)} claims with sensitivity: {cpu:.2f} s CPU, {wall:.2f} s wall "
          f"({inputs} moved inputs listed)")
    print("verdicts: " + ", ".join(f"{v} {n}" for v, n in sorted(verdicts.items())))
    start = time.process_time()
    evaluate_claims(catalog=catalog, with_sensitivity=False)
    print(f"without sensitivity: {time.process_time() - start:.2f} s CPU")


if __name__ == "__main__":
    main()
