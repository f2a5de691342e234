"""Fit each serving stack's parameter on its documented calibration rows.

A catalog `Stack` is a serving software release that runs unlike its chip's calibrated serving
stack, by one fitted number (on top of the chip's fitted serving efficiency):
- `per_request_step_s`: engine time per request in the batch at every step. vLLM 0.6.1 on ROCm
  runs MI300X batch-1 decoding near the chip's calibrated efficiency but batch 64 at 2.6-3.7x
  the time, the same time per request for an 8B model on one GPU and a 70B model on eight.
- `speedup_ratio`: the release's speed over the chip's calibrated stack. Cerebras's October 2024
  release rewrote its kernels and added speculative decoding (draft undisclosed).
Each calibration row gives the value that reproduces it (bisection: the prediction is monotone
in the parameter); the stack takes the median. A release publishes few runs, so one row may fit
it; the stack's other rows are held out and check the fit.
"""

from __future__ import annotations

import statistics

from wafersim.catalog import Catalog, Quantity, Stack
from wafersim.catalog.variants import with_quantities
from wafersim.errors import SimError, one_line
from wafersim.validate.calibrate_serving import RATES
from wafersim.validate.fitting import COMMAND, Fitted, Skipped, bisect, field_at, rows_text, spread
from wafersim.validate.infer import predict_row
from wafersim.validate.records import Record

SPEEDUP, PER_REQUEST = "speedup_ratio", "per_request_step_s"
# stack id -> (its fitted parameter, its calibration rows)
STACK_CALIBRATION_ROWS: dict[str, tuple[str, tuple[str, ...]]] = {
    # LLM-Inference-Bench Llama 3 8B on 1 MI300X at batch 64; held out: I059 (70B on 8 at batch
    # 64), I053 and I075 (batch 1)
    "vllm-0.6.1-rocm": (PER_REQUEST, ("I074",)),
    # Llama 3.1 70B at 2,100 tok/s per user; held out: I034 (405B, November 2024)
    "cerebras-inference-2024-10": (SPEEDUP, ("I085",)),
}
# bisection brackets, wide of any plausible value: 0-10 ms per request per step, 0.1-20x
BOUNDS = {PER_REQUEST: (0.0, 0.01), SPEEDUP: (0.1, 20.0)}
DIGITS = {PER_REQUEST: 6, SPEEDUP: 2}
DIMENSION = {PER_REQUEST: "s", SPEEDUP: "ratio"}
WHAT = {PER_REQUEST: "engine time per request in the batch per step, beyond the chip's "
                     "calibrated serving stack",
        SPEEDUP: "speed over the chip's calibrated serving stack"}
SOURCE = "cal-stack"


def with_parameter(catalog: Catalog, stack_id: str, field: str, value: float) -> Catalog:
    """A copy of `catalog` whose stack `stack_id` has `field` set to `value`."""
    q = Quantity(value=value, dimension=DIMENSION[field], tag="derived", source="derived")
    return with_quantities(catalog, {stack_id: {(field,): q}})


def solve_row(row: Record, catalog: Catalog, stack_id: str, field: str) -> float:
    """The value of the stack's `field` that makes the prediction match `row` (bisection)."""
    if row.text("stack") != stack_id:
        raise SimError(f"row {row.id} runs stack {row.text('stack')!r}, not {stack_id}")
    faster = row.text("metric") in RATES
    return bisect(lambda x: predict_row(row, with_parameter(catalog, stack_id, field, x)),
                  row.float("value") or 0.0, *BOUNDS[field],
                  increasing=faster == (field == SPEEDUP))


def fit(rows: list[Record], catalog: Catalog) -> tuple[list[Fitted], list[Skipped]]:
    """Each stack's parameter from its calibration rows, and the rows left out."""
    by_id, fits, skipped = {r.id: r for r in rows}, [], []
    for stack_id, (field, ids) in STACK_CALIBRATION_ROWS.items():
        per_row = {}
        for i in (i for i in ids if i in by_id):
            try:
                per_row[i] = solve_row(by_id[i], catalog, stack_id, field)
            except SimError as exc:
                skipped.append(Skipped(i, field, one_line(str(exc))))
        if per_row:
            fits.append(_fitted(catalog, stack_id, field, per_row))
        else:
            skipped.append(Skipped("-", field, f"{stack_id}: none of its calibration rows "
                                   f"({', '.join(ids)}) usable in the data"))
    return fits, skipped


def _fitted(catalog: Catalog, stack_id: str, field: str, per_row: dict[str, float]) -> Fitted:
    digits = DIGITS[field]
    value = round(statistics.median(per_row.values()), digits)
    old = field_at(catalog.typed(stack_id, Stack), (field,))
    lo, hi, how = spread(list(per_row.values()), value, old, digits)
    note = f"{WHAT[field]}; median of {rows_text(per_row, digits)}; {how}. Command: {COMMAND}"
    return Fitted(stack_id, (field,), old, value, lo, hi, per_row, SOURCE, note,
                  dimension=DIMENSION[field])
