"""Serve a model on a system: pick the plan, cost every point, assemble frozen `InferResult`s.

Wafer-scale systems run SRAM-resident (`infer_wafer.py`); every other system runs from HBM with
tensor/pipeline/expert parallel plans (`infer_hbm.py`, `infer_plan.py`). `batch` is the number
of requests in flight on the whole system; HBM plans split it over their replicas. A static
batch prefills together then decodes together, so total output tokens/s =
batch x output tokens / (TTFT + output tokens x TPOT). Energy and cost come from
`cost/kernels/economics.py` over that time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from wafersim.catalog.system import System
from wafersim.cost.infer import hbm
from wafersim.cost.infer.common import KV_BLOCK_TOKENS, SelfDraft, Serving
from wafersim.cost.infer.result import InferResult, assemble
from wafersim.cost.infer.wafer import (
    Speculative,
    WaferFit,
    fit,
    serving_efficiency,
    wafer_points,
    wafers_needed,
)
from wafersim.cost.kernels.gemm import Device, device_of
from wafersim.errors import ConfigError, InfeasiblePlan
from wafersim.memo import memoised
from wafersim.models.spec import ModelSpec
from wafersim.plan.infer_grid import Plans, enumerate_plans

MAX_SEARCH_BATCH = 2**16  # largest batch the throughput search tries (requests in flight)


@dataclass(frozen=True)
class Points:
    """Many (plan, batch) points costed at once; arrays of equal length."""

    plans: Plans
    batch: np.ndarray  # requests in flight, whole system
    per_replica: np.ndarray
    tpot: dict[str, np.ndarray]
    ttft: dict[str, np.ndarray]
    fits: np.ndarray  # weights and KV of the batch fit
    max_batch: np.ndarray  # whole system
    memory: dict[str, np.ndarray]  # per device

    @property
    def tpot_s(self) -> np.ndarray:
        return sum(self.tpot.values())  # type: ignore[return-value]

    @property
    def ttft_s(self) -> np.ndarray:
        return sum(self.ttft.values())  # type: ignore[return-value]

    def throughput(self, serving: Serving) -> np.ndarray:
        return self.batch * serving.output_tokens / serving.wall_s(self.ttft_s, self.tpot_s)


def hbm_device(system: System, serving: Serving) -> Device:
    """The calibrated device in the weight format (falling back to a precision the chip runs)."""
    for prec in (serving.precision, "fp8", "bf16", "fp16"):
        if system.chip.peak_dense_flops.get(prec) is not None:  # type: ignore[call-overload]
            return device_of(system.chip, prec)
    raise ConfigError(f"{system.chip.id} has no dense peak for {serving.precision} or 16-bit")


def hbm_points(model: ModelSpec, system: System, serving: Serving, plans: Plans, batch,
               mtp: SelfDraft | None = None) -> Points:  # type: ignore[no-untyped-def]
    """Cost every (plan, batch) pair given as equal-length arrays."""
    device = hbm_device(system, serving)
    b = np.asarray(batch, dtype=float)
    per_rep = np.ceil(b / plans.dp)
    # MTP modules as mean layers (DeepSeek-V3: ~14 B, one MoE layer plus a projection; HF config)
    extra = 1.0 if mtp is None else (model.n_layers + model.mtp_layers) / model.n_layers
    weights = hbm.weight_bytes_per_device(model, serving.precision, plans) * extra
    kv_tok = hbm.kv_bytes_per_token_device(model, serving.kv_precision, plans) * extra
    blocks = math.ceil(serving.context_tokens / KV_BLOCK_TOKENS) * KV_BLOCK_TOKENS
    kv_req = kv_tok * blocks
    usable = _hbm_bytes(system) * hbm.HBM_USABLE_FRACTION
    per_rep_max = np.maximum(0, np.floor((usable - weights) / kv_req))
    tpot = hbm.decode_parts(model, system, device, serving, plans, per_rep, mtp)
    ttft = hbm.prefill_parts(model, system, device, serving, plans, per_rep)
    memory = {"weights": weights + 0 * b, "kv_cache": per_rep * kv_req, "usable": usable + 0 * b}
    return Points(plans, b, per_rep, tpot, ttft, per_rep <= per_rep_max, per_rep_max * plans.dp,
                  memory)


def _hbm_bytes(system: System) -> float:
    q = system.chip.hbm_bytes
    if q is None or q.value is None:
        raise ConfigError(f"{system.chip.id} has no HBM size in the catalog")
    return q.value


def devices_needed(model: ModelSpec, system: System, serving: Serving) -> int:
    """Fewest devices whose usable HBM holds the weights and one request's KV cache."""
    need = model.weight_bytes(serving.precision) + serving.kv_bytes_per_request(model)
    return math.ceil(need / (_hbm_bytes(system) * hbm.HBM_USABLE_FRACTION))


