"""What a calibration produces: fitted catalog quantities with their rows, and rows it left out.

Rules shared by every fit: each row gives one value of the parameter (the value that reproduces
it); the parameter's range is the spread of those values when there are two rows or more; a fit
from a single row has no spread of its own, so the catalogued range is kept when it holds the new
value and none is written otherwise. Values are rounded as the catalog writes them.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from wafersim.catalog import Catalog, Quantity, Tag
from wafersim.catalog.edit import Edit
from wafersim.catalog.variants import FieldPath, with_quantities
from wafersim.errors import SimError, one_line
from wafersim.validate.records import HIGHER_IS_FASTER, Record

COMMAND = "wafersim calibrate --write"  # provenance: the command that writes the fits
MICRO_SOURCE = "cal-micro"
FRAMEWORK_SOURCE = "cal-train-framework"


@dataclass(frozen=True)
class Fitted:
    """One catalog quantity fitted on rows: the value to write, or why the old one stays."""

    part: str  # chip or network id; its YAML file gets the value
    keys: FieldPath  # field path in the part (and key path in its file)
    old: Quantity | None
    value: float
    lo: float | None
    hi: float | None
    per_row: dict[str, float]  # row id -> the value that reproduces the row
    source: str
    note: str
    kept: str = ""  # non-empty: the catalogued value stays, for this reason
    dimension: str = "fraction"  # of the fitted quantity (units.py)

    @property
    def parameter(self) -> str:
        return ".".join(self.keys)

    def quantity(self) -> Quantity:
        return Quantity(value=self.value, dimension=self.dimension, tag=Tag.derived, source=self.source,
                        lo=self.lo, hi=self.hi, note=self.note)

    def edit(self) -> Edit:
        return Edit(self.keys, self.value, "derived", self.source, self.note, self.lo, self.hi)

    def to_json(self) -> dict[str, Any]:
        return {"part": self.part, "parameter": self.parameter,
                "old": None if self.old is None else self.old.value, "fitted": self.value,
                "range": None if self.lo is None else [self.lo, self.hi],
                "rows": list(self.per_row), "per_row": self.per_row, "source": self.source,
                "note": self.note, "kept": self.kept or None}


@dataclass(frozen=True)
class Skipped:
    """A row a fit could not use, with the reason."""

    id: str
    parameter: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "parameter": self.parameter, "reason": self.reason}


@dataclass(frozen=True)
class HeldOut:
    """A row predicted with the fit of all the other rows of its parameter."""

    id: str
    part: str
    parameter: str
    system: str
    model: str
    metric: str
    measured: float
    own_value: float  # the efficiency that reproduces the row
    others_value: float  # the median over the other rows
    predicted: float

    @property
    def error(self) -> float:
        return self.predicted / self.measured - 1.0

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "part": self.part, "parameter": self.parameter,
                "system": self.system, "model": self.model, "metric": self.metric,
                "measured": self.measured, "own_value": self.own_value,
                "others_value": self.others_value, "predicted": self.predicted,
                "error": self.error}


@dataclass(frozen=True)
class CatalogCalibration:
    """Every fit of one run, the rows left out, the leave-one-out checks of the joint fits, and
    efficiencies fitted by other commands."""

    fits: list[Fitted]
    skipped: list[Skipped] = field(default_factory=list)
    elsewhere: list[dict[str, Any]] = field(default_factory=list)
    held_out: list[HeldOut] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"fits": [f.to_json() for f in self.fits],
                "skipped": [s.to_json() for s in self.skipped], "elsewhere": self.elsewhere,
                "held_out": [h.to_json() for h in self.held_out]}


def spread(values: list[float], value: float, old: Quantity | None,
           digits: int) -> tuple[float | None, float | None, str]:
    """The range to write for a fitted `value`, and how it was chosen (for the note)."""
    if len(values) >= 2:
        return round(min(values), digits), round(max(values), digits), "range: spread over the rows"
    if old is not None and old.lo is not None and old.hi is not None and old.lo <= value <= old.hi:
        return old.lo, old.hi, "range: kept from the catalog entry it replaced"
    return None, None, "no range (one row)"


def bisect(predict: Callable[[float], float], measured: float, lo: float, hi: float,
           increasing: bool = True, steps: int = 40) -> float:
    """The x in [lo, hi] where predict(x) meets `measured` (the bound when it is never met)."""
    for _ in range(steps):
        mid = (lo + hi) / 2
        above = predict(mid) > measured
        lo, hi = (lo, mid) if above == increasing else (mid, hi)
    return (lo + hi) / 2


def rows_text(per_row: dict[str, float], digits: int, bounds: tuple[float, float] | None = None) -> str:
    """'T015 0.88, T009 >=1.00 (bound)'."""
    def one(row: str, v: float) -> str:
        if bounds and abs(v - bounds[1]) < 1e-3:
            return f"{row} >={bounds[1]:.{digits}f} (bound)"
        if bounds and abs(v - bounds[0]) < 1e-3:
            return f"{row} <={bounds[0]:.{digits}f} (bound)"
        return f"{row} {v:.{digits}f}"
    return ", ".join(one(r, v) for r, v in per_row.items())


def fit_subsets(subsets: dict[str, list[Record]], parameter: str, solve: Callable[[Record], float],
                build: Callable[[str, dict[str, float]], Fitted]) -> tuple[list[Fitted], list[Skipped]]:
    """One fit per chip from its calibration rows (at least two usable), and the rows left out."""
    fits, skipped = [], []
    for chip, rows in subsets.items():
        per_row = {}
        for row in rows:
            try:
                per_row[row.id] = solve(row)
            except SimError as exc:
                skipped.append(Skipped(row.id, parameter, one_line(str(exc))))
        if len(per_row) >= 2:
            fits.append(build(chip, per_row))
        else:
            ids = ", ".join(r.id for r in rows)
            skipped.append(Skipped(", ".join(per_row) or "-", parameter,
                                   f"{chip}: {len(per_row)} of its calibration rows ({ids}) "
                                   "usable in the data; a fit needs two"))
    return fits, skipped


def proportional(row: Record, at_one: float) -> float:
    """The efficiency that reproduces `row` when every part of its time scales with 1 / efficiency,
    from the prediction at efficiency 1 (at most 1)."""
    return min(1.0, row.value / at_one if row.metric in HIGHER_IS_FASTER else at_one / row.value)


def with_fraction(catalog: Catalog, part: str, keys: FieldPath, value: float) -> Catalog:
    """A copy of `catalog` whose part `part` has the fraction at `keys` set to `value`."""
    q = Quantity(value=value, dimension="fraction", tag=Tag.derived, source="derived")
    return with_quantities(catalog, {part: {keys: q}})


def median_fit(part: str, keys: FieldPath, per_row: dict[str, float], catalog: Catalog,
               source: str, what: str, bounds: tuple[float, float], digits: int = 2) -> Fitted:
    """The median of the per-row values, its spread and a note naming the rows."""
    value = round(statistics.median(per_row.values()), digits)
    old = field_at(catalog.get(part), keys)
    lo, hi, how = spread(list(per_row.values()), value, old, digits)
    note = (f"{what}; median of {rows_text(per_row, digits, bounds)}; {how}. Command: {COMMAND}")
    return Fitted(part, keys, old, value, lo, hi, per_row, source, note)


def field_at(obj: Any, keys: FieldPath) -> Quantity | None:
    """The quantity at `keys` (attributes, then per-precision dict keys), or None."""
    for key in keys:
        obj = obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)
    return obj
