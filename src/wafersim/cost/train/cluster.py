"""Training on accelerator clusters (GPU, TPU, Trainium, Ascend, Gaudi): search the plans, report
the fastest feasible one with its breakdown, and the runners-up.

Every plan the model and cluster admit (`plan.enumerate_plans`, narrowed by the user's fixed
choices) is evaluated at once by `cluster_step.StepModel`; plans whose memory exceeds the device
are infeasible, and the fastest feasible plan wins (ties: the earlier plan in the search grid, so
the answer is deterministic). When none fits, the error names the plan that came closest.
A single admitted plan (every part fixed) is costed in Python floats, by the same formulas.
"""

from __future__ import annotations

import math
from dataclasses import replace
from functools import lru_cache

import numpy as np

from wafersim.catalog.system import System
from wafersim.cost.train.evaluation import evaluation_of
from wafersim.cost.train.lora import lora_flops_per_token
from wafersim.cost.train.production import production
from wafersim.cost.train.recipe import exposes_launches
from wafersim.cost.train.result import TrainResult
from wafersim.cost.train.scenario import TrainWorkload
from wafersim.cost.train.step import Accelerator, Step, StepModel
from wafersim.errors import InfeasiblePlan
from wafersim.memo import memoised
from wafersim.models.padding import padded_heads_json, padding_note, unpadded
from wafersim.models.spec import ModelSpec
from wafersim.plan.train import Constraints, ParallelPlan, PlanSpace
from wafersim.plan.train_grid import plan_rows, space_of
from wafersim.units import fmt_bytes
from wafersim.xp import item, where

TOP = 5
_FREE = Constraints()  # nothing fixed


def search(model: ModelSpec, system: System, work: TrainWorkload, constraints: Constraints | None = None,
           attention: str = "flash") -> tuple[StepModel, PlanSpace, np.ndarray, Step]:
    """Evaluate every admitted plan; returns the step model, plans, feasible order and the step."""
    step_model = StepModel(model, system, work.seq_len, work.global_batch, work.precision, attention,
                           work.lora_rank, wire=work.wire, framework_speed=work.framework_speed,
                           recipe=work.recipe, host_launch=work.host_launch)
    rows = plan_rows(model, system.devices, step_model.accel.scale_up, work.global_batch,
                     work.seq_len, constraints)
    plans = PlanSpace(*map(int, rows[0])) if len(rows) == 1 else space_of(rows)  # one: in floats
    step = step_model.evaluate(plans)
    time_s = where(step.feasible, step.time_s, np.inf)
    if isinstance(time_s, np.ndarray):
        order = np.argsort(time_s, kind="stable")
        feasible = order[np.isfinite(time_s[order])]
    else:
        feasible = np.arange(1 if math.isfinite(time_s) else 0)
    if feasible.size == 0:
        _no_fit(model, system, step_model, plans, step)
    return step_model, plans, feasible, step


def _no_fit(model: ModelSpec, system: System, step_model: StepModel, plans: PlanSpace,
            step: Step) -> None:
    i = int(np.argmin(step.memory_bytes))
    need, have = item(step.memory_bytes, i), step_model.accel.usable_bytes
    raise InfeasiblePlan(
        f"{model.id} does not fit on {system.devices} x {system.chip.id}: the leanest plan "
        f"({plans.plan(i)}) needs {fmt_bytes(need)} per device, {fmt_bytes(have)} is usable; "
        f"add devices (about {int(np.ceil(system.devices * need / have))}) or allow more sharding")


def train_cluster(model: ModelSpec, system: System, work: TrainWorkload,
                  constraints: Constraints | None = None, attention: str = "flash",
                  top: int = TOP) -> TrainResult:
    """The fastest feasible plan as a TrainResult; `alternatives` holds the next best."""
    step_model, plans, order, step = search(model, system, work, constraints, attention)
    per_token = _flops_per_token(unpadded(model), work.seq_len, work.lora_rank > 0)  # useful FLOPs
    notes = (padding_note(model) + _assumptions(step_model, constraints)
             + framework_note(work, system.chip.id) + recipe_note(work, model))
    results = [_result(model, system, work, step_model, plans, step, int(i), per_token, notes)
               for i in order[:top]]
    alternatives = tuple(r.summary() for r in results[1:])
    return replace(results[0], alternatives=alternatives) if alternatives else results[0]


@lru_cache(maxsize=256)
def _flops_per_token(model: ModelSpec, seq_len: int, lora: bool) -> float:
    """Model FLOPs per trained token (memoised)."""
    return lora_flops_per_token(model, seq_len) if lora else model.training_flops_per_token(seq_len)