def grid_of(plans: Plans, batches) -> tuple[Plans, np.ndarray]:  # type: ignore[no-untyped-def]
    b = np.asarray(batches, dtype=np.int64)
    i = np.repeat(np.arange(len(plans)), b.size)
    return plans.take(i), np.tile(b, len(plans))


def _infeasible(model: ModelSpec, system: System, serving: Serving, batch: int) -> InfeasiblePlan:
    need = devices_needed(model, system, serving)
    if need <= system.chips:
        return InfeasiblePlan(f"{batch} requests of {serving.context_tokens} tokens do not fit the KV "
                              f"cache of {model.id} on {system.chips} x {system.chip.id}; lower "
                              "--batch or the token counts, or raise --count")
    gb = model.weight_bytes(serving.precision) / 1e9
    return InfeasiblePlan(f"{model.id} ({gb:,.0f} GB at {serving.precision}) does not fit "
                          f"{system.chips} x {system.chip.id}; it needs at least {need} devices "
                          f"(--count {need}) or a smaller --precision")


def hbm_serve(model: ModelSpec, system: System, serving: Serving, batches: list[int],
              plan: dict[str, int | None], slo_s: float | None = None,
              search: bool = False, mtp: SelfDraft | None = None) -> list[InferResult]:
    """The best plan per batch (most tokens/s), or with `search` the best batch and plan."""
    plans = enumerate_plans(model, system, plan.get("tp"), plan.get("pp"), plan.get("ep"),
                            plan.get("attention_dp"))
    if search:
        batches = search_batches(model, system, serving, plans, mtp)
    grid, b = grid_of(plans, batches)
    pts = hbm_points(model, system, serving, grid, b, mtp)
    score = np.where(pts.fits, pts.throughput(serving), -np.inf)
    if slo_s is not None:
        score = np.where(pts.tpot_s <= slo_s, score, -np.inf)
    score = score.reshape(len(plans), len(batches))
    if search:
        best = int(np.argmax(score))
        if not np.isfinite(score.flat[best]):
            raise _no_point(model, system, serving, slo_s, pts)
        return [_hbm_result(model, system, serving, pts, best, mtp)]
    out = []
    for j, batch in enumerate(batches):
        i = int(np.argmax(score[:, j]))
        if not np.isfinite(score[i, j]):
            raise _infeasible(model, system, serving, batch)
        out.append(_hbm_result(model, system, serving, pts, i * len(batches) + j, mtp))
    return out


def search_batches(model: ModelSpec, system: System, serving: Serving, plans: Plans,
                   mtp: SelfDraft | None) -> list[int]:
    pts = hbm_points(model, system, serving, plans, np.ones(len(plans)), mtp)
    top = int(min(np.max(pts.max_batch), MAX_SEARCH_BATCH))
    if top < 1:
        raise _infeasible(model, system, serving, 1)
    grid = {2**i for i in range(int(math.log2(top)) + 1)} | {top}
    grid |= {int(x) for x in pts.max_batch if 1 <= x <= top}
    return sorted(grid)


