"""Fit each serving stack's parameters on the rows the data marks for them.

A catalog `Stack` is a serving software release; where it runs unlike the chip's default stack
(whose runs the chip's serving efficiency is fitted on), its parameters say how
(`cost/infer/stack.py`). Any of them may be fitted:
- kernel speed by operator class over the default stack's: `gemm_speed_ratio`,
  `attention_mha_speed_ratio`, `attention_gqa_speed_ratio`, `attention_mla_speed_ratio`;
- fixed costs: `step_s`, `per_layer_s`, `per_request_step_s` (vLLM 0.6.1 on ROCm runs MI300X
  batch-1 decoding near the chip's calibrated efficiency but batch 64 at 2.6-3.7x the time, the
  same time per request for an 8B model on one GPU and a 70B model on eight);
- `speedup_ratio`: a release's whole speed where its parts are unpublished (Cerebras's October
  2024 release rewrote its kernels and added speculative decoding, draft undisclosed);
- `weight_only_dequant_ratio`: its weight-only GEMMs' (w4a16, w8a16 rows) dequantisation time
  per weight over a 16-bit read's; fitted last, on the catalog holding the stack's other fits.
A parameter's calibration rows are those whose `calibrates` cell is
`stack:<stack>:<parameter>`, on whichever chips the stack runs: the fit is one value across them.
Each row gives the value that reproduces it (bisection: the prediction is monotone in the
parameter); the stack takes the median. A release publishes few runs, so one row may fit it;
the stack's other rows are held out and check the fit.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import get_args

from wafersim.catalog import Catalog, Quantity, Stack, Tag
from wafersim.catalog.variants import with_quantities
from wafersim.errors import SimError, one_line
from wafersim.validate.fitting import COMMAND, Fitted, Skipped, bisect, field_at, rows_text, spread
from wafersim.validate.infer import predict_row
from wafersim.validate.records import HIGHER_IS_FASTER, Record, StackParameter, subsets

WEIGHT_ONLY = ("weight_only_dequant_ratio",)  # larger is slower; fitted after the others
RATIOS = (*Stack.SPEED_RATIOS, "speedup_ratio")  # larger is faster
CYCLES = ("routing_stage_cycles",)  # larger is slower
SECONDS = tuple(p for p in get_args(StackParameter)
                if p not in RATIOS + WEIGHT_ONLY + CYCLES)  # larger is slower
# bisection brackets, wide of any plausible value: 0-10 ms per request, layer or step; 0.1-20x;
# dequantisation up to 10 16-bit reads per weight; 0-1000 cycles per routing stage
BOUNDS = ({p: (0.1, 20.0) for p in RATIOS} | {p: (0.0, 0.01) for p in SECONDS}
          | {p: (0.0, 10.0) for p in WEIGHT_ONLY} | {p: (0.0, 1000.0) for p in CYCLES})
DIGITS = {p: 2 for p in RATIOS + WEIGHT_ONLY} | {p: 6 for p in SECONDS} | {p: 1 for p in CYCLES}
DIMENSION = ({p: "ratio" for p in RATIOS + WEIGHT_ONLY} | {p: "s" for p in SECONDS}
             | {p: "cycles" for p in CYCLES})
WHAT = {"per_request_step_s": "engine time per request in the batch per step, beyond the chip's "
                              "default stack",
        "per_layer_s": "engine time per decoder layer per step, beyond the chip's default stack",
        "step_s": "engine time per step, beyond the chip's default stack",
        "speedup_ratio": "speed over the chip's default stack",
        "weight_only_dequant_ratio": "weight-only GEMMs' dequantisation time per weight over "
                                     "a 16-bit read's",
        "routing_stage_cycles": "routing work per stage of the decode grid's all-reduce critical "
                                "path (WaferLLM's beta)"} | {
    p: f"{p.removesuffix('_speed_ratio').replace('_', ' ')} kernel speed over the chip's default "
       "stack" for p in Stack.SPEED_RATIOS}
SOURCE = "cal-stack"


def with_parameter(catalog: Catalog, stack_id: str, field: str, value: float) -> Catalog:
    """A copy of `catalog` whose stack `stack_id` has `field` set to `value`."""
    q = Quantity(value=value, dimension=DIMENSION[field], tag=Tag.derived, source="derived")
    return with_quantities(catalog, {stack_id: {(field,): q}})


def solve_row(row: Record, catalog: Catalog, stack_id: str, field: str) -> float:
    """The value of the stack's `field` that makes the prediction match `row` (bisection)."""
    if row.stack != stack_id:
        raise SimError(f"row {row.id} runs stack {row.stack!r}, not {stack_id}")
    faster = row.metric in HIGHER_IS_FASTER
    lo, hi = BOUNDS[field]
    return bisect(lambda x: predict_row(row, with_parameter(catalog, stack_id, field, x)),
                  row.value, lo, hi, increasing=faster == (field in RATIOS))


def fit_stacks(rows: list[Record], catalog: Catalog) -> tuple[list[Fitted], list[Skipped]]:
    """Each stack's parameter from its calibration rows, and the rows left out. Weight-only
    dequantisation costs are fitted last, on the catalog holding the stacks' other fits (their rows run the
    stack's whole speed too)."""
    fits, skipped = _fit(rows, catalog, lambda field: field not in WEIGHT_ONLY)
    held: dict[str, dict[tuple[str, ...], Quantity]] = {}
    for f in fits:
        if not f.kept:
            held.setdefault(f.part, {})[f.keys] = f.quantity()
    catalog = with_quantities(catalog, held)
    more, more_skipped = _fit(rows, catalog, lambda field: field in WEIGHT_ONLY)
    return fits + more, skipped + more_skipped


def _fit(rows: list[Record], catalog: Catalog,
         wanted: Callable[[str], bool]) -> tuple[list[Fitted], list[Skipped]]:
    fits, skipped = [], []
    for target, group in subsets(rows, "stack").items():
        stack_id, field, per_row = target.key, target.parameter, {}
        if not wanted(field):
            continue
        for row in group:
            try:
                per_row[row.id] = solve_row(row, catalog, stack_id, field)
            except SimError as exc:
                skipped.append(Skipped(row.id, field, one_line(str(exc))))
        if per_row:
            fits.append(_fitted(catalog, stack_id, field, per_row))
        else:
            skipped.append(Skipped("-", field, f"{stack_id}: none of its calibration rows "
                                   f"({', '.join(r.id for r in group)}) usable in the data"))
    return fits, skipped


def _fitted(catalog: Catalog, stack_id: str, field: str, per_row: dict[str, float]) -> Fitted:
    digits = DIGITS[field]
    value = round(statistics.median(per_row.values()), digits)
    old = field_at(catalog.typed(stack_id, Stack), (field,))
    lo, hi, how = spread(list(per_row.values()), value, old, digits)
    note = f"{WHAT[field]}; median of {rows_text(per_row, digits)}; {how}. Command: {COMMAND}"
    return Fitted(stack_id, (field,), old, value, lo, hi, per_row, SOURCE, note,
                  dimension=DIMENSION[field])
