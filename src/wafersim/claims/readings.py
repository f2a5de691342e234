"""Shared pieces of the hardware claims (competitors, aws): tolerances, catalog peaks and ratios,
and serving a model on a fixed plan under a per-token latency target, so that sensitivity re-runs
a comparison in milliseconds (the plans are what wafersim's search picks at nominal figures)."""

from __future__ import annotations

from typing import NamedTuple

from wafersim.api import infer
from wafersim.catalog import Catalog, Chip, Quantity
from wafersim.cost.infer.result import InferResult
from wafersim.precision import Precision

SPEC = 0.05  # tolerance on a catalogued spec figure, either side
ABOUT = 0.10  # tolerance on a rounded ("about", "4x", "25x") figure, either side
OUTPUT = 1024  # output tokens per request in every comparison
TPOT_SLO_S = 0.050  # every output token within 50 ms (NVIDIA's "real time" reading, C20)


def near(got: float | None, stated: float, tolerance: float = SPEC) -> bool:
    """`got` within `tolerance` of `stated`, either side (False when unknown)."""
    return got is not None and abs(got / stated - 1.0) <= tolerance


def ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def peak(chip: Chip, precision: str, sparse: bool = False) -> float | None:
    """The chip's dense (or sparse) peak FLOP/s at `precision`; None when not catalogued."""
    table = chip.peak_sparse_flops_per_s if sparse else chip.peak_dense_flops_per_s
    return value(table.get(Precision(precision)))


def value(q: Quantity | None) -> float | None:
    return None if q is None else q.value


def times(x: float | None) -> str:
    """A ratio as words: 6.11x, or 'unknown'."""
    return "unknown" if x is None else f"{x:.3g}x"


class FixedPlan(NamedTuple):
    """Parallel degrees fixed for a comparison (what the plan search picks at nominal figures)."""

    tp: int
    pp: int = 1
    ep: int = 1
    attention_dp: int | None = None


def served(cat: Catalog, model: str, system: str, count: int | None, precision: str,
           plan: FixedPlan, prompt: int) -> InferResult:
    """The most tokens/s `system` serves with every token within TPOT_SLO_S, on a fixed plan."""
    return infer(model, system, input_tokens=prompt, output_tokens=OUTPUT, precision=precision,
                 kv_precision="fp8", count=count, catalog=cat, max_throughput=True,
                 tpot_slo_s=TPOT_SLO_S, tp=plan.tp, pp=plan.pp, ep=plan.ep,
                 attention_dp=plan.attention_dp)


def plan_words(r: InferResult) -> str:
    j = r.plan.to_json()
    adp = f", attention data-parallel {j['attention_dp']}" if j.get("attention_dp", 1) > 1 else ""
    return (f"tp {j['tp']}, pp {j['pp']}, ep {j['ep']}{adp}; {j['replicas']} replica(s) of "
            f"{j['per_replica_batch']} requests")
