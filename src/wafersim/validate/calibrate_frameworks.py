"""Fit each training framework's speed over the chip's default framework, on the rows marked.

A chip's framework efficiency is fitted on runs of its default framework (the catalog
`Framework` whose `default_for` names it); a framework that runs unlike it has a `speed_ratio`
that multiplies that efficiency (`cost/train/step.py`). A ratio's calibration rows are those
whose `calibrates` cell is `trainfw:<framework>:speed_ratio`, on whichever chips the framework
runs: the fit is one value across them. Each row gives the ratio that reproduces it (bisection:
the prediction is monotone in it) and the framework takes the median. A framework is fitted
only where it has at least two rows, so that one at least is held out to check the fit; one
without calibration rows stays at the chip default's speed (null).
"""

from __future__ import annotations

import statistics

from wafersim.catalog import Catalog, Framework, Quantity, Tag
from wafersim.catalog.variants import with_quantities
from wafersim.errors import SimError, one_line
from wafersim.validate.fitting import COMMAND, Fitted, Skipped, bisect, field_at, rows_text, spread
from wafersim.validate.records import HIGHER_IS_FASTER, Record, subsets
from wafersim.validate.train import predict, run

BOUNDS = (0.2, 5.0)  # bisection bracket: a framework 5x slower or faster than the default
DIGITS = 2
SOURCE = "cal-train-framework-speed"
WHAT = "whole-step speed over the chip's default framework"


def with_speed(catalog: Catalog, framework_id: str, value: float) -> Catalog:
    """A copy of `catalog` whose framework `framework_id` runs at `value` x the default's speed."""
    q = Quantity(value=value, dimension="ratio", tag=Tag.derived, source="derived")
    return with_quantities(catalog, {framework_id: {("speed_ratio",): q}})


def solve_row(row: Record, catalog: Catalog, framework_id: str) -> float:
    """The framework's speed ratio that makes the prediction match `row` (bisection)."""
    if row.engine_release[0] != framework_id:
        raise SimError(f"row {row.id} runs framework {row.framework!r}, not {framework_id}")
    return bisect(lambda x: predict(row, run(row, with_speed(catalog, framework_id, x))),
                  row.value, *BOUNDS, increasing=row.metric in HIGHER_IS_FASTER)


def fit_frameworks(rows: list[Record], catalog: Catalog) -> tuple[list[Fitted], list[Skipped]]:
    """Each framework's speed ratio from its calibration rows, and the rows left out."""
    fits, skipped = [], []
    for target, group in subsets(rows, "trainfw").items():
        fw_id, field, per_row = target.key, target.parameter, {}
        if not [r for r in _rows_of(rows, fw_id) if r.calibrates is None]:
            skipped.append(Skipped("-", field, f"{fw_id}: no row of it is held out to check a "
                                   "fit; it stays at the chip default's speed"))
            continue
        for row in group:
            try:
                per_row[row.id] = solve_row(row, catalog, fw_id)
            except SimError as exc:
                skipped.append(Skipped(row.id, field, one_line(str(exc))))
        if per_row:
            fits.append(_fitted(catalog, fw_id, field, per_row))
    return fits, skipped


def _rows_of(rows: list[Record], framework_id: str) -> list[Record]:
    return [r for r in rows if r.kind == "train" and r.engine_release[0] == framework_id]


def _fitted(catalog: Catalog, fw_id: str, field: str, per_row: dict[str, float]) -> Fitted:
    value = round(statistics.median(per_row.values()), DIGITS)
    old = field_at(catalog.typed(fw_id, Framework), (field,))
    lo, hi, how = spread(list(per_row.values()), value, old, DIGITS)
    note = f"{WHAT}; median of {rows_text(per_row, DIGITS)}; {how}. Command: {COMMAND}"
    return Fitted(fw_id, (field,), old, value, lo, hi, per_row, SOURCE, note, dimension="ratio")
