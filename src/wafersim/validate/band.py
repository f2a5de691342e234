"""Low and high predictions of a row from the catalog's efficiency ranges.

The uncertain parameters of a row are the efficiency fractions of its system that carry a range
(`variants.ranged`: the chip's matmul per precision, memory, framework, the wafer's GEMV and
serving efficiencies, and the efficiency of every network the system uses). The row is predicted
twice more: with all of them at their low bounds, and with all at their high bounds. The band
is the smallest interval holding those two predictions and the nominal one; it treats the ranges
as moving together, so it is the envelope of what the catalog admits, not a confidence interval.
A row whose system has no ranged efficiency gets a band of zero width.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from wafersim.catalog import Catalog
from wafersim.catalog.variants import corner, ranged
from wafersim.errors import SimError
from wafersim.validate.records import Record

Predictor = Callable[[Record, Catalog], float]


@dataclass(frozen=True)
class Band:
    low: float
    high: float

    def holds(self, value: float) -> bool:
        return self.low <= value <= self.high


class Corners:
    """The low and high catalogs of each system, built once per system id."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self._cache: dict[str, tuple[Catalog, Catalog] | None] = {}

    def of(self, system_id: str) -> tuple[Catalog, Catalog] | None:
        """(all low, all high) catalogs, or None when the system has no ranged efficiency."""
        if system_id not in self._cache:
            has_range = bool(ranged(self.catalog, system_id))
            self._cache[system_id] = ((corner(self.catalog, system_id, "lo"),
                                       corner(self.catalog, system_id, "hi")) if has_range else None)
        return self._cache[system_id]


def band(row: Record, predicted: float, predictor: Predictor, corners: Corners) -> Band:
    """The band of `row` around its nominal prediction; a corner that cannot run is left out."""
    values = [predicted]
    pair = corners.of(row.system)
    for cat in pair or ():
        try:
            values.append(predictor(row, cat))
        except SimError:
            continue
    return Band(min(values), max(values))