def _no_point(model: ModelSpec, system: System, serving: Serving, slo_s: float | None,
              pts: Points) -> InfeasiblePlan:
    if not pts.fits.any():
        return _infeasible(model, system, serving, 1)
    best = float(np.min(pts.tpot_s[pts.fits]))
    return InfeasiblePlan(f"no plan of {model.id} on {system.id} meets --tpot-slo {slo_s:g} s; the "
                          f"fastest gives {best * 1e3:.2f} ms per token; relax the SLO")


def _hbm_result(model: ModelSpec, system: System, serving: Serving, pts: Points, i: int,
                mtp: SelfDraft | None) -> InferResult:
    plan = pts.plans.describe(i) | {"kind": "hbm", "per_replica_batch": int(pts.per_replica[i]),
                                    "precision": serving.precision,
                                    "kv_precision": serving.kv_precision}
    if mtp is not None:
        plan["speculative"] = {"draft": "mtp", "acceptance": mtp.acceptance,
                               "lookahead": mtp.lookahead, "tokens_per_step": mtp.tokens_per_step}
    notes = (*hbm_device(system, serving).assumptions, hbm.serving_efficiency(system.chip)[1],
             *serving.stack_notes(), *hbm.ASSUMPTIONS)
    memory = {k: float(v[i]) for k, v in pts.memory.items()}
    return assemble(model, system, serving, int(pts.batch[i]), system.chips,
                    {k: float(v[i]) for k, v in pts.tpot.items()},
                    {k: float(v[i]) for k, v in pts.ttft.items()},
                    int(pts.max_batch[i]), memory, plan, notes)


def _wafer_count(f: WaferFit, system: System, count: int | None, batch: int, model: ModelSpec) -> int:
    """The wafers to use: the fewest that hold the model and `batch` requests, or `count`."""
    need = wafers_needed(f, batch)
    limit = count or (system.chips if system.cluster is not None else None)
    if limit is not None and limit < need:
        raise InfeasiblePlan(f"{model.id} with {batch} request(s) of {f.kv_bytes_per_request / 1e9:.2f}"
                             f" GB KV cache needs {need} wafers ({f.weight_bytes / 1e9:,.1f} GB of "
                             f"weights over {f.usable_bytes / 1e9:.1f} GB usable SRAM each); "
                             f"{system.id} gives {limit}: use --count {need}")
    return count or need


def wafer_serve(model: ModelSpec, system: System, serving: Serving, batches: list[int],
                count: int | None = None, spec: Speculative | None = None,
                slo_s: float | None = None, search: bool = False) -> list[InferResult]:
    """SRAM-resident serving per batch, or with `search` the batch with the most tokens/s."""
    f = fit(model, system, serving, spec)
    if not search:
        out = []
        for batch in batches:
            n = _wafer_count(f, system, count, batch, model)
            tpot, ttft = wafer_points(model, system, serving, [batch], n, f, spec)
            out.append(_wafer_result(model, system, serving, f, n, batch, tpot, ttft, spec, 0))
        return out
    n = _wafer_count(f, system, count, 1, model)
    top = min(f.max_batch(n), MAX_SEARCH_BATCH)
    grid = np.array(sorted({2**i for i in range(int(math.log2(top)) + 1)} | {top}))
    tpot, ttft = wafer_points(model, system, serving, grid, n, f, spec)
    tpot_s, out_tok = sum(tpot.values()), serving.output_tokens
    score = grid * out_tok / serving.wall_s(sum(ttft.values()), tpot_s)
    if slo_s is not None:
        score = np.where(tpot_s <= slo_s, score, -np.inf)
    best = int(np.argmax(score))
    if not np.isfinite(score[best]):
        raise InfeasiblePlan(f"no batch of {model.id} on {n} x {system.chip.id} meets --tpot-slo "
                             f"{slo_s:g} s; batch 1 gives {tpot_s[0] * 1e3:.3f} ms per token")
    return [_wafer_result(model, system, serving, f, n, int(grid[best]), tpot, ttft, spec, best)]


