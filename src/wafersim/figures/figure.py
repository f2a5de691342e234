"""A chart as data: named series of points with axis labels and scales, nothing drawn.

Builders (scaling, serving, roofline, breakdown, validation, pareto) return a `Chart`; the static
renderer (PNG/SVG) and the interactive one (HTML report) draw the same object, so both show the
same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["line", "scatter", "bar"]


@dataclass(frozen=True)
class Series:
    """One named set of points. For bar charts `x` holds category names; `labels` is per-point
    hover text (the system, count or row id behind the point)."""

    name: str
    x: tuple[float | str, ...]
    y: tuple[float, ...]
    kind: Kind = "line"
    labels: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if len(self.x) != len(self.y):
            raise ValueError(f"series {self.name!r}: {len(self.x)} x values, {len(self.y)} y values")
        if self.labels is not None and len(self.labels) != len(self.x):
            raise ValueError(f"series {self.name!r}: {len(self.labels)} labels for {len(self.x)} points")


@dataclass(frozen=True)
class Chart:
    """A chart: `name` is a slug (file names, element ids), `note` a caption saying what the chart
    assumes. Bars stack when `stacked` (breakdowns that add up to a total)."""

    name: str
    title: str
    x_label: str
    y_label: str
    series: tuple[Series, ...]
    x_log: bool = False
    y_log: bool = False
    stacked: bool = False
    note: str = ""
    guides: tuple[Series, ...] = field(default=())  # reference lines (y = x, roofline ceilings)
