"""CS-3 against CS-2 on the same workloads: training tokens/s on one system, and per-user serving
speed on as many wafers (the larger of the two generations' minima), with the ratios and the
dense peak ratio beside them. The table of docs/wafer.md "CS-2 against CS-3".

Run: python benchmarks/bench_wafer_generations.py   (prints a Markdown table; asserts nothing)
"""

from __future__ import annotations

from wafersim import infer, train
from wafersim.catalog import load_catalog
from wafersim.catalog.system import resolve

MODELS = ("llama-2-7b", "gpt-j-6b", "llama-3.1-8b", "mpt-30b", "falcon-40b", "llama-2-70b")
OLD, NEW = "cs-2", "cs-3"


def main() -> None:
    cat = load_catalog()
    new, old = (resolve(cat, s).peak_flops_per_s("bf16") or 0.0 for s in (NEW, OLD))
    peak = new / old
    print(f"dense peak ratio {peak:.2f}\n")
    print("| model | train tok/s CS-2 | CS-3 | ratio | serve wafers | tok/s/user CS-2 | CS-3 | ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for m in MODELS:
        t = [train(m, s, 1e9, catalog=cat).tokens_per_s for s in (OLD, NEW)]
        n = max(infer(m, s, catalog=cat).devices for s in (OLD, NEW))
        i = [infer(m, s, pipeline_wafers=n, catalog=cat).user_tokens_per_s for s in (OLD, NEW)]
        print(f"| {m} | {t[0]:,.0f} | {t[1]:,.0f} | {t[1] / t[0]:.2f} | {n} | {i[0]:,.0f} | "
              f"{i[1]:,.0f} | {i[1] / i[0]:.2f} |")


if __name__ == "__main__":
    main()
