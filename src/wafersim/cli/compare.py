"""``wafersim compare``: one model on several systems, side by side."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from wafersim.api import COMPARE_SYSTEMS, CompareRow
from wafersim.api import compare as run_compare
from wafersim.cli.budget import BUDGET_USD, DEADLINE, POWER_MW, parse_budget
from wafersim.cli.common import catalog, console, known, parse_amount, print_json
from wafersim.cli.flags import message_of
from wafersim.cli.options import PRICING
from wafersim.cli.plotting import check_plot, plot_option, write_plot
from wafersim.cli.progress import progress
from wafersim.cost.sizing import Budget
from wafersim.errors import ConfigError
from wafersim.figures.figure import Chart
from wafersim.figures.scaling import COUNTS, scaling_figure
from wafersim.figures.serving import serving_figure
from wafersim.units import fmt_time, fmt_usd


def compare(
    model: str = typer.Argument(..., help="Model id or config.json path."),
    systems: str = typer.Option(",".join(COMPARE_SYSTEMS), "--systems",
                                help="Comma-separated system ids."),
    train_tokens: str = typer.Option(None, "--train-tokens", help="Also train MODEL on this many "
                                     "tokens (e.g. 2T): time, MFU, energy, cost."),
    train_devices: int = typer.Option(1024, "--train-devices", min=1, help="Accelerators (or "
                                      "wafer systems) per system for the training columns."),
    pricing: str = PRICING,
    budget_usd: str = BUDGET_USD,
    power_mw: str = POWER_MW,
    deadline: str = DEADLINE,
    as_json: bool = typer.Option(False, "--json", help="Machine output in SI units."),
    plot: str = plot_option("the training scaling curves (with --train-tokens) or the serving "
                            "curves, throughput against speed per user"),
) -> None:
    """Serve MODEL on each system: speed per user (batch 1), max throughput, devices, $/M tokens;
    with --train-tokens, also the time, energy and cost to train it.

    The training table runs --train-devices per system, or the count each system is sized to
    by a budget (--budget-usd, --power-mw or --deadline)."""
    check_plot(plot)
    budget = parse_budget(budget_usd, power_mw, deadline)
    ids = [s.strip() for s in systems.split(",")]
    if not all(ids):
        raise ConfigError(f"--systems {systems!r}: item {ids.index('') + 1} is empty; separate "
                          "system ids with single commas")
    twice = next((s for s in ids if ids.count(s) > 1), None)
    if twice is not None:
        raise ConfigError(f"--systems names {twice} twice; list each system once")
    groups = ["serving"]
    options: dict[str, dict[str, Any]] = {"serving": {"pricing": pricing}}
    if train_tokens:
        groups.append("training")
        options["training"] = {"tokens": parse_amount(train_tokens, "--train-tokens", "train_tokens"),
                               "devices": train_devices,
                               "pricing": pricing, "budget": budget}
    rows = []
    with progress(f"comparing {model} on {len(ids)} systems", len(ids)) as advance:
        for system in ids:
            rows += run_compare(model, [system], groups=groups, catalog=catalog(), options=options)
            advance()
    if plot is not None:
        write_plot(_figure(model, ids, options, pricing), plot)
    if as_json:
        print_json({"model": model, "cost_basis": pricing,
                    **({"budget": budget.to_json()} if budget else {}),
                    "rows": [{"system": r.system, **_spelled(r)} for r in rows]})
        return
    table = Table(title=f"{model}: serving (1,024 prompt + 1,024 output tokens, bf16)",
                  title_justify="left")
    for head in ("system", "devices", "tok/s per user (batch 1)", "TTFT (batch 1)",
                 "max tok/s total", "at batch", "tok/s per user there", f"$/M tokens ({pricing})",
                 "J/token"):
        table.add_column(head)
    for r in rows:
        c = r.columns
        if r.error:
            table.add_row(r.system, "cannot serve (below)", *[""] * 7)
            continue
        table.add_row(r.system, str(c["devices"]), f"{c['user_tokens_per_s']:,.0f}",
                      fmt_time(c["ttft_s"]), f"{c['max_throughput_tokens_per_s']:,.0f}",
                      f"{c['max_throughput_batch']:,}", f"{c['user_tokens_per_s_at_max']:,.0f}",
                      fmt_usd(c["usd_per_million_tokens"]),
                      known(c["energy_per_token_J"], "{:.3g}"))
    console().print(table)
    for r in rows:
        if r.error:
            console().print(f"{r.system}: {message_of(r.failures['error'])}")
    console().print("devices: the system as catalogued, grown to whole nodes (the fewest wafers for "
                    f"CS systems) when the model does not fit; $ and J at max throughput; {BASIS[pricing]}")
    _unknowns(rows, "unknown")
    if train_tokens:
        _training_table(model, rows, train_tokens, pricing, train_devices, budget)


def _figure(model: str, ids: list[str], options: dict[str, dict[str, Any]], pricing: str) -> Chart:
    """Training: tokens/s against devices (powers of two and --train-devices); else serving:
    total tokens/s against tokens/s per user over the batches, 1,024 + 1,024 tokens."""
    with progress("drawing the chart"):
        if "training" in options:
            counts = sorted({*COUNTS, options["training"]["devices"]})
            return scaling_figure(model, ids, tokens=options["training"]["tokens"], counts=counts,
                                  pricing=pricing, catalog=catalog())
        return serving_figure(model, ids, input_tokens=1024, output_tokens=1024, catalog=catalog())


BASIS = {"tco": "$ on basis tco: purchase over the site's depreciation life, facility rent and "
                "electricity (--pricing rental for hourly prices); - where unknown (below)",
         "rental": "$ on basis rental: hourly cloud prices; - where a system has none (below; "
                   "--pricing tco for owned hardware)"}


def _unknowns(rows: list[CompareRow], key: str) -> None:
    for r in rows:
        for note in r.columns.get(key) or ():
            console().print(f"{r.system}: {note}")


def _training_table(model: str, rows: list[CompareRow], tokens: str, pricing: str,
                    devices: int, budget: Budget | None) -> None:
    sized = f"each system sized to {budget.describe()}" if budget else (
        f"{devices:,} devices per system")
    table = Table(title=f"{model}: training on {tokens} tokens, {sized} (fastest feasible plan)",
                  title_justify="left")
    heads = ["system", "devices", "wall time", "MFU", "goodput", "interruptions", "facility MW",
             "energy", f"cost ({pricing})"] + (["limited by"] if budget else [])
    for head in heads:
        table.add_column(head)
    for r in rows:
        c = r.columns
        if "train_error" in c or "train_devices" not in c:
            reason = _spelled(r).get("train_error") or (
                message_of(r.failures["error"]) if r.error else "-")
            table.add_row(r.system, reason, *[""] * (len(heads) - 2))
            continue
        table.add_row(r.system, f"{c['train_devices']:,}", fmt_time(c["train_wall_time_s"]),
                      f"{c['train_mfu']:.1%}", f"{c['train_goodput']:.1%}",
                      known(c["train_interruptions"], "{:,.0f}"),
                      known(c["train_facility_power_W"], "{:,.2f}", 1e-6),
                      known(c["train_energy_J"], "{:,.1f} MWh", 1 / 3.6e9),
                      fmt_usd(c["train_cost_usd"]), *([c["train_binding"]] if budget else []))
    console().print(table)
    console().print("wall time, energy and cost include interruptions, checkpoints and restarts; "
                    + BASIS[pricing])
    if budget:
        console().print(SIZED[budget.kind])
    _unknowns(rows, "train_unknown")


SIZED = {"deadline_s": "devices: the fewest whole nodes whose wall time meets the deadline, "
                       "among the counts tried (one node, doubling, then bisected; wafersim train "
                       "--deadline lists them)",
         "usd": "devices: the fastest run whose outlay is within the budget (basis tco: buying the "
                "cluster plus its facility and electricity over the run; rental: the bill), among the counts "
                "tried; limited by: what stopped it growing (the budget, the largest cluster, or "
                "scaling: more devices ran slower)",
         "facility_power_W": "devices: the fastest run whose facility power is within the "
                             "budget, among the counts tried; limited by: what stopped it growing "
                             "(the budget, the largest cluster, or scaling: more devices ran "
                             "slower)"}


def _spelled(row: CompareRow) -> dict[str, Any]:
    """A row's columns and its error, the errors' parameters spelled as flags."""
    return (row.columns | {"error": row.error}
            | {k: message_of(v) for k, v in row.failures.items()})
