"""Speed of the inference model, and peers on the same point when they are installed.

Run: python benchmarks/bench_infer.py   (prints figures; asserts nothing)

Peers (optional, never dependencies): `pip install -e '.[peers]'`. Each is run on
Llama 2 70B, 8 x H100 SXM, tensor parallel 8, batch 1, 1,024 prompt + 1,024 output tokens, 16-bit.
"""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np

import wafersim
from wafersim.catalog import load_catalog
from wafersim.catalog.loader import _load
from wafersim.catalog.system import resolve
from wafersim.cost.infer.common import Serving
from wafersim.cost.infer.hbm_points import hbm_points
from wafersim.cost.infer.scenario import InferScenario
from wafersim.cost.infer.wafer import Region, wafer_fit, wafer_points
from wafersim.models import load_model
from wafersim.plan.infer_grid import enumerate_plans

POINT = dict(batch=1, input_tokens=1024, output_tokens=1024)


def per_second(fn, points: int, seconds: float = 2.0) -> float:
    """Points per second of `fn` (which costs `points` points) over about `seconds`."""
    start, calls = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        fn()
        calls += 1
    return calls * points / (time.perf_counter() - start)


def hbm_rate(catalog, model: str, system: str, batches: int) -> float:
    spec, target, serving = load_model(model), resolve(catalog, system), Serving()
    plans = enumerate_plans(spec, target)
    index = np.repeat(np.arange(len(plans)), batches)
    grid, b = plans.take(index), np.tile(np.arange(1, batches + 1), len(plans))
    sc = InferScenario(spec, target, serving)
    rate = per_second(lambda: hbm_points(sc, grid, b), len(b))
    print(f"HBM points ({model} on {system}, {len(plans)} plans x {batches} batches): "
          f"{rate:,.0f} per s")
    return rate


def wafer_rate(catalog, model: str, batches: int) -> float:
    spec, target, serving = load_model(model), resolve(catalog, "cs-3"), Serving()
    f = wafer_fit(spec, target, serving)
    b = np.arange(1, batches + 1)
    rate = per_second(lambda: wafer_points(spec, target, serving, b, Region(6), f), batches)
    print(f"wafer points ({model} on 6 CS-3, {batches} batches): {rate:,.0f} per s")
    return rate


def search_times() -> None:
    infer = wafersim.infer  # the API loads on first use: import it before timing the first call
    _load.cache_clear()
    start = time.perf_counter()
    r = infer("llama-3.1-70b", "dgx-h100", max_throughput=True)
    first = time.perf_counter() - start
    again = per_second(lambda: wafersim.infer("llama-3.1-70b", "dgx-h100", max_throughput=True), 1)
    print(f"--max-throughput llama-3.1-70b on dgx-h100: {first:.3f} s first call (catalog load "
          f"included), {1 / again * 1e3:.1f} ms warm; batch {r.batch}, plan tp={r.plan.degrees.tp} "
          f"pp={r.plan.degrees.pp} x{r.plan.degrees.replicas}, {r.throughput_tokens_per_s:,.0f} tok/s")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "wafersim", "infer", "--model", "llama-3.1-70b",
                    "--system", "dgx-h100", "--max-throughput", "--json"], check=True,
                   capture_output=True)
    print(f"  end to end from the shell (interpreter start included): "
          f"{time.perf_counter() - start:.2f} s")


def disaggregated_times() -> None:
    kw = dict(batch=832, input_tokens=3500, output_tokens=1500, precision="int8",
              kv_precision="int8", draft="mtp", lookahead=2, disaggregate="16:16")
    rate = per_second(lambda: wafersim.infer("deepseek-v3", "ascend-910c", **kw), 1)
    r = wafersim.infer("deepseek-v3", "ascend-910c", **kw)
    print(f"--disaggregate 16:16 deepseek-v3 on ascend-910c (both pools planned): "
          f"{1 / rate * 1e3:.1f} ms warm; TPOT {r.tpot_s * 1e3:.1f} ms, "
          f"{r.throughput_tokens_per_s:,.0f} tok/s")


def ours() -> None:
    r = wafersim.infer("llama-2-70b", "dgx-h100", tp=8, **POINT)
    rate = per_second(lambda: wafersim.infer("llama-2-70b", "dgx-h100", tp=8, **POINT), 1)
    print(f"  wafersim:     TPOT {r.tpot_s * 1e3:6.2f} ms, TTFT {r.ttft_s * 1e3:6.1f} ms "
          f"({rate:,.0f} whole API calls per s, catalog cached)")


def llm_analysis() -> None:
    try:
        from llm_analysis.analysis import infer
    except Exception as exc:  # an optional peer: report why and carry on
        print(f"  llm-analysis: not run ({type(exc).__name__}: {exc})")
        return
    kw = dict(model_name="upstage_Llama-2-70b-instruct-v2", gpu_name="h100-sxm-80gb",
              dtype_name="w16a16e16", batch_size_per_gpu=1, tp_size=8, seq_len=1024,
              num_tokens_to_generate=1024, log_level="ERROR")
    try:
        r = infer(**kw)
        rate = per_second(lambda: infer(**kw), 1)
    except Exception as exc:
        print(f"  llm-analysis: failed ({type(exc).__name__}: {str(exc)[:120]})")
        return
    print(f"  llm-analysis: TPOT {r['decode_latency'] * 1e3:6.2f} ms, TTFT "
          f"{r['prefill_latency'] * 1e3:6.1f} ms ({rate:,.0f} calls per s; a lower bound)")


def genz() -> None:
    try:
        from GenZ import decode_moddeling, prefill_moddeling
    except Exception as exc:
        print(f"  GenZ:         not run ({type(exc).__name__}: {exc})")
        return
    kw = dict(model="meta-llama/Llama-2-70B", batch_size=1, input_tokens=1024,
              system_name="H100_GPU", bits="bf16", tensor_parallel=8)
    try:
        d = decode_moddeling(output_tokens=1024, **kw)
        p = prefill_moddeling(**kw)
        rate = per_second(lambda: decode_moddeling(output_tokens=1024, **kw), 1, 3.0)
    except Exception as exc:
        print(f"  GenZ:         failed ({type(exc).__name__}: {str(exc)[:120]})")
        return
    print(f"  GenZ:         TPOT {d['Latency']:6.2f} ms, TTFT {p['Latency']:6.1f} ms "
          f"({rate:,.1f} decode calls per s)")


def main() -> None:
    catalog = load_catalog()
    hbm_rate(catalog, "llama-3.1-70b", "dgx-h100", 1024)
    hbm_rate(catalog, "deepseek-v3", "gb200-nvl72", 256)
    wafer_rate(catalog, "llama-3.1-70b", 4096)
    search_times()
    disaggregated_times()
    print("Llama 2 70B, 8 x H100 SXM, TP 8, batch 1, 1,024 + 1,024 tokens, 16-bit:")
    ours()
    llm_analysis()
    genz()


if __name__ == "__main__":
    main()
