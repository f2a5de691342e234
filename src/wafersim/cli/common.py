"""State and output helpers shared by the subcommands."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from rich.console import Console
from rich.table import Table

from wafersim.catalog import Catalog, load_catalog
from wafersim.catalog.variants import corner, ranged
from wafersim.cli.bounds import check
from wafersim.errors import ConfigError
from wafersim.models.spec import RECOMPUTE
from wafersim.plan import Constraints
from wafersim.units import DAY_S, UNITS

T = TypeVar("T")
SUFFIXES = {"k": 1e3, "K": 1e3, "M": 1e6, "B": 1e9, "G": 1e9, "T": 1e12, "P": 1e15}


@dataclass
class State:
    catalog_dirs: tuple[str, ...] = ()


state = State()


def catalog() -> Catalog:
    """The catalog with the user's --catalog directories."""
    return load_catalog(state.catalog_dirs)


def console() -> Console:
    """Rich console on stdout; wide and plain when not a terminal, so tables stay readable."""
    tty = sys.stdout.isatty()
    return Console(width=None if tty else 220, no_color=not tty, highlight=False, soft_wrap=False)


def print_json(data: Any) -> None:
    """Machine output: SI units, stable key order; a figure that is not a finite number (a mean
    over no requests) is null, never NaN."""
    sys.stdout.write(json.dumps(_finite(data), indent=2, sort_keys=False, allow_nan=False) + "\n")


def _finite(data: Any) -> Any:
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_finite(v) for v in data]
    return data


def parse_amount(text: str, flag: str, name: str = "tokens") -> float:
    """'2e12', '2T', '300B', '1.5M' -> a positive number inside the bound of `name`."""
    raw = text.strip().replace("_", "").replace(",", "")
    factor = SUFFIXES.get(raw[-1:], 1.0) if raw else 1.0
    try:
        value = float(raw[:-1] if factor != 1.0 else raw) * factor
    except ValueError:
        raise ConfigError(f"{flag} {text!r} is not a number; write e.g. 2e12 or 2T") from None
    if not value > 0:
        raise ConfigError(f"{flag} {text!r} must be positive")
    check(flag, name, value)
    return value


def parse_ints(text: str, flag: str, example: str = "1,2,4", name: str = "count") -> list[int]:
    """'8' or '1,2,4,8' -> positive integers inside the bound of `name`, or a one-line error
    naming `flag`."""
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ConfigError(f"{flag} {text!r} must be an integer or a list like {example}") from None
    if not values or min(values) < 1:
        raise ConfigError(f"{flag} {text!r} must hold positive integers")
    for value in values:
        check(flag, name, value)
    return values


def check_split(text: str | None) -> None:
    """The device counts of --disaggregate PREFILL:DECODE inside the device bound."""
    for part in (text or "").split(":"):
        if part.strip().isdigit() and int(part) > 0:  # a zero pool: the library says why
            check("--disaggregate", "count", int(part))


def parse_counts(text: str) -> list[int]:
    """'8' or '1,2,4,8' -> device counts."""
    return parse_ints(text, "--count")


def known(value: float | None, template: str, scale: float = 1.0) -> str:
    """`template` filled with `value` x `scale`, or '-' where the figure is unknown (None)."""
    return "-" if value is None else template.format(value * scale)


def print_summary(title: str, rows: dict[str, str]) -> None:
    """A bold title line and a two-column table of named figures."""
    out = console()
    out.print(title, style="bold")
    table = Table(show_header=False)
    for key, value in rows.items():
        table.add_row(key, value)
    out.print(table)


def _pairs(items: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in items.items())


def print_plan(plan: dict[str, Any], assumptions: tuple[str, ...]) -> None:
    """A serving plan (its pools indented under it), then the assumptions, one per line."""
    out = console()
    out.print("plan: " + _pairs({k: v for k, v in plan.items() if not isinstance(v, dict)}))
    for pool, sub in plan.items():
        if isinstance(sub, dict):
            out.print(f"  {pool}: " + _pairs(sub))
    out.print("assumptions:")
    for note in assumptions:
        out.print(f"  - {note}")


PLAN_KEYS = {"tp": "tp", "pp": "pp", "dp": "dp", "cp": "cp", "ep": "ep", "zero": "zero",
             "mb": "micro_batch", "v": "v", "ovl": "overlap"}


