"""Fit a wafer architecture's shared efficiencies jointly on every published run of its chips.

The WSE generations differ only in their hardware numbers; what the kernel models leave
unexplained is one efficiency per execution mode, shared by every generation (the `wse`
architecture part): `matmul_efficiency_fraction` for weight-streaming training,
`serving_efficiency_fraction` for SRAM-resident serving. The rows whose `calibrates` cell is
`wafer` fit them: each training row gives, by bisection, the matmul efficiency that reproduces
it; each serving row gives its serving efficiency in closed form (it scales every part of TTFT
and TPOT alike, as in `calibrate_serving`). The architecture takes the median over all of its
rows whatever the generation, so no generation has a fitted fraction of its own.

Leave-one-out: for every row, the median of the other rows' values is applied and the row is
predicted again; the error of that prediction is what the fit would miss on a run it had not
seen (`HeldOut`). A parameter with fewer than two rows is not fitted.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable

from wafersim.catalog import Catalog
from wafersim.catalog.system import resolve
from wafersim.errors import SimError, one_line
from wafersim.validate.fitting import (
    Fitted,
    HeldOut,
    Skipped,
    bisect,
    median_fit,
    proportional,
    with_fraction,
)
from wafersim.validate.records import HIGHER_IS_FASTER, Record, subsets
from wafersim.validate.run import predicted

SOURCE = "cb-cal-wafer"
BOUNDS = (0.02, 1.0)
DIGITS = 2
PARAMETERS = {"train": ("matmul_efficiency_fraction",), "infer": ("serving_efficiency_fraction",)}
WHAT = {"train": "weight-streaming training: achieved share of the dense SIMD peak on the layer "
                 "matmuls, one value for every generation",
        "infer": "SRAM-resident serving: achieved share of the analytical mesh time, one value for "
                 "every generation"}


def solve_row(row: Record, catalog: Catalog, part: str) -> float:
    """The shared efficiency that reproduces `row` on its own."""
    keys = PARAMETERS[row.kind]
    if row.kind == "infer":  # every part of the time scales with 1 / efficiency
        return proportional(row, predicted(row, with_fraction(catalog, part, keys, 1.0)))
    return bisect(lambda x: predicted(row, with_fraction(catalog, part, keys, x)), row.value,
                  *BOUNDS, increasing=row.metric in HIGHER_IS_FASTER, steps=30)


def _groups(rows: list[Record], catalog: Catalog) -> tuple[dict[tuple[str, str], list[Record]],
                                                           list[Skipped]]:
    """The `wafer` rows by (architecture, kind), and rows whose chip has no architecture."""
    groups: dict[tuple[str, str], list[Record]] = {}
    skipped = []
    for row in (r for group in subsets(rows, "wafer").values() for r in group):
        try:
            arch = resolve(catalog, row.system).architecture
        except SimError as exc:
            skipped.append(Skipped(row.id, "wafer", one_line(str(exc))))
            continue
        if arch is None:
            skipped.append(Skipped(row.id, "wafer", f"{row.system} has no wafer architecture"))
            continue
        groups.setdefault((arch.id, row.kind), []).append(row)
    return groups, skipped


def _per_row(rows: list[Record], solve: Callable[[Record], float],
             parameter: str) -> tuple[dict[str, float], list[Skipped]]:
    per_row, skipped = {}, []
    for row in rows:
        try:
            per_row[row.id] = solve(row)
        except SimError as exc:
            skipped.append(Skipped(row.id, parameter, one_line(str(exc))))
    return per_row, skipped


def held_out(rows: list[Record], per_row: dict[str, float], part: str, catalog: Catalog) -> list[HeldOut]:
    """Each row predicted at the median of the other rows' values."""
    out = []
    for row in (r for r in rows if r.id in per_row):
        others = statistics.median(v for k, v in per_row.items() if k != row.id)
        keys = PARAMETERS[row.kind]
        got = predicted(row, with_fraction(catalog, part, keys, others))
        out.append(HeldOut(row.id, part, keys[0], row.system, row.model or "-", row.metric,
                           row.value, per_row[row.id], others, got))
    return out


def _solver(catalog: Catalog, part: str) -> Callable[[Record], float]:
    return lambda row: solve_row(row, catalog, part)


def fit_wafer(rows: list[Record], catalog: Catalog) -> tuple[list[Fitted], list[Skipped], list[HeldOut]]:
    """The architectures' shared efficiencies, the rows left out, and the leave-one-out checks."""
    groups, skipped = _groups(rows, catalog)
    fits, checks = [], []
    for (part, kind), group in groups.items():
        keys = PARAMETERS[kind]
        per_row, left = _per_row(group, _solver(catalog, part), keys[0])
        skipped += left
        if len(per_row) < 2:
            skipped.append(Skipped(", ".join(per_row) or "-", keys[0], f"{part}: {len(per_row)} "
                                   f"usable {kind} row(s) marked wafer; a joint fit needs two"))
            continue
        fits.append(median_fit(part, keys, per_row, catalog, SOURCE, WHAT[kind], BOUNDS, DIGITS))
        checks += held_out(group, per_row, part, catalog)
    return fits, skipped, checks
