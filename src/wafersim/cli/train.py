"""``wafersim train``: time, throughput, energy and cost of training a model on a system."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import typer
from rich.table import Table

from wafersim.api import size_training
from wafersim.api import train as run_train
from wafersim.catalog import Catalog
from wafersim.cli.budget import BUDGET_USD, DEADLINE, POWER_MW, parse_budget, print_sizing
from wafersim.cli.common import (
    catalog,
    console,
    known,
    parse_amount,
    parse_counts,
    parse_plan,
    print_json,
    print_range,
    print_summary,
    range_json,
    range_runs,
)
from wafersim.cli.flags import message_of
from wafersim.cli.options import PRICING
from wafersim.cli.plotting import check_plot, plot_option, write_plot
from wafersim.cli.progress import progress
from wafersim.cost.sizing import Budget, Sizing
from wafersim.cost.train.evaluation import EvalSchedule
from wafersim.cost.train.knee import scaling_knee
from wafersim.cost.train.recipe import Recipe
from wafersim.cost.train.result import TrainResult
from wafersim.errors import ConfigError, InfeasiblePlan
from wafersim.figures.breakdown import breakdown_figure
from wafersim.plan import Constraints
from wafersim.units import fmt_bytes, fmt_flops, fmt_power, fmt_time, fmt_usd


def train(
    model: str = typer.Option(..., "--model", help="Model id or config.json path."),
    system: str = typer.Option(..., "--system", help="System id (chip, node or cluster)."),
    count: str = typer.Option(None, "--count", help="Systems/devices, or a list 1,2,4 for a "
                              "scaling curve (default: the system as catalogued)."),
    tokens: str = typer.Option(..., "--tokens", help="Tokens to train on, e.g. 2e12 or 2T."),
    global_batch: int = typer.Option(None, "--global-batch", min=1, help="Sequences per step."),
    seq_len: int = typer.Option(None, "--seq-len", min=1, help="Tokens per sequence."),
    precision: str = typer.Option("bf16", "--precision", help="bf16, fp16 or fp8."),
    recompute: str = typer.Option("auto", "--recompute", help="auto, none, selective or full."),
    activations: str = typer.Option(None, "--activations", help="Wafers: where a micro-batch's "
                                    "activations live: sram (default, documented; caps tokens per "
                                    "weight pass), offload (activation servers over the system "
                                    "I/O) or auto (the faster)."),
    sparsity: float = typer.Option(0.0, "--sparsity", help="Weight sparsity (wafers: speeds "
                                   "compute only)."),
    memory_service: str = typer.Option(None, "--memory-service", help="MemoryX id for wafer "
                                       "systems (default: the system's)."),
    plan: str = typer.Option("auto", "--plan", help="auto (search the fastest feasible plan) or "
                             "fixed parts like 'tp8,pp4,zero1,mb2,v2' (MoE: ovl1 overlaps the "
                             "expert all-to-all with compute, ovl0 does not)."),
    tp: int = typer.Option(None, "--tp", help="Tensor-parallel degree (fixes it in the search)."),
    pp: int = typer.Option(None, "--pp", help="Pipeline stages."),
    dp: int = typer.Option(None, "--dp", help="Data-parallel replicas."),
    cp: int = typer.Option(None, "--cp", help="Context-parallel degree."),
    ep: int = typer.Option(None, "--ep", help="Expert-parallel degree (MoE)."),
    zero: int = typer.Option(None, "--zero", help="ZeRO/FSDP stage 0-3."),
    micro_batch: int = typer.Option(None, "--micro-batch", help="Sequences per micro-batch."),
    schedule: str = typer.Option(None, "--schedule", help="Pipeline schedule: 1f1b or interleaved."),
    attention: str = typer.Option("flash", "--attention", help="flash or eager (pre-2023 stacks)."),
    with_range: bool = typer.Option(False, "--range", help="Also run with the system's "
                                    "efficiency ranges at their low and high bounds."),
    finetune: str = typer.Option(None, "--finetune", help="lora-rN: LoRA adapters of rank N on "
                                 "a frozen base (default: full training)."),
    beyond_context: bool = typer.Option(False, "--beyond-context", help="Allow a --seq-len past "
                                        "the model's context (context-extension training; the "
                                        "output notes it)."),
    eval_every: str = typer.Option(None, "--eval-every", help="Evaluate every this many trained "
                                   "tokens (with --eval-tokens), e.g. 50M: forward passes timed "
                                   "with the run, as MLPerf does."),
    eval_tokens: str = typer.Option(None, "--eval-tokens", help="Held-out tokens per evaluation "
                                    "(with --eval-every), e.g. 11.6M."),
    framework: str = typer.Option(None, "--framework", help="Training framework from the catalog "
                                  "(engine or engine:release; wafersim systems --kind framework); "
                                  "default: the chip's default framework."),
    cuda_graphs: str = typer.Option("full", "--cuda-graphs", help="full (whole iteration "
                                    "captured), partial (attention, router and preprocessing "
                                    "captured; experts eager) or none: MoE layers pay the host "
                                    "launches of what is not captured (needs a --framework with a "
                                    "launch cost, e.g. megatron-bridge)."),
    expert_gemm: str = typer.Option("grouped", "--expert-gemm", help="grouped (one kernel per "
                                    "expert projection) or per_expert (one cuBLAS GEMM per local "
                                    "expert, Transformer Engine's GroupedLinear): with "
                                    "--cuda-graphs partial or none each costs host time."),
    balanced_routing: bool = typer.Option(False, "--balanced-routing", help="MoE: routing forced "
                                          "even (Megatron-Core moe_router_force_load_balancing, as "
                                          "benchmarks set it): no trained-router skew."),
    recompute_modules: str = typer.Option(None, "--recompute-modules", help="Megatron-Core "
                                          "modules rerun in the backward pass, comma-separated: "
                                          "mla_up_proj, mlp, shared_experts, core_attn."),
    pricing: str = PRICING,
    budget_usd: str = BUDGET_USD,
    power_mw: str = POWER_MW,
    deadline: str = DEADLINE,
    as_json: bool = typer.Option(False, "--json", help="Machine output in SI units."),
    plot: str = plot_option("the step time's breakdown, one stacked bar per count"),
) -> None:
    """Train MODEL on SYSTEM: step time, tokens/s, wall time with failures, MFU, power, energy, cost.

    With a budget (--budget-usd, --power-mw or --deadline) in place of --count, on the count
    sized to it, then the counts tried."""
    check_plot(plot)
    modules = tuple(recompute_modules.split(",")) if recompute_modules is not None else ()
    recipe = Recipe(cuda_graphs, expert_gemm, balanced_routing, modules)
    total = parse_amount(tokens, "--tokens")
    budget = parse_budget(budget_usd, power_mw, deadline)
    counts: list[int | None] = [*parse_counts(count)] if count else [None]
    if with_range and len(counts) > 1:
        raise ConfigError(f"--range takes one --count, not the list {count!r}; run each count apart")
    flags: dict[str, Any] = dict(tp=tp, pp=pp, dp=dp, cp=cp, ep=ep, zero=zero, micro_batch=micro_batch,
                                 schedule=schedule, recompute=None if recompute == "auto" else recompute)
    fixed = _fixed(parse_plan(plan), plan, flags)
    recompute = fixed.recompute or recompute  # a recompute mode in --plan is fixed, not searched

    options: dict[str, Any] = dict(
        global_batch=global_batch, seq_len=seq_len, precision=precision, recompute=recompute,
        sparsity=sparsity, memory_service=memory_service, plan=fixed, attention=attention,
        finetune=finetune, activations=activations, beyond_context=beyond_context, pricing=pricing,
        evaluation=_evaluation(eval_every, eval_tokens), framework=framework, recipe=recipe)
    if budget is not None:
        _sized(budget, lambda: size_training(model, system, total, budget.usd,
                                             budget.facility_power_W, budget.deadline_s,
                                             catalog=catalog(), **options), as_json, plot)
        return

    def run(n: int | None, cat: Catalog) -> TrainResult:
        return run_train(model, system, total, count=n, catalog=cat, **options)

    results = _run_counts(counts, lambda n: run(n, catalog()))
    _plot([r for r in results if isinstance(r, TrainResult)], plot)
    if with_range and isinstance(results[0], TrainResult):
        _range(results[0], range_runs(catalog(), system, lambda cat: run(counts[0], cat)), as_json)
        return
    if as_json:
        points = [r.to_json() if isinstance(r, TrainResult) else {"feasible": False, "reason": r}
                  for r in results]
        print_json(points[0] if len(points) == 1 else {"points": points, "knee": _knee_json(results)})
    elif len(results) == 1 and isinstance(results[0], TrainResult):
        _print_one(results[0])
    else:
        _print_curve(results)


def _evaluation(every: str | None, tokens: str | None) -> EvalSchedule | None:
    """The periodic evaluations --eval-every and --eval-tokens ask for (both or neither)."""
    if every is None and tokens is None:
        return None
    if every is None or tokens is None:
        given, missing = ("--eval-every", "--eval-tokens") if tokens is None else ("--eval-tokens",
                                                                                  "--eval-every")
        raise ConfigError(f"{given} needs {missing} too: give how often and how many tokens "
                          "each evaluation reads")
    return EvalSchedule(parse_amount(every, "--eval-every"), parse_amount(tokens, "--eval-tokens"))


def _plot(results: list[TrainResult], plot: str | None) -> None:
    """The breakdown bars of the runs that went, one per count."""
    if plot is not None and results:
        write_plot(breakdown_figure(results, [f"{r.system} x{r.devices:,}" for r in results]), plot)


def _sized(budget: Budget, size: Callable[[], Sizing], as_json: bool, plot: str | None) -> None:
    """The run `size` picks for `budget` as usual, then the counts it tried."""
    with progress(f"sizing to {budget.describe()}"):
        s = size()
    _plot([s.chosen] if s.chosen else [], plot)
    if as_json:
        head = s.chosen.to_json() if s.chosen else {"feasible": False, "reason": s.reason}
        print_json(head | {"sizing": s.to_json()})
        return
    if s.chosen is not None:
        _print_one(s.chosen)
    print_sizing(s)


def _fixed(parsed: Constraints, plan: str, flags: dict[str, Any]) -> Constraints:
    """The plan parts --plan fixes and those the single flags fix; a part both fix differently
    is a conflict naming both."""
    for key, value in flags.items():
        planned = getattr(parsed, key)
        if value is not None and planned is not None and planned != value:
            flag = "--" + key.replace("_", "-")
            raise ConfigError(f"--plan {plan!r} and {flag} {value} conflict: the plan fixes "
                              f"{key} {planned}; drop one")
    return replace(parsed, **{k: v for k, v in flags.items() if v is not None and k != "recompute"})


def _knee_json(results: list[TrainResult | str]) -> dict[str, Any] | None:
    feasible = [r for r in results if isinstance(r, TrainResult)]
    return scaling_knee(feasible).to_json() if feasible else None


def _run_counts(counts: list[int | None],
                run: Callable[[int | None], TrainResult]) -> list[TrainResult | str]:
    """A result per count; on a scaling curve an infeasible count is a line saying why."""
    results: list[TrainResult | str] = []
    with progress("training at each count", len(counts) if len(counts) > 1 else None) as advance:
        for n in counts:
            try:
                results.append(run(n))
            except InfeasiblePlan as exc:
                if len(counts) == 1:
                    raise
                results.append(f"infeasible at {n}: {message_of(exc)}")
            advance()
    return results


RANGE_FIGURES = {"step_time_s": lambda r: r.step_time_s, "tokens_per_s": lambda r: r.tokens_per_s,
                 "wall_time_s": lambda r: r.wall_time_s, "device_hours": lambda r: r.device_hours,
                 "mfu": lambda r: r.mfu, "cost_usd": lambda r: r.cost_usd}


def _range(r: TrainResult, runs: tuple[TrainResult, TrainResult, list[str]], as_json: bool) -> None:
    low, high, params = runs
    if as_json:
        print_json(r.to_json() | {"range": range_json(RANGE_FIGURES, low, high, params)})
        return
    _print_one(r)
    print_range({name: (f(low), f(r), f(high)) for name, f in _summary_figures().items()}, params)


def _summary_figures() -> dict[str, Callable[[TrainResult], str]]:
    return {"step time": lambda x: fmt_time(x.step_time_s), "tokens/s": lambda x: _rate(x.tokens_per_s),
            "wall time": lambda x: fmt_time(x.wall_time_s),
            "device-hours": lambda x: f"{x.device_hours:,.0f}", "MFU": lambda x: f"{x.mfu:.1%}",
            "cost": lambda x: f"{fmt_usd(x.cost_usd)} ({_basis(x)})"}


def _basis(r: TrainResult) -> str:
    return r.economy.basis if r.economy else "-"


def _print_one(r: TrainResult) -> None:
    out = console()
    print_summary(f"{r.model} on {r.system} x{r.devices}", _summary(r))
    parts = Table(title="step time breakdown", title_justify="left")
    parts.add_column("part")
    parts.add_column("time/step")
    parts.add_column("share")
    for key, value in r.breakdown.items():
        parts.add_row(key, fmt_time(value), f"{value / r.step_time_s:.1%}")
    out.print(parts)
    out.print("plan: " + ", ".join(f"{k}={v}" for k, v in r.plan.to_json().items()))
    if r.alternatives:
        _print_alternatives(r)
    out.print("assumptions:")
    for note in r.assumptions:
        out.print(f"  - {note}")


def _print_alternatives(r: TrainResult) -> None:
    rows = [r.summary(), *r.alternatives]
    keys = list(dict.fromkeys(k for row in rows for k in row["breakdown"]))
    table = Table(title=f"top {len(rows)} feasible plans (seconds per step)", title_justify="left")
    for head in ("#", "plan", "step", "MFU", "memory", *keys):
        table.add_column(head)
    for i, alt in enumerate(rows, 1):
        table.add_row(str(i), plan_label(alt["plan"]), f"{alt['step_time_s']:.3g}",
                      f"{alt['mfu']:.1%}", fmt_bytes(alt["memory_bytes_per_device"]),
                      *[f"{alt['breakdown'].get(k, 0.0):.3g}" for k in keys])
    console().print(table)


def plan_label(plan: dict[str, Any]) -> str:
    """'tp8 pp4 dp32 zero1 mb1 full v2' from a plan object; 'sram full mb2 x1024' for weight
    streaming (activations home, recompute, sequences per micro-batch, micro-batches)."""
    if plan.get("kind") == "weight_streaming":
        return (f"{plan['activations']} {plan['recompute']} mb{plan['micro_batch']:.3g} "
                f"x{plan['micro_batches']}")
    parts = [f"{k}{plan[k]}" for k in ("tp", "pp", "dp", "cp", "ep") if plan[k] > 1 or k in
             ("tp", "pp", "dp")]
    parts += [f"zero{plan['zero']}", f"mb{plan['micro_batch']}", plan["recompute"]]
    parts += [f"v{plan['v']}"] if plan["v"] > 1 else []
    return " ".join(parts + (["ovl1"] if plan.get("overlap") else []))


def _summary(r: TrainResult) -> dict[str, str]:
    return {
        "step time": fmt_time(r.step_time_s), "tokens/s": _rate(r.tokens_per_s),
        "steps": f"{r.steps:,.0f}", **_evaluation_summary(r),
        "compute time (failure-free)": fmt_time(r.compute_time_s),
        "wall time (with failures)": fmt_time(r.wall_time_s),
        "device-hours": f"{r.device_hours:,.0f}", "MFU": f"{r.mfu:.1%}",
        "model FLOP/s per device": fmt_flops(r.flops_per_s_per_device),
        "memory per device": fmt_bytes(r.memory_bytes_per_device),
        **_failure_summary(r),
        "facility power": fmt_power(r.economy.facility_power_W if r.economy else None),
        "energy": known(r.energy_J, "{:,.1f} MWh", 1 / 3.6e9),
        f"cost ({_basis(r)})": fmt_usd(r.cost_usd),
    }


def _evaluation_summary(r: TrainResult) -> dict[str, str]:
    return {"evaluation time": fmt_time(r.evaluation_s)} if r.evaluation_s else {}


def _failure_summary(r: TrainResult) -> dict[str, str]:
    lost = r.interruptions
    if lost is None:
        return {}
    return {"interruptions (expected)": f"{lost.expected:,.1f}",
            "mean time between interruptions": fmt_time(lost.mtbf_s),
            "checkpoint": f"{fmt_bytes(lost.checkpoint_bytes)}, written in "
                          f"{fmt_time(lost.checkpoint_write_s)}, every {fmt_time(lost.interval_s)}",
            "goodput": f"{lost.goodput:.1%}"}


def _rate(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def _print_curve(results: list[TrainResult | str]) -> None:
    table = Table(title="scaling", title_justify="left")
    for head in ("devices", "step time", "tokens/s", "speed-up", "scaling eff.", "MFU",
                 "wall time", "goodput", "exposed streaming/comm", "limit"):
        table.add_column(head)
    base = next((r for r in results if isinstance(r, TrainResult)), None)
    for r in results:
        if isinstance(r, str):
            table.add_row(r, *[""] * 9)
            continue
        assert base is not None
        speed = r.tokens_per_s / base.tokens_per_s
        linear = r.devices / base.devices
        exposed = sum(v for k, v in r.breakdown.items() if k.startswith("exposed"))
        table.add_row(str(r.devices), fmt_time(r.step_time_s), _rate(r.tokens_per_s),
                      f"{speed:.2f}x", f"{speed / linear:.0%}", f"{r.mfu:.1%}",
                      fmt_time(r.wall_time_s), f"{r.goodput:.1%}", f"{exposed / r.step_time_s:.0%}",
                      _limit(r))
    console().print(table)
    feasible = [r for r in results if isinstance(r, TrainResult)]
    if len(feasible) > 1:
        console().print(scaling_knee(feasible).describe())


def _limit(r: TrainResult) -> str:
    exposed = sum(v for k, v in r.breakdown.items() if k.startswith("exposed"))
    return "communication/streaming" if exposed > r.breakdown.get("compute", 0.0) else "compute"

