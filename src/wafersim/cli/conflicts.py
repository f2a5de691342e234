"""Options checked as a command line is parsed: no empty values, every number in its bound
(cli/bounds.py), and no two options that disagree (docs/limits.md).

`CheckedCommand` runs the checks after click has converted the values and before the command
runs, so a command's body sees only values inside their documented ranges.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from typer.core import TyperCommand

from wafersim.cli.bounds import check
from wafersim.errors import ConfigError

_BUDGETS = ("budget_usd", "power_mw", "deadline")
_ONE_BUDGET = tuple((a, b, "give one budget at a time") for i, a in enumerate(_BUDGETS)
                    for b in _BUDGETS[i + 1:])


def _sized(option: str) -> tuple[tuple[str, str, str], ...]:
    """`option` against each budget, which sizes the device count itself."""
    return tuple((option, b, "a budget sizes the device count itself") for b in _BUDGETS)


# command -> (option, option, why they cannot both be given)
EXCLUSIVE: dict[str, tuple[tuple[str, str, str], ...]] = {
    "train": (*_ONE_BUDGET, *_sized("count"), *_sized("with_range")),
    "compare": (*_ONE_BUDGET, *_sized("train_devices")),
    "infer": (("max_throughput", "batch", "--max-throughput searches the batch itself"),),
    "validate": (("as_json", "markdown", "they are two output formats"),
                 ("markdown", "with_range", "the Markdown tables have no range columns")),
    "systems": (("system_id", "kind", "--kind filters the list; one ID is shown whatever its "
                 "kind"),),
    "serve": (*(("workload", k, "the trace gives each request's arrival time and lengths")
                for k in ("rate", "concurrency", "input_tokens", "output_tokens", "range_ratio",
                          "arrivals", "burstiness", "rates", "period", "dataset")),
              ("rate", "rates", "piecewise arrivals take one rate per period"),
              ("dataset", "range_ratio", "a dataset draws its own lengths")),
}
_DRAFTING = (("acceptance", "draft", "it is the acceptance rate of the draft's tokens"),
             ("lookahead", "draft", "it is the number of tokens the draft proposes"))
# command -> (option, the option it needs, why)
NEEDS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "infer": _DRAFTING,
    "serve": (*_DRAFTING, ("period", "rates", "it is how long each of the rates holds")),
    "compare": (("train_devices", "train_tokens", "it sizes the training columns, which "
                 "--train-tokens asks for"),
                *((b, "train_tokens", "a budget sizes each system for the training columns, "
                   "which --train-tokens asks for") for b in _BUDGETS)),
    "models": (("seq_len", "model", "it sets the sequence length of one model's figures"),),
}


def _flag(param: Any) -> str:
    opts = [o for o in param.opts if o.startswith("--")]
    return opts[0] if opts else (param.metavar or param.name.upper())


def _given(ctx: Any, param: Any) -> bool:
    value = ctx.params.get(param.name)
    if isinstance(value, bool):
        return value
    source = ctx.get_parameter_source(param.name)
    return source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT")


def check_values(ctx: Any, params: Iterable[Any]) -> None:
    """Empty strings and numbers outside their bounds, in the order the command declares them."""
    for param in params:
        value = ctx.params.get(param.name)
        if isinstance(value, str) and not value.strip() and _given(ctx, param):
            raise ConfigError(f"{_flag(param)} is empty; give a value or leave it out")
        if isinstance(value, int | float) and not isinstance(value, bool):
            check(_flag(param), param.name, value)


def check_pairs(command: str, ctx: Any, params: Iterable[Any]) -> None:
    """Two options the command cannot take together, or one given without the one it needs."""
    by_name = {p.name: p for p in params}
    given = {name for name, p in by_name.items() if _given(ctx, p)}
    for a, b, why in EXCLUSIVE.get(command, ()):
        if a in given and b in given:
            raise ConfigError(f"{_flag(by_name[a])} and {_flag(by_name[b])} conflict: {why}; "
                              "drop one")
    for a, b, why in NEEDS.get(command, ()):
        if a in given and b not in given:
            raise ConfigError(f"{_flag(by_name[a])} needs {_flag(by_name[b])} ({why}); give "
                              f"{_flag(by_name[b])} or drop {_flag(by_name[a])}")


class CheckedCommand(TyperCommand):
    """A subcommand whose option values are checked once, right after parsing."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        rest = super().parse_args(ctx, args)
        check_values(ctx, self.params)
        check_pairs(self.name or "", ctx, self.params)
        return rest
