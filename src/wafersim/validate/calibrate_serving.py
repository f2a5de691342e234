"""Fit each HBM accelerator's serving efficiency on a documented subset of serving rows.

The serving efficiency is the share of the kernel-level estimate (GEMMs, attention, collectives
and launch costs from the calibrated roofline) that a real serving stack achieves end to end:
scheduling, sampling, host synchronisation, padding, kernels below their best shapes. It scales
every part of TTFT and TPOT alike, so one row gives it in closed form: with efficiency 1 the
model predicts time t1 (or rate r1), and the row's value is t1 / measured (or measured / r1
inverted). The chip takes the median over its calibration rows, which must come from at least
two different runs; every other row of that chip checks the fit. Chips without such rows use
the default in `cost/infer_hbm.py` (the median over the fitted chips).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from wafersim.catalog import Catalog, Chip, load_catalog
from wafersim.catalog.schema import Quantity
from wafersim.validate.infer import predict, run
from wafersim.validate.records import Record

# The calibration subset: per chip kind, published runs of different shapes and batch sizes.
SERVING_CALIBRATION_ROWS: dict[str, tuple[str, ...]] = {
    "h100-sxm": ("I014", "I018", "I027"),  # trtllm-bench 8B short and long, 405B at tp 8
    "h200-sxm": ("I020", "I030"),  # trtllm-bench 8B and Qwen3 MoE
    "gb200": ("I026", "I068"),  # trtllm-bench 70B fp4, Azure 8B fp8 1k/1k
    "mi300x": ("I010", "I011"),  # MLPerf llama2-70b Server (8 GPUs) and Offline (1 GPU)
}
RATES = ("throughput_tokens_per_s", "user_tokens_per_s")


@dataclass(frozen=True)
class ServingFit:
    chip: str
    value: float
    per_row: dict[str, float]


def with_serving(catalog: Catalog, chip_id: str, value: float) -> Catalog:
    """A copy of `catalog` whose chip `chip_id` has serving efficiency `value`."""
    chip = catalog.typed(chip_id, Chip)
    q = Quantity(value=value, dimension="fraction", tag="derived", source="derived")
    parts = {**catalog.parts, chip_id: chip.model_copy(update={"serving_efficiency_fraction": q})}
    return Catalog(parts, catalog.sources)


def solve_row(row: Record, catalog: Catalog) -> float:
    """The serving efficiency that makes the prediction match `row` (closed form)."""
    ideal = with_serving(catalog, row.text("system") or "", 1.0)
    got, measured = predict(row, run(row, ideal)), row.float("value") or 0.0
    return measured / got if row.text("metric") in RATES else got / measured


def fit(rows: list[Record], catalog: Catalog | None = None) -> list[ServingFit]:
    """Serving efficiency per chip kind from its calibration rows."""
    cat = catalog or load_catalog()
    by_id = {r.id: r for r in rows}
    fits = []
    for chip, ids in SERVING_CALIBRATION_ROWS.items():
        per_row = {i: min(1.0, solve_row(by_id[i], cat)) for i in ids if i in by_id}
        if len(per_row) >= 2:
            fits.append(ServingFit(chip, statistics.median(per_row.values()), per_row))
    return fits


def main() -> None:
    """Print the fitted serving efficiencies (python -m wafersim.validate.calibrate_serving)."""
    from wafersim.validate.records import read

    for f in fit(read()):
        rows = ", ".join(f"{k} {v:.2f}" for k, v in f.per_row.items())
        print(f"{f.chip}: serving_efficiency_fraction {f.value:.2f} (rows: {rows})")


if __name__ == "__main__":
    main()
