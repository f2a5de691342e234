"""Shared pieces of the hardware claims (competitors, aws): tolerances, catalog peaks and ratios,
serving a model on a fixed plan under a per-token latency target, so that sensitivity re-runs
a comparison in milliseconds (the plans are what wafersim's search picks at nominal figures), and
the itemised bill of such a run on one cost basis (economics model)."""

from __future__ import annotations

from typing import NamedTuple

from wafersim.api import infer
from wafersim.catalog import Catalog, Chip, Quantity
from wafersim.catalog.system import resolve
from wafersim.cost.infer.result import InferResult
from wafersim.cost.kernels.economics import Economics, serving_economics
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
           plan: FixedPlan, prompt: int, pricing: str = "tco") -> InferResult:
    """The most tokens/s `system` serves with every token within TPOT_SLO_S, on a fixed plan,
    its cost on basis `pricing`."""
    return infer(model, system, input_tokens=prompt, output_tokens=OUTPUT, precision=precision,
                 kv_precision="fp8", count=count, catalog=cat, max_throughput=True,
                 tpot_slo_s=TPOT_SLO_S, tp=plan.tp, pp=plan.pp, ep=plan.ep,
                 attention_dp=plan.attention_dp, pricing=pricing)


def serving_bill(cat: Catalog, system_id: str, r: InferResult, pricing: str) -> Economics:
    """Power, energy and cost of the run `r` (one batch from its first token to its last) on
    `system_id` at `r`'s device count, on basis `pricing`: the figures `r` reports, itemised."""
    system = resolve(cat, system_id).with_devices(r.devices).priced(pricing)
    return serving_economics(system, r.batch * OUTPUT / r.throughput_tokens_per_s)


def usd_per_mtok(bill: Economics, r: InferResult) -> float | None:
    """$ per million output tokens of `r` from its bill; None where a price is unknown."""
    return bill.per_token(r.batch * OUTPUT)[1]


def breakdown_words(bill: Economics, r: InferResult) -> str:
    """The cost of a million tokens by part (capex, facility, electricity; or rental)."""
    per = 1e6 / (r.batch * OUTPUT)
    if not bill.cost_breakdown:
        return f"basis {bill.basis}: a price is not in the catalog"
    return f"basis {bill.basis}: " + ", ".join(
        f"{k.removesuffix('_usd')} ${v * per:,.2f}" for k, v in bill.cost_breakdown.items())


def plan_words(r: InferResult) -> str:
    j = r.plan.to_json()
    adp = f", attention data-parallel {j['attention_dp']}" if j.get("attention_dp", 1) > 1 else ""
    return (f"tp {j['tp']}, pp {j['pp']}, ep {j['ep']}{adp}; {j['replicas']} replica(s) of "
            f"{j['per_replica_batch']} requests")