def _wafer_result(model: ModelSpec, system: System, serving: Serving, f: WaferFit, n: int,
                  batch: int, tpot: dict, ttft: dict, spec: Speculative | None, i: int) -> InferResult:
    L = model.n_layers
    in_flight = min(batch, L + 1)
    copies = int(f.usable_bytes // (f.weight_bytes + f.kv_bytes_per_request))
    plan = {"kind": "sram_resident", "wafers": n, "layers_per_wafer": L / n,
            "pipeline_stages": L + 1, "micro_batches": in_flight,
            "micro_batch": batch / in_flight, "copies_per_wafer": copies,
            "precision": serving.precision, "kv_precision": serving.kv_precision}
    if spec is not None:
        plan["speculative"] = {"draft": spec.draft.id, "acceptance": spec.acceptance,
                               "lookahead": spec.lookahead, "tokens_per_step": spec.tokens_per_step}
    memory = {"weights": f.weight_bytes / n, "kv_cache": batch * f.kv_bytes_per_request / n,
              "usable": f.usable_bytes}
    notes = f.notes + (serving_efficiency(system)[1], *serving.stack_notes(), *WAFER_NOTES)
    served = wafer_system(system, n)
    return assemble(model, served, serving, batch, n,
                    {k: float(np.asarray(v).flat[i]) for k, v in tpot.items()},
                    {k: float(np.asarray(v).flat[i]) for k, v in ttft.items()},
                    f.max_batch(n), memory, plan, notes)


def wafer_system(system: System, wafers: int) -> System:
    """The wafers SRAM-resident serving runs on: no MemoryX or SwarmX (weights stay on the wafer)."""
    return replace(system.with_chips(wafers), memory_service=None, broadcast_reduce=None)


WAFER_NOTES = (
    "each weight matrix on its own PE rectangle, sized by its bytes; a token's GEMVs run one "
    "after another (cost/kernels/wafer_gemv.py, chain reduction)",
    "layers averaged; activations (a few vectors per request) not counted in SRAM",
    "hidden vector crosses the node I/O link (12 x 100 GbE) at each wafer boundary",
    "every layer is a pipeline stage; requests in flight fill the pipeline",
)


@memoised(identity=(System,))
def serve(model: ModelSpec, system: System, serving: Serving, batches: list[int],
          plan: dict[str, int | None] | None = None, count: int | None = None,
          spec: Speculative | SelfDraft | None = None, slo_s: float | None = None,
          search: bool = False) -> list[InferResult]:
    """Serve `model` on `system`: one result per batch, or the best batch with `search`."""
    check_request(batches, slo_s)
    serving.check_stack(system.chip)
    if system.chip.device_class == "wafer":
        given = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in (plan or {}).items() if v)
        if given:
            raise ConfigError(f"{given}: tensor/pipeline/expert degrees apply to HBM accelerators; "
                              f"{system.id} pipelines layers over wafers (drop it, or use --count)")
        if isinstance(spec, SelfDraft):
            raise ConfigError("--draft mtp is modelled on HBM systems; on wafers name a draft model")
        return wafer_serve(model, system, serving, batches, count, spec, slo_s, search)
    check_hbm_draft(model, spec)
    target = system if count is None else system.with_chips(count)
    return hbm_serve(model, target, serving, batches, plan or {}, slo_s, search, spec)


def check_request(batches: list[int], slo_s: float | None) -> None:
    """One-line errors for a batch below one request or a non-positive TPOT SLO."""
    if any(b < 1 for b in batches):
        raise ConfigError(f"--batch {min(batches)} must be at least 1 request")
    if slo_s is not None and not slo_s > 0:
        raise ConfigError(f"--tpot-slo {slo_s:g} s must be positive")


def check_hbm_draft(model: ModelSpec, spec: Speculative | SelfDraft | None) -> None:
    """HBM systems draft with the model's own multi-token-prediction module, if it has one."""
    if isinstance(spec, Speculative):
        raise ConfigError(f"--draft {spec.draft.id}: on HBM systems the draft is the model's own "
                          "multi-token-prediction module; use --draft mtp")
    if spec is not None and not model.mtp_layers:
        raise ConfigError(f"--draft mtp: {model.id} has no multi-token-prediction module "
                          "(num_nextn_predict_layers); drop --draft")