def parse_plan(text: str) -> Constraints:
    """'auto' or 'tp8,pp4,zero1,mb2,v2,full' -> the fixed parts of a training plan."""
    if text.strip() == "auto":
        return Constraints()
    values: dict[str, Any] = {}
    for token in text.replace(",", " ").split():
        if token in RECOMPUTE:
            values["recompute"] = token
            continue
        key = token.rstrip("0123456789")
        digits = token[len(key):]
        if key not in PLAN_KEYS or not digits:
            raise ConfigError(f"--plan part {token!r} is not understood; write e.g. "
                              "'tp8,pp4,dp32,zero1,mb2,v2', 'ep8,ovl1' or 'auto'")
        values[PLAN_KEYS[key]] = int(digits)
        check(f"--plan part {key}", PLAN_KEYS[key], int(digits))
    return Constraints(**values)


def parse_duration(text: str, flag: str, example: str = "0.05, 50ms or 200us") -> float:
    """'0.05', '50ms', '200 us', '2000h', '90d' -> seconds (positive, finite)."""
    raw = text.strip().replace(" ", "")
    number = raw.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = raw[len(number):] or "s"
    factor = _time_factor(unit)
    try:
        value = float(number) * factor if factor is not None else None
    except ValueError:
        value = None
    if value is None or not 0 < value < math.inf:
        raise ConfigError(f"{flag} {text!r} must be a positive time such as {example}")
    return value


def _time_factor(unit: str) -> float | None:
    """Seconds per `unit`: a time suffix of UNITS, or d (days) and min (minutes)."""
    if unit in SHORT_TIME_UNITS:
        return SHORT_TIME_UNITS[unit]
    return UNITS[unit].factor if unit in UNITS and UNITS[unit].dimension == "s" else None


SHORT_TIME_UNITS = {"d": DAY_S, "min": 60.0}


def parse_megawatts(text: str, flag: str) -> float:
    """'10' (megawatts), '10MW', '500kW', '1GW' -> watts (positive, finite)."""
    raw = text.strip().replace(" ", "").replace("_", "").replace(",", "")
    number = raw.rstrip("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    unit = raw[len(number):] or "MW"
    factor = 1e9 if unit == "GW" else (
        UNITS[unit].factor if unit in UNITS and UNITS[unit].dimension == "W" else None)
    try:
        value = float(number) * factor if factor is not None else None
    except ValueError:
        value = None
    if value is None or not 0 < value < math.inf:
        raise ConfigError(f"{flag} {text!r} must be a positive power such as 10 (megawatts), "
                          "10MW or 500kW")
    return value


def range_runs(cat: Catalog, system: str, run: Callable[[Catalog], T]) -> tuple[T, T, list[str]]:
    """`run` with every ranged efficiency of `system` at its low bound, then at its high bound,
    and those parameters as 'part.field [lo, hi]'."""
    params = [f"{part}.{'.'.join(keys)} [{q.lo:g}, {q.hi:g}]"
              for part, fields in ranged(cat, system).items() for keys, q in fields.items()]
    return run(corner(cat, system, "lo")), run(corner(cat, system, "hi")), params


def range_json(figures: dict[str, Callable[[Any], float]], low: Any, high: Any,
               params: list[str]) -> dict[str, Any]:
    """The headline figures at the low and high efficiency corners, for --json."""
    return {"efficiency_low": {k: f(low) for k, f in figures.items()},
            "efficiency_high": {k: f(high) for k, f in figures.items()}, "parameters": params}


def print_range(rows: dict[str, tuple[str, str, str]], params: list[str]) -> None:
    """Headline figures with every ranged efficiency low, as catalogued, and high."""
    out = console()
    table = Table(title="with the efficiency ranges", title_justify="left")
    for head in ("figure", "efficiencies low", "nominal", "efficiencies high"):
        table.add_column(head)
    for name, cells in rows.items():
        table.add_row(name, *cells)
    out.print(table)
    out.print("ranged: " + (", ".join(params) if params else "none (no efficiency of this system "
                                                              "carries a range)"))


SLO_EXAMPLE = "ttft=500ms,tpot=50ms"


def parse_slo(text: str | None) -> tuple[float | None, float | None]:
    """'ttft=500ms,tpot=50ms' -> (0.5, 0.05); either part may be left out."""
    if text is None:
        return None, None
    parts: dict[str, float] = {}
    for item in text.split(","):
        key, eq, value = item.strip().partition("=")
        if not eq or key not in ("ttft", "tpot") or key in parts:
            raise ConfigError(f"--slo {text!r} must be ttft=TIME and/or tpot=TIME, each once, "
                              f"e.g. {SLO_EXAMPLE}")
        parts[key] = parse_duration(value, f"--slo {key}", "500ms or 0.05")
    return parts.get("ttft"), parts.get("tpot")
