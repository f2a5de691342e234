"""Speed of single calls and of start-up: one fixed-plan `wafersim.train` and `wafersim.infer` call,
llm-analysis (a PyPI peer) on the same configuration in the same run, and process start-up.

Run: python benchmarks/bench_calls.py [--quick]   (prints figures; asserts nothing)

Two wafersim rates per call: "repeated" calls the same configuration again (the system, its
collectives' tiers and the operator graph are memoised; the cost model runs every call), "fresh"
changes the configuration every call (global batch for training, output length for serving), so
the operator graph is lowered anew too; the catalog and model stay loaded. llm-analysis keeps nothing
between calls. Rates are the best of several short windows (the machine may be shared).
Training: Llama 2 70B on 1,024 x H100 (dgx-h100 nodes), tp 8 pp 1 dp 128, ZeRO 1, micro-batch 1,
selective recompute, global batch 1,024 x 4,096 tokens. Serving: Llama 2 70B on 8 x H100 SXM,
tp 8, batch 1, 1,024 prompt + 1,024 output tokens, 16-bit (as benchmarks/bench_infer.py).
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from _peers import llm_analysis_model, load_peer

MODEL, SYSTEM, DEVICES, BATCH, SEQ = "llama-2-70b", "dgx-h100", 1024, 1024, 4096
TP, PP, DP, ZERO, MICRO = 8, 1, 128, 1, 1
SERVE = dict(tp=8, batch=1, input_tokens=1024, output_tokens=1024)


def rate(fn: Callable[[], object], windows: int, seconds: float) -> float:
    """Calls per second of `fn`: the best of `windows` windows of about `seconds` each."""
    fn()
    best = 0.0
    for _ in range(windows):
        start, calls = time.perf_counter(), 0
        while time.perf_counter() - start < seconds:
            fn()
            calls += 1
        best = max(best, calls / (time.perf_counter() - start))
    return best


def ours(windows: int, seconds: float) -> dict[str, float]:
    import wafersim
    from wafersim.catalog import load_catalog
    from wafersim.plan import Constraints

    catalog = load_catalog()
    plan = Constraints(tp=TP, pp=PP, dp=DP, cp=1, zero=ZERO, micro_batch=MICRO, v=1)
    batches, outputs = itertools.count(BATCH), itertools.count(SERVE["output_tokens"])

    def train(batch: int = BATCH) -> object:
        return wafersim.train(MODEL, SYSTEM, 1e12, count=DEVICES, global_batch=batch, seq_len=SEQ,
                              plan=plan, recompute="selective", catalog=catalog)

    def infer(output_tokens: int = SERVE["output_tokens"]) -> object:
        return wafersim.infer(MODEL, SYSTEM, catalog=catalog, **{**SERVE, "output_tokens": output_tokens})

    return {"train repeated": rate(train, windows, seconds),
            "train fresh": rate(lambda: train(next(batches)), windows, seconds),
            "infer repeated": rate(infer, windows, seconds),
            "infer fresh": rate(lambda: infer(next(outputs)), windows, seconds)}


def peer(windows: int, seconds: float) -> dict[str, float]:
    la, label = load_peer("llm-analysis")
    if la is None:
        print(label)
        return {}
    from llm_analysis.analysis import ActivationRecomputation, DSZeRO, LLMAnalysis, infer
    from llm_analysis.config import ParallelismConfig, get_dtype_config_by_name, get_gpu_config_by_name

    from wafersim.models import load_model

    config = llm_analysis_model(load_model(MODEL), SEQ)
    gpu, dtype = get_gpu_config_by_name("h100-sxm-80gb"), get_dtype_config_by_name("w16a16e16")

    def train() -> object:
        analysis = LLMAnalysis(config, gpu, dtype, ParallelismConfig(tp_size=TP, pp_size=PP, dp_size=DP),
                               flops_efficiency=0.5, hbm_memory_efficiency=0.9)
        return analysis.training(batch_size_per_gpu=MICRO, global_batch_size=BATCH, seq_len=SEQ,
                                 ds_zero=DSZeRO(ZERO),
                                 activation_recomputation=ActivationRecomputation.SELECTIVE,
                                 mlp_gated_linear_units=True)

    def serve() -> object:
        return infer(model_name="upstage_Llama-2-70b-instruct-v2", gpu_name="h100-sxm-80gb",
                     dtype_name="w16a16e16", batch_size_per_gpu=1, tp_size=8, seq_len=1024,
                     num_tokens_to_generate=1024, log_level="ERROR")

    print(f"peer: {label}")
    return {"train": rate(train, windows, seconds), "infer": rate(serve, windows, seconds)}


def startup(runs: int) -> dict[str, float]:
    """Median wall seconds of fresh interpreter processes (start included)."""
    src = str(Path(__file__).resolve().parent.parent / "src")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (src, os.environ.get("PYTHONPATH"))))}
    commands = {
        "python -c pass (interpreter alone)": ["-c", "pass"],
        "wafersim --help": ["-m", "wafersim", "--help"],
        'python -c "import wafersim"': ["-c", "import wafersim"],
        "import wafersim; wafersim.infer (API loaded)": ["-c", "import wafersim; wafersim.infer"],
        "first infer call (catalog loaded)": ["-c", "import wafersim; wafersim.infer('llama-2-70b', "
                                              "'dgx-h100', tp=8)"],
    }
    out = {}
    for label, args in commands.items():
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run([sys.executable, *args], check=True, capture_output=True, env=env)
            times.append(time.perf_counter() - start)
        out[label] = statistics.median(times)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter windows and fewer runs")
    args = parser.parse_args()
    windows, seconds, runs = (3, 0.3, 3) if args.quick else (5, 1.0, 7)
    mine, theirs = ours(windows, seconds), peer(windows, seconds)
    print(f"Single calls/s (best of {windows} windows of {seconds:g} s):")
    for kind in ("train", "infer"):
        for how in ("repeated", "fresh"):
            r = mine[f"{kind} {how}"]
            vs = f"  {r / theirs[kind]:5.1f}x llm-analysis" if kind in theirs else ""
            print(f"  wafersim.{kind} {how:8}  {r:10,.0f}{vs}")
        if kind in theirs:
            print(f"  llm-analysis {kind:8}  {theirs[kind]:10,.0f}")
    print(f"Start-up (median of {runs} processes):")
    for label, seconds_ in startup(runs).items():
        print(f"  {label:45} {seconds_:6.3f} s")


if __name__ == "__main__":
    main()
