"""Speed of sizing a training run to a budget: seconds per sizing and the counts it evaluated,
for llama-3.1-70b on 15T tokens on five systems at a deadline, a power and a money budget.

Run: python benchmarks/bench_sizing.py   (prints figures; asserts nothing)
"""

from __future__ import annotations

import time

import wafersim
from wafersim.catalog import load_catalog

MODEL, TOKENS = "llama-3.1-70b", 15e12
SYSTEMS = ("cs-3", "dgx-h100", "dgx-b200", "gb200-nvl72", "dgx-a100")
BUDGETS = {"deadline 60 days": {"deadline_s": 60 * 86400.0}, "10 MW": {"power_W": 1e7},
           "$20 M": {"budget_usd": 2e7}}


def main() -> None:
    catalog = load_catalog()
    size = wafersim.size_training  # the API loads on first use: import it before timing
    for label, budget in BUDGETS.items():
        for system in SYSTEMS:
            start = time.perf_counter()
            s = size(MODEL, system, TOKENS, catalog=catalog, **budget)
            took = time.perf_counter() - start
            chosen = f"{s.chosen.devices:,} devices" if s.chosen else "none"
            print(f"{label:>17} {system:>12}: {took:5.2f} s, {len(s.candidates):2d} counts "
                  f"evaluated, chosen {chosen} ({s.binding or s.reason})")


if __name__ == "__main__":
    main()
