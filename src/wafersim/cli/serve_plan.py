"""``wafersim serve plan``: the cheapest fleet that meets a TTFT and TPOT SLO at a request rate.

Registered as the command ``serve-plan``; ``wafersim serve plan ...`` is read as it (`cli/__init__.py`).
"""

from __future__ import annotations

import typer
from rich.table import Table

from wafersim.api import plan_fleet
from wafersim.cli import options as opt
from wafersim.cli.common import catalog, console, parse_slo, print_json
from wafersim.cli.progress import progress
from wafersim.errors import ConfigError
from wafersim.serve.plan import CapacityPlan, FleetOption
from wafersim.units import fmt_time, fmt_usd


def serve_plan(
    model: str = typer.Option(..., "--model", help="Model id or config.json path."),
    system: str = typer.Option(..., "--system", help="System ids to consider, comma-separated."),
    rate: float = typer.Option(..., "--rate", help="Requests per second the fleet must serve "
                               "(Poisson)."),
    slo: str = typer.Option(..., "--slo", help="p99 bounds, e.g. ttft=500ms,tpot=50ms."),
    input_tokens: int = typer.Option(1024, "--input-tokens", min=1,
                                     help="Prompt tokens per request."),
    output_tokens: int = typer.Option(1024, "--output-tokens", min=1,
                                      help="Output tokens per request."),
    precision: str = opt.PRECISION,
    kv_precision: str = opt.KV_PRECISION,
    seed: int = typer.Option(0, "--seed", help="Seed of the confirming runs' arrival times."),
    stack: str = opt.STACK,
    pricing: str = opt.PRICING,
    as_json: bool = opt.JSON,
) -> None:
    """Find the cheapest fleet (system, plan, replicas) meeting a p99 TTFT and TPOT SLO at a rate."""
    ids = [s.strip() for s in system.split(",")]
    if not all(ids):
        raise ConfigError(f"--system {system!r}: item {ids.index('') + 1} is empty; separate "
                          "system ids with single commas")
    opt.check_contexts(model, input_tokens, output_tokens)
    ttft, tpot = parse_slo(slo)
    if ttft is None or tpot is None:
        raise ConfigError(f"--slo {slo!r} needs both bounds to plan against, e.g. "
                          "ttft=500ms,tpot=50ms")
    with progress(f"planning a fleet over {len(ids)} system(s)"):
        plan = plan_fleet(model, ids, rate, ttft, tpot, input_tokens, output_tokens, precision,
                          kv_precision, seed, pricing, stack, catalog())
    if as_json:
        print_json(plan.to_json())
        return
    _print(plan)


SHOWN = 8  # fleets printed: the best and the cheapest runners-up


def _print(plan: CapacityPlan) -> None:
    rows = ([plan.best] if plan.best else []) + list(plan.runners_up)[:SHOWN - 1]
    if not rows:
        console().print(f"no fleet serves {plan.rate_per_s:g} requests/s within p99 TTFT "
                        f"{fmt_time(plan.slo.ttft_s)} and TPOT {fmt_time(plan.slo.tpot_s)}:")
        _refused(plan)
        return
    basis = rows[0].cost_basis
    table = Table(title=f"fleets serving {plan.rate_per_s:g} requests/s within p99 TTFT "
                  f"{fmt_time(plan.slo.ttft_s)} and TPOT {fmt_time(plan.slo.tpot_s)}, cheapest "
                  "first", title_justify="left")
    for head in ("", "system", "replicas", "devices", "plan", "p99 TTFT", "p99 TPOT", "SLO met by",
                 f"$/hour ({basis})", f"$/M tokens ({basis})"):
        table.add_column(head)
    for i, o in enumerate(rows):
        table.add_row("best" if i == 0 else "", *_cells(o))
    console().print(table)
    _refused(plan)
    more = len(plan.runners_up) - (SHOWN - 1)
    console().print(f"{len(plan.tried)} fleets simulated over replica sizes; replicas start at "
                    "layer 1's bound and grow until the p99 figures meet the SLO"
                    + (f"; {more} more fleets meeting it in --json" if more > 0 else ""))


def _refused(plan: CapacityPlan) -> None:
    for system, reason in plan.refused.items():
        console().print(f"{system} cannot meet the SLO: {reason}")


def _cells(o: FleetOption) -> list[str]:
    plan = ", ".join(f"{k}={o.plan[k]}" for k in ("tp", "pp", "ep", "replicas", "wafers")
                     if k in o.plan)
    return [o.system, f"{o.replicas:,}", f"{o.devices:,}", plan, fmt_time(o.ttft_p99_s),
            fmt_time(o.tpot_p99_s), f"{o.slo_attainment:.1%}", fmt_usd(o.usd_per_hour),
            fmt_usd(o.usd_per_million_tokens)]
