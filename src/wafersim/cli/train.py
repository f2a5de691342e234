"""``wafersim train``: time, throughput, energy and cost of training a model on a system."""

from __future__ import annotations

import typer
from rich.table import Table

from wafersim.api import train as run_train
from wafersim.cli.common import catalog, console, parse_amount, parse_counts, print_json
from wafersim.cost.result import TrainResult
from wafersim.errors import InfeasiblePlan
from wafersim.units import fmt_bytes, fmt_flops, fmt_time, fmt_usd


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
    sparsity: float = typer.Option(0.0, "--sparsity", help="Weight sparsity (wafers: speeds "
                                   "compute only)."),
    memory_service: str = typer.Option(None, "--memory-service", help="MemoryX id for wafer "
                                       "systems (default: the system's)."),
    as_json: bool = typer.Option(False, "--json", help="Machine output in SI units."),
) -> None:
    """Train MODEL on SYSTEM: step time, tokens/s, wall time, MFU, memory, energy, cost."""
    total = parse_amount(tokens, "--tokens")
    counts = parse_counts(count) if count else [None]
    results: list[TrainResult | str] = []
    for n in counts:
        try:
            results.append(run_train(model, system, total, count=n, global_batch=global_batch,
                                     seq_len=seq_len, precision=precision, recompute=recompute,
                                     sparsity=sparsity, memory_service=memory_service,
                                     catalog=catalog()))
        except InfeasiblePlan as exc:
            if len(counts) == 1:
                raise
            results.append(f"infeasible at {n}: {exc}")
    if as_json:
        points = [r.to_json() if isinstance(r, TrainResult) else {"feasible": False, "reason": r}
                  for r in results]
        print_json(points[0] if len(points) == 1 else {"points": points})
    elif len(results) == 1 and isinstance(results[0], TrainResult):
        _print_one(results[0])
    else:
        _print_curve(results)


def _print_one(r: TrainResult) -> None:
    out = console()
    out.print(f"{r.model} on {r.system} x{r.devices}", style="bold")
    table = Table(show_header=False)
    for key, value in _summary(r).items():
        table.add_row(key, value)
    out.print(table)
    parts = Table(title="step time breakdown", title_justify="left")
    parts.add_column("part")
    parts.add_column("time/step")
    parts.add_column("share")
    for key, value in r.breakdown.items():
        parts.add_row(key, fmt_time(value), f"{value / r.step_time_s:.1%}")
    out.print(parts)
    out.print("plan: " + ", ".join(f"{k}={v}" for k, v in r.plan.items()))
    out.print("assumptions:")
    for note in r.assumptions:
        out.print(f"  - {note}")


def _summary(r: TrainResult) -> dict[str, str]:
    return {
        "step time": fmt_time(r.step_time_s), "tokens/s": _rate(r.tokens_per_s),
        "steps": f"{r.steps:,.0f}", "wall time": fmt_time(r.wall_time_s),
        "device-hours": f"{r.device_hours:,.0f}", "MFU": f"{r.mfu:.1%}",
        "model FLOP/s per device": fmt_flops(r.flops_per_device),
        "memory per device": fmt_bytes(r.memory_bytes_per_device),
        "energy": f"{r.energy_J / 3.6e9:,.1f} MWh", "cost": fmt_usd(r.cost_usd),
    }


def _rate(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def _print_curve(results: list[TrainResult | str]) -> None:
    table = Table(title="scaling", title_justify="left")
    for head in ("devices", "step time", "tokens/s", "speed-up", "scaling eff.", "MFU",
                 "wall time", "exposed streaming/comm", "limit"):
        table.add_column(head)
    base = next((r for r in results if isinstance(r, TrainResult)), None)
    for r in results:
        if isinstance(r, str):
            table.add_row(r, *[""] * 8)
            continue
        assert base is not None
        speed = r.tokens_per_s / base.tokens_per_s
        linear = r.devices / base.devices
        exposed = sum(v for k, v in r.breakdown.items() if k.startswith("exposed"))
        table.add_row(str(r.devices), fmt_time(r.step_time_s), _rate(r.tokens_per_s),
                      f"{speed:.2f}x", f"{speed / linear:.0%}", f"{r.mfu:.1%}",
                      fmt_time(r.wall_time_s), f"{exposed / r.step_time_s:.0%}", _limit(r))
    console().print(table)


def _limit(r: TrainResult) -> str:
    exposed = sum(v for k, v in r.breakdown.items() if k.startswith("exposed"))
    return "communication/streaming" if exposed > r.breakdown.get("compute", 0.0) else "compute"

