"""The catalog's building blocks: a `Quantity` (an SI number with its source, confidence tag and
range), the `Source` it cites and the fields every `Part` has."""

from __future__ import annotations

import math
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from wafersim.precision import Precision
from wafersim.units import DIMENSION_HELP


class Tag(StrEnum):
    """How far a number can be trusted."""

    primary = "primary"  # vendor datasheet/docs/SDK, paper by the builders
    secondary = "secondary"  # trade press, third-party compilation
    derived = "derived"  # arithmetic on tagged inputs
    unverified = "unverified"  # weak or conflicting sources


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(Frozen):
    """A citation a quantity points to by id."""

    citation: str
    url: str | None = None


# Physical ranges per dimension (units.py), checked on every value and range bound:
# fractions lie in (0, 1]; counts are whole numbers >= 1; times and cycle counts are additive
# costs (overheads, latencies) where 0 means none; every other dimension (sizes, bandwidths,
# rates, powers, prices, areas, widths, ratios) must be > 0. Unknowns are null, never 0.
# Values past LARGEST (counts past LARGEST_COUNT; the catalog's largest is 1.2e14 parameters)
# are typos: they overflow derived figures to infinity or make planning search for ever.
ZERO_ALLOWED = frozenset({"s", "cycles"})
LARGEST, LARGEST_COUNT = 1e30, 1e15


def physical_problem(value: float, dimension: str) -> str | None:
    """Why `value` (SI) cannot be a quantity of `dimension`, with the fix; None when it can.
    The text follows the value: ``f"value {value:g} {problem}"``."""
    unknown = "write null with a 'reason' if it is unknown"
    what = DIMENSION_HELP.get(dimension, dimension).split(",")[0]
    if not math.isfinite(value):
        return f"is not a finite number; write a plain number, or {unknown}"
    largest = LARGEST_COUNT if dimension == "count" else LARGEST
    if abs(value) > largest:
        return (f"is larger than wafersim accepts ({largest:g} in SI units); check the unit "
                "suffix of the key and the exponent")
    if dimension == "fraction" and not 0 < value <= 1:
        return (f"is outside (0, 1]; {what} is a fraction of its whole: write e.g. 0.8 (or 80 "
                f"with a _pct key), or {unknown}")
    if dimension == "count" and not (value >= 1 and value == int(value)):
        return f"is not a whole number >= 1; counts are whole: fix it, or {unknown}"
    if dimension in ZERO_ALLOWED:
        return f"is negative; {what} is >= 0 (0: none)" if value < 0 else None
    sign = "negative" if value < 0 else "zero"
    return f"is {sign}; {what} must be > 0: fix it, or {unknown}" if value <= 0 else None


class Quantity(Frozen):
    """One sourced number in SI units, or an explicit unknown."""

    value: float | None
    dimension: str
    tag: Tag
    source: str | None = None
    lo: float | None = None
    hi: float | None = None
    reason: str | None = None  # why the value is unknown (required when value is None)
    note: str | None = None
    projected: bool = False  # announced/roadmap figure, not shipped hardware

    @model_validator(mode="after")
    def _check(self) -> Quantity:
        if self.value is None and not self.reason:
            raise ValueError("an unknown value (null) needs a 'reason'")
        if self.value is not None and self.source is None:
            raise ValueError("a value needs a 'source'")
        for label, bound in (("value", self.value), ("range low", self.lo), ("range high", self.hi)):
            problem = None if bound is None else physical_problem(bound, self.dimension)
            if problem:
                raise ValueError(f"{label} {bound:g} {problem}")
        if (self.lo is None) != (self.hi is None):
            raise ValueError("'range' needs both low and high")
        if self.lo is not None and self.hi is not None:
            if self.lo > self.hi:
                raise ValueError(f"range low {self.lo:g} exceeds high {self.hi:g}")
            if self.value is not None and not self.lo <= self.value <= self.hi:
                raise ValueError(f"value {self.value:g} lies outside its range")
        return self

    @property
    def known(self) -> bool:
        return self.value is not None

    def or_none(self) -> float | None:
        return self.value


Q = Quantity | None
PerPrecision = dict[Precision, Quantity]


class Part(Frozen):
    """Fields every catalog file has."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.\-]*$")
    name: str
    vendor: str
    description: str | None = None
    notes: str | None = None
    sources: dict[str, Source] = Field(default_factory=dict)
    origin: str = ""  # file the part came from (set by the loader)
