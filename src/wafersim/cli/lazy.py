"""Subcommands registered by name and imported on first use.

`COMMANDS` names each subcommand's module, the attribute that implements it (a function, or a
typer app for a command group) and its one-line help for ``wafersim --help``, which therefore
lists every command without importing any of them (tests check the line against the docstring).
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from importlib import import_module
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

# name -> (module under wafersim.cli, attribute, one-line help: the docstring's first paragraph)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "systems": ("systems", "systems",
                "List every system in the catalog, or one in full with its sources."),
    "models": ("models", "models",
               "List the model catalog, or one model with parameters, FLOPs and memory figures."),
    "train": ("train", "train",
              "Train MODEL on SYSTEM: step time, tokens/s, wall time with failures, MFU, power, "
              "energy, cost."),
    "validate": ("validate", "validate", "Predict every row, print predicted vs measured, signed "
                 "error and source, then summaries."),
    "claims": ("claims", "claims", "Evaluate the seed claims: stated figure, wafersim's figures, "
               "verdict, what flips it."),
    "calibrate": ("calibrate", "calibrate", "Fit matmul, HBM and network efficiencies on the micro "
                  "rows, then framework efficiencies, training frameworks' speeds, serving "
                  "efficiencies and serving stacks on their marked rows; print old and fitted "
                  "values; --write updates the catalog."),
    "infer": ("infer", "infer", "Serve MODEL on SYSTEM: TTFT, TPOT, tokens/s per user and in total, "
              "max batch, J/token, $/M."),
    "compare": ("compare", "compare", "Serve MODEL on each system: speed per user (batch 1), max "
                "throughput, devices, $/M tokens; with --train-tokens, also the time, energy and "
                "cost to train it."),
    "serve": ("serve", "serve", "Simulate a benchmark run of MODEL on SYSTEM: duration, tokens/s, "
              "TTFT, TPOT, latency."),
    "serve-plan": ("serve_plan", "serve_plan", "Find the cheapest fleet (system, plan, replicas) "
                   "meeting a p99 TTFT and TPOT SLO at a rate."),
    "mesh": ("mesh", "app",
             "Cycle-level PE mesh simulator: kernels on real data, checked against NumPy."),
    "sweep": ("sweep", "app",
              "Design-space sweeps: run a spec into a Parquet store, query it, Pareto fronts."),
    "report": ("report", "report", "Write one HTML file: MODEL compared across systems (tables, "
               "interactive charts), the validation table and the claims; no network needed to "
               "read it."),
}


def load(name: str) -> Any:
    """The click command of subcommand `name`, its module imported now."""
    from wafersim.cli.conflicts import CheckedCommand

    module, attribute, _ = COMMANDS[name]
    target = getattr(import_module(f"wafersim.cli.{module}"), attribute)
    if isinstance(target, typer.Typer):
        return typer.main.get_command(target)
    single = typer.Typer(add_completion=False, rich_markup_mode=None)
    single.command(name, cls=CheckedCommand)(target)
    return typer.main.get_command(single)


class LazyCommands(MutableMapping[str, Any]):
    """A group's commands by name: those of `COMMANDS` built on first access, in table order."""

    def __init__(self, loaded: MutableMapping[str, Any]) -> None:
        self.loaded = dict(loaded)

    def __getitem__(self, name: str) -> Any:
        if name not in self.loaded:
            if name not in COMMANDS:
                raise KeyError(name)
            self.loaded[name] = load(name)
        return self.loaded[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self.loaded[name] = command

    def __delitem__(self, name: str) -> None:
        del self.loaded[name]

    def __iter__(self) -> Iterator[str]:
        yield from COMMANDS
        yield from (name for name in self.loaded if name not in COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS) + sum(1 for name in self.loaded if name not in COMMANDS)

    def __contains__(self, name: object) -> bool:
        return name in COMMANDS or name in self.loaded


class LazyGroup(TyperGroup):
    """The root group: subcommands from `COMMANDS`, imported when run; help lists them unloaded."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = LazyCommands(self.commands)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = [(name, short_help(name, limit) if name in COMMANDS
                 else self.commands[name].get_short_help_str(limit)) for name in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        return self.commands.get(cmd_name)


def short_help(name: str, limit: int) -> str:
    """The help line of `name` as click shortens it, from the table (no import)."""
    return TyperCommand(name, help=COMMANDS[name][2]).get_short_help_str(limit)
