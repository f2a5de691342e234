"""Speed of the foundation: catalog load, model derivations, wafer training evaluations.

Run: python benchmarks/bench_foundation.py   (prints figures; asserts nothing)
"""

from __future__ import annotations

import time

from wafersim.catalog.loader import _load, user_dirs
from wafersim.catalog.system import resolve
from wafersim.cost.train.scenario import TrainWorkload
from wafersim.cost.train.wafer import train_wafer
from wafersim.models import load_model, model_ids
from wafersim.ops import lower


def rate(fn, seconds: float = 2.0) -> float:
    """Calls per second of `fn` over about `seconds`."""
    start, calls = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        fn()
        calls += 1
    return calls / (time.perf_counter() - start)


def main() -> None:
    start = time.perf_counter()
    _load.cache_clear()
    catalog = _load(user_dirs())
    print(f"catalog load: {time.perf_counter() - start:.3f} s ({len(catalog)} parts)")
    models = [load_model(m) for m in model_ids()]
    per_s = rate(lambda: [m.training_flops_per_token(2048) for m in models]) * len(models)
    print(f"model figures: {per_s:,.0f} per s")
    spec = load_model("llama-3.1-405b")
    lowered = rate(lambda: lower.__wrapped__(spec, "train", 8, 8192))  # computed, not the memo
    print(f"graph lowering (405B, train): {lowered:,.0f} per s (a repeat is memoised)")
    base, work = resolve(catalog, "cs-3"), TrainWorkload(2e12, 2048, 4096)
    systems = [base.with_devices(2**i) for i in range(12)]
    llama = load_model("llama-2-70b")
    evals = rate(lambda: [train_wafer(llama, s, work) for s in systems]) * len(systems)
    print(f"wafer training evaluations (70B, 1..2048 CS-3): {evals:,.0f} per s")


if __name__ == "__main__":
    main()
