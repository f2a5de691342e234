"""Speed of accelerator-cluster training: plan evaluations per second and full plan searches,
with llm-analysis (a PyPI peer) on the same configuration when it is installed.

Run: python benchmarks/bench_training.py   (prints figures; asserts nothing)
"""

from __future__ import annotations

import itertools
import time

from _peers import llm_analysis_model, load_peer

import wafersim
from wafersim.catalog import load_catalog
from wafersim.catalog.system import resolve
from wafersim.cost.train.step import StepModel
from wafersim.models import load_model
from wafersim.plan import enumerate_plans

MODEL, SYSTEM, DEVICES, BATCH, SEQ = "llama-2-70b", "dgx-h100", 1024, 1024, 4096


def ours() -> None:
    catalog = load_catalog()
    model = load_model(MODEL)
    step_model = StepModel(model, resolve(catalog, SYSTEM).with_devices(DEVICES), SEQ, BATCH, "bf16")
    plans = enumerate_plans(model, DEVICES, step_model.accel.scale_up, BATCH, SEQ)
    start, rounds = time.perf_counter(), 0
    while time.perf_counter() - start < 2.0:
        step_model.evaluate(plans)
        rounds += 1
    rate = rounds * len(plans) / (time.perf_counter() - start)
    print(f"wafersim: {rate:,.0f} plan evaluations/s ({MODEL} on {DEVICES} x H100, "
          f"{len(plans):,} plans per search, one core)")
    train = wafersim.train  # the API loads on first use: import it before timing a search
    for model_id, system, n, batch, seq in ((MODEL, SYSTEM, DEVICES, BATCH, SEQ),
                                            ("megatron-1t", "dgx-a100", 3072, 3072, 2048)):
        start = time.perf_counter()
        r = train(model_id, system, 1e12, count=n, global_batch=batch, seq_len=seq, catalog=catalog)
        print(f"wafersim: full --plan auto search, {model_id} on {n} devices of {system}: "
              f"{time.perf_counter() - start:.3f} s; best {r.plan.layout} step "
              f"{r.step_time_s:.2f} s, MFU {r.mfu:.1%}")


def peer() -> None:
    la, label = load_peer("llm-analysis")
    if la is None:
        print(f"{label} (pip install -e '.[peers]' to compare)")
        return
    from llm_analysis.analysis import ActivationRecomputation, DSZeRO, LLMAnalysis
    from llm_analysis.config import ParallelismConfig, get_dtype_config_by_name, get_gpu_config_by_name

    config = llm_analysis_model(load_model(MODEL), SEQ)
    gpu, dtype = get_gpu_config_by_name("h100-sxm-80gb"), get_dtype_config_by_name("w16a16e16")
    # tp, pp, micro-batch, ZeRO stage, recompute (0 none, 2 full)
    grid = list(itertools.product((1, 2, 4, 8), (1, 2, 4, 8), (1, 2, 4), (0, 1, 2, 3), (0, 2)))
    start, done, best = time.perf_counter(), 0, None
    for tp, pp, mb, zero, rc in grid:
        dp = DEVICES // (tp * pp)
        analysis = LLMAnalysis(config, gpu, dtype, ParallelismConfig(tp_size=tp, pp_size=pp, dp_size=dp),
                               flops_efficiency=0.5, hbm_memory_efficiency=0.9)
        try:
            out = analysis.training(batch_size_per_gpu=mb, global_batch_size=BATCH, seq_len=SEQ,
                                    ds_zero=DSZeRO(zero),
                                    activation_recomputation=ActivationRecomputation(rc),
                                    mlp_gated_linear_units=True)
        except Exception:  # llm-analysis raises on plans it cannot fit or express
            out = None
        done += 1
        if out and (best is None or out["latency_per_iter"] < best[0]):
            best = (out["latency_per_iter"], tp, pp, dp, mb, zero, rc)
    elapsed = time.perf_counter() - start
    print(f"llm-analysis: {done / elapsed:,.0f} plan evaluations/s on the same configuration "
          f"({done} plans in {elapsed:.2f} s)")
    if best:
        print(f"llm-analysis: best of its grid tp{best[1]} pp{best[2]} dp{best[3]} mb{best[4]} "
              f"zero{best[5]} recompute-level {best[6]}: step {best[0]:.2f} s "
              "(flops_efficiency 0.5 as its docs suggest)")


if __name__ == "__main__":
    ours()
    peer()
