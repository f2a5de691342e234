"""The budget flags `train` and `compare` share (--budget-usd, --power-mw, --deadline) and the
table of the counts a sizing tried."""

from __future__ import annotations

import typer
from rich.table import Table

from wafersim.cli.common import console, known, parse_amount, parse_duration, parse_megawatts
from wafersim.cost.sizing import Budget, Sizing
from wafersim.units import fmt_time, fmt_usd

BUDGET_USD = typer.Option(None, "--budget-usd", help="Size the device count to this much money on "
                          "the --pricing basis, e.g. 20M or 2e7: the fastest run within it "
                          "(replaces the device count).")
POWER_MW = typer.Option(None, "--power-mw", help="Size the device count to this facility power "
                        "from the wall, in megawatts (10, or 10MW, 500kW): the fastest run "
                        "within it (replaces the device count).")
DEADLINE = typer.Option(None, "--deadline", help="Size the device count to this wall time, failures "
                        "included, e.g. 90d or 2000h: the fewest devices that meet it (replaces "
                        "the device count).")


def parse_budget(budget_usd: str | None, power_mw: str | None,
                 deadline: str | None) -> Budget | None:
    """The budget the flags give, None without one; two budgets are an error naming both."""
    if budget_usd is None and power_mw is None and deadline is None:
        return None
    usd = None if budget_usd is None else parse_amount(budget_usd.strip().lstrip("$"),
                                                       "--budget-usd", "budget_usd")
    watts = None if power_mw is None else parse_megawatts(power_mw, "--power-mw")
    seconds = None if deadline is None else parse_duration(deadline, "--deadline",
                                                           "90d, 2000h or 1.5years")
    return Budget(usd, watts, seconds)


def print_sizing(s: Sizing) -> None:
    """The counts tried, fewest first, the chosen one marked; then why, or why none."""
    chosen = s.chosen.devices if s.chosen else None
    table = Table(title=f"{s.system} sized to {s.budget.describe()} "
                  + (f"(limited by {s.binding})" if s.binding else "(no count meets it)"),
                  title_justify="left")
    for head in ("devices", "wall time", "facility MW", "cost", "within budget", ""):
        table.add_column(head)
    for c in s.candidates:
        if c.infeasible is not None:
            table.add_row(f"{c.devices:,}", "cannot run", "", "", "", c.infeasible.split(": ")[0])
            continue
        table.add_row(f"{c.devices:,}", fmt_time(c.wall_time_s),
                      known(c.facility_power_W, "{:,.2f}", 1e-6), fmt_usd(c.cost_usd),
                      {True: "yes", False: "no", None: "-"}[c.within],
                      "chosen" if c.devices == chosen else "")
    out = console()
    out.print(table)
    for note in s.notes:
        out.print(note)
    if s.reason:
        out.print(f"no run meets the budget: {s.reason}")