def _result(model: ModelSpec, system: System, work: TrainWorkload, step_model: StepModel,
            plans: PlanSpace, step: Step, i: int, per_token: float, notes: tuple[str, ...]) -> TrainResult:
    """Plan `i` of the search as a result; `per_token` model FLOPs, `notes` the search's."""
    n = system.devices
    breakdown = {k: item(v, i) for k, v in step.breakdown.items()}
    step_s = sum(breakdown.values())
    tokens_step = work.global_batch * work.seq_len
    model_flops = per_token * tokens_step
    steps = work.tokens / tokens_step
    evaluated, eval_notes = evaluation_of(model, work, step_s, per_token)
    state = step_model.adapters if work.lora_rank else float(model.params_total)
    eco, lost = production(system, steps * step_s + evaluated, breakdown, state)
    memory = {k: item(v, i) for k, v in step.memory.items()}
    memory |= {"usable": step_model.accel.usable_bytes, "device": step_model.accel.hbm_bytes}
    plan = plans.plan(i)
    return TrainResult(
        model=model.id, system=system.id, devices=n, step_time_s=step_s,
        tokens_per_step=tokens_step, steps=steps,
        mfu=model_flops / step_s / (n * step_model.accel.gemm.peak_flops_per_s),
        flops_per_s_per_device=model_flops / step_s / n,
        memory_bytes_per_device=item(step.memory_bytes, i), energy_J=eco.energy_J,
        cost_usd=eco.cost_usd, breakdown=breakdown,
        plan=ParallelPlan(plan, int(item(step.n_micro, i)), work.precision, step_model.attention),
        assumptions=notes + eval_notes + eco.assumptions + lost.notes, memory=memory, economy=eco,
        interruptions=lost, evaluation_s=evaluated, padded_heads=padded_heads_json(model))


def framework_note(work: TrainWorkload, chip_id: str) -> tuple[str, ...]:
    """The named training framework and its speed over the chip's default framework."""
    fw = work.framework
    if fw is None:
        return ()
    where = (f"; measured on {', '.join(fw.chips)} only" if fw.chips and chip_id not in fw.chips
             else "")
    if fw.speed == 1.0:
        return (f"training framework {fw.id}: the speed of the chip's default framework{where}",)
    return (f"training framework {fw.id}: {fw.speed:.3g}x the speed of the chip's default "
            f"framework (its framework efficiency multiplied by it){where}",)


def recipe_note(work: TrainWorkload, model: ModelSpec) -> tuple[str, ...]:
    """The recipe's host launches, where it launches any from the host."""
    launch_s, gemm_launches = work.host_launch
    if not exposes_launches(work.recipe, model, launch_s):
        return ()
    per_expert = (f", {gemm_launches:g} launches' worth per per-expert GEMM"
                  if work.recipe.expert_gemm == "per_expert" else "")
    return (f"recipe: {work.recipe.describe()}; MoE layers expose their host launches at "
            f"{launch_s * 1e6:.3g} us each{per_expert} (the dispatcher syncs the host every layer)",)


def _assumptions(step_model: StepModel, constraints: Constraints | None) -> tuple[str, ...]:
    free = constraints is None or constraints == _FREE
    return (*_search_notes(step_model.accel, step_model.attention, free),
            *step_model.comm.link_notes())


@memoised(identity=(Accelerator,))
def _search_notes(accel: Accelerator, attention: str, free: bool) -> tuple[str, ...]:
    """What every result of a search assumes, the networks' defaults aside (memoised)."""
    searched = ("plan searched over tp, pp, dp, cp, ep, ZeRO stage, recompute, micro-batch and "
                "schedule" if free else "plan searched within the fixed choices")
    return (
        searched,
        f"GEMMs: calibrated roofline, {accel.gemm.matmul_efficiency:.2f} of the dense "
        f"{accel.gemm.precision} peak at best (micro-benchmarks)",
        "flash attention costed as full-sequence FLOPs at GEMM efficiency (causal halving and "
        "flash-kernel efficiency assumed to cancel)" if attention == "flash" else
        "eager attention: s x s scores written, softmax and dropout passes memory-bound",
        "tensor-parallel and expert all-to-all collectives exposed; data-parallel reduction "
        "overlapped with the last backward pass, parameter gathers with the first forward pass",
        "sequence parallelism with tensor parallelism (Megatron-LM); ring attention for cp > 1",
        *accel.assumptions[1:],
    )
