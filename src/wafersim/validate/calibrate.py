"""Fit each accelerator kind's framework efficiency on a documented subset of training rows.

The framework efficiency is the share of the kernel-level compute estimate a real training stack
achieves end to end (kernels the operator graph does not list, launch gaps, synchronisation and
stragglers). It is fitted per chip kind, never per row: for each calibration row the value that
reproduces the row is found by bisection, and the chip takes the median over its rows (at least
two). Every other row of that chip checks the fit.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from wafersim.catalog import Catalog, Chip, load_catalog
from wafersim.catalog.schema import Quantity
from wafersim.validate.records import Record
from wafersim.validate.train import predict, run

# The calibration subset: a few runs per chip kind with their plans published, spanning sizes.
CALIBRATION_ROWS: dict[str, tuple[str, ...]] = {
    "a100-sxm-80gb": ("T015", "T020", "T024"),  # Megatron-LM 2021, 1.7 B to 1 T
    "h100-sxm": ("T009", "T042", "T048"),  # Llama 3 405B, Megatron-Core GPT-3, MLPerf GPT-3
    "trainium1": ("TRN-1", "TRN-3"),  # Neuron SDK Llama 8B and 7B
    "ascend-910b": ("ASC-4", "ASC-6"),  # MindSpeed Llama 2 7B and 70B
}
# Rows other fits used: the wafer matmul efficiencies (catalog source cb-cal-train) and the
# WSE-3 serving efficiency (cb-cal-infer).
WAFER_CALIBRATION_ROWS = ("CB04", "CB07", "I032")
BOUNDS = (0.2, 1.0)


@dataclass(frozen=True)
class Fit:
    chip: str
    value: float
    per_row: dict[str, float]


def with_framework(catalog: Catalog, chip_id: str, value: float) -> Catalog:
    """A copy of `catalog` whose chip `chip_id` has framework efficiency `value`."""
    chip = catalog.typed(chip_id, Chip)
    q = Quantity(value=value, dimension="fraction", tag="derived", source="derived")
    parts = {**catalog.parts, chip_id: chip.model_copy(update={"framework_efficiency_fraction": q})}
    return Catalog(parts, catalog.sources)


def solve_row(row: Record, catalog: Catalog, steps: int = 30) -> float:
    """The framework efficiency that makes the prediction match `row` (bisection)."""
    chip, measured, metric = row.text("system") or "", row.float("value") or 0.0, row.text("metric")
    higher_is_faster = metric in ("mfu", "flops_per_device", "hw_flops_per_device", "tokens_per_s")
    lo, hi = BOUNDS
    for _ in range(steps):
        mid = (lo + hi) / 2
        got = predict(row, run(row, with_framework(catalog, chip, mid)))
        too_fast = got > measured if higher_is_faster else got < measured
        lo, hi = (lo, mid) if too_fast else (mid, hi)
    return (lo + hi) / 2


def fit(rows: list[Record], catalog: Catalog | None = None) -> list[Fit]:
    """Framework efficiency per chip kind from its calibration rows."""
    cat = catalog or load_catalog()
    by_id = {r.id: r for r in rows}
    fits = []
    for chip, ids in CALIBRATION_ROWS.items():
        per_row = {i: solve_row(by_id[i], cat) for i in ids if i in by_id}
        if len(per_row) >= 2:
            fits.append(Fit(chip, statistics.median(per_row.values()), per_row))
    return fits


def main() -> None:
    """Print the fitted framework efficiencies (python -m wafersim.validate.calibrate)."""
    from wafersim.validate.records import read

    for f in fit(read()):
        rows = ", ".join(f"{k} {v:.2f}" for k, v in f.per_row.items())
        print(f"{f.chip}: framework_efficiency_fraction {f.value:.2f} (rows: {rows})")


if __name__ == "__main__":
    main()
