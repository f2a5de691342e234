"""Small helpers every claim module shares: a catalog value or a clear error, and the verdict of
figures against the ratios a claim states."""

from __future__ import annotations

from wafersim.catalog import Quantity
from wafersim.claims.claim import Verdict
from wafersim.errors import ConfigError


def value_of(q: Quantity | None, what: str = "a catalog figure") -> float:
    """The quantity's value; an unknown one raises naming `what`."""
    if q is None or q.value is None:
        raise ConfigError(f"{what} is unknown in the catalog")
    return q.value


def ratio_verdict(pairs: dict[str, tuple[float, float]], tolerance: float) -> tuple[Verdict, str]:
    """`holds` when every computed figure is within `tolerance` of (or above) the stated one;
    else `does-not-hold`, naming the first that falls short. pairs: name -> (computed, stated)."""
    for name, (got, stated) in pairs.items():
        if got < stated * (1 - tolerance):
            return Verdict.does_not_hold, (f"{name}: {got:.3g} against the stated {stated:g} "
                                           f"(more than {tolerance:.0%} short)")
    text = ", ".join(f"{name} {got:.3g} (stated {stated:g})" for name, (got, stated) in pairs.items())
    return Verdict.holds, f"the catalog gives {text}"
