"""Fit each HBM accelerator's serving efficiency on the serving rows the data marks for it.

The serving efficiency is the share of the kernel-level estimate (GEMMs, attention, collectives
and launch costs from the calibrated roofline) that a real serving stack achieves end to end:
scheduling, sampling, host synchronisation, padding, kernels below their best shapes. It scales
every part of TTFT and TPOT alike, so one row gives it in closed form: with efficiency 1 the
model predicts time t1 (or rate r1), and the row's value is t1 / measured (or measured / r1
inverted). A chip's calibration rows are those whose `calibrates` cell is `serving:<chip>`;
it takes the median over them, which must come from at least two different runs; every other
row of that chip checks the fit. A chip without such rows that shares its die and serving stack
with a fitted chip (`SAME_DIE`) takes that chip's value, and its own rows check the transfer;
other chips use the default in `cost/infer/hbm.py` (the median over the fitted chips).
"""

from __future__ import annotations

from dataclasses import replace

from wafersim.catalog import Catalog, load_catalog
from wafersim.validate.fitting import (
    Fitted,
    Skipped,
    field_at,
    fit_subsets,
    median_fit,
    proportional,
    with_fraction,
)
from wafersim.validate.infer import predict_row
from wafersim.validate.records import Record, subsets

# Chips without calibration rows that run the same die and stack as a fitted chip.
SAME_DIE: dict[str, str] = {
    "b200": "gb200",  # Blackwell B200 die, TensorRT-LLM; GB200 adds the Grace host
    "gh200": "h200-sxm",  # GH100 die with HBM3e, TensorRT-LLM; GH200 adds the Grace host
}
SERVING = ("serving_efficiency_fraction",)
SERVING_SOURCE = "cal-serving"
DIGITS = 2


def with_serving(catalog: Catalog, chip_id: str, value: float) -> Catalog:
    """A copy of `catalog` whose chip `chip_id` has serving efficiency `value`."""
    return with_fraction(catalog, chip_id, SERVING, value)


def solve_row(row: Record, catalog: Catalog) -> float:
    """The serving efficiency that makes the prediction match `row` (closed form, at most 1)."""
    return proportional(row, predict_row(row, with_serving(catalog, row.system, 1.0)))


def fit_serving(rows: list[Record], catalog: Catalog | None = None) -> tuple[list[Fitted], list[Skipped]]:
    """Serving efficiency per chip kind from its calibration rows, and the rows left out."""
    cat = catalog or load_catalog()
    chips = {c.key: group for c, group in subsets(rows, "serving").items()}
    fitted, skipped = fit_subsets(chips, SERVING[0],
                                  lambda row: solve_row(row, cat),
                                  lambda chip, per_row: median_fit(
                                      chip, SERVING, per_row, cat, SERVING_SOURCE,
                                      "end-to-end serving / kernel-level estimate", (0.0, 1.0), DIGITS))
    return fitted + _transferred(fitted, cat), skipped


def _transferred(fitted: list[Fitted], catalog: Catalog) -> list[Fitted]:
    """The `SAME_DIE` chips' values: their sibling's fit, noted as such."""
    by_part = {f.part: f for f in fitted if not f.kept}
    out = []
    for chip, sibling in SAME_DIE.items():
        f = by_part.get(sibling)
        if f is None:
            continue
        note = f"same die and serving stack as {sibling}, whose fit it takes: " + f.note
        out.append(replace(f, part=chip, old=field_at(catalog.get(chip), SERVING), per_row={}, note=note))
    return out

