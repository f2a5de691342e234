"""Calibrate the catalog's efficiency parameters per hardware kind on published rows.

Two stages, in order. First the micro-benchmark rows fit the matmul, HBM and network
efficiencies (`calibrate_micro`). Then, on the catalog with those fits applied, the subsets of
serving rows the data marks (its `calibrates` column) fit each HBM chip's serving efficiency
(`calibrate_serving`) and the marked training rows fit each accelerator kind's framework
efficiency: the share of the kernel-level compute estimate a real training stack achieves end to
end (kernels the operator graph does not list, launch gaps, synchronisation and stragglers). It
is fitted per chip kind, never per row: for each calibration row the value that reproduces the
row is found by bisection, and the chip takes the median over its rows (at least two). Every
other row of that chip checks the fit. The wafer architecture's two shared efficiencies are fitted
jointly on every row marked `wafer`, all generations together, with leave-one-out errors
(`calibrate_wafer`). The wafer kernels' coefficients are fitted to the mesh by another command
and only listed here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from wafersim.catalog import Catalog, Chip, load_catalog
from wafersim.catalog.edit import Change, Edit
from wafersim.catalog.schema import Quantity
from wafersim.catalog.variants import efficiencies, with_quantities
from wafersim.validate.calibrate_frameworks import fit_frameworks
from wafersim.validate.calibrate_micro import fit_micro
from wafersim.validate.calibrate_serving import fit_serving
from wafersim.validate.calibrate_stacks import fit_stacks
from wafersim.validate.calibrate_wafer import fit_wafer
from wafersim.validate.calibrate_write import check_value, write_parts
from wafersim.validate.fitting import (
    FRAMEWORK_SOURCE,
    CatalogCalibration,
    Fitted,
    Skipped,
    bisect,
    fit_subsets,
    median_fit,
    rows_text,
    with_fraction,
)
from wafersim.validate.kernels import COMMAND as MESH_COMMAND
from wafersim.validate.kernels import SOURCE_ID as MESH_SOURCE
from wafersim.validate.records import HIGHER_IS_FASTER, Record, subsets
from wafersim.validate.train import predict, run

# Efficiencies other commands write, by catalog source: the wafer kernels' (fitted to the mesh).
ELSEWHERE = {MESH_SOURCE: MESH_COMMAND}
BOUNDS = (0.2, 1.0)
DIGITS = 2
FRAMEWORK = ("framework_efficiency_fraction",)


def with_framework(catalog: Catalog, chip_id: str, value: float) -> Catalog:
    """A copy of `catalog` whose chip `chip_id` has framework efficiency `value`."""
    return with_fraction(catalog, chip_id, FRAMEWORK, value)


def solve_row(row: Record, catalog: Catalog, steps: int = 30) -> float:
    """The framework efficiency that makes the prediction match `row` (bisection)."""
    return bisect(lambda x: predict(row, run(row, with_framework(catalog, row.system, x))), row.value,
                  *BOUNDS, increasing=row.metric in HIGHER_IS_FASTER, steps=steps)


def fit_framework(rows: list[Record], catalog: Catalog | None = None) -> tuple[list[Fitted], list[Skipped]]:
    """Framework efficiency per chip kind from its calibration rows (`framework:<chip>` in the
    calibrates column), and the rows left out."""
    cat = catalog or load_catalog()
    chips = {c.key: group for c, group in subsets(rows, "framework").items()}
    return fit_subsets(chips, FRAMEWORK[0],
                       lambda row: solve_row(row, cat),
                       lambda chip, per_row: median_fit(
                           chip, FRAMEWORK, per_row, cat, FRAMEWORK_SOURCE,
                           "end-to-end training / kernel-level estimate", BOUNDS, DIGITS))


def apply(catalog: Catalog, fits: list[Fitted]) -> Catalog:
    """`catalog` with every fit that is not kept back applied (each checked against its physical
    range first, so a later stage never builds on an impossible value)."""
    check_ranges(fits)
    changes: dict[str, dict[tuple[str, ...], Quantity]] = {}
    for f in fits:
        if not f.kept:
            changes.setdefault(f.part, {})[f.keys] = f.quantity()
    return with_quantities(catalog, changes)


def elsewhere(catalog: Catalog) -> list[dict[str, object]]:
    """Efficiencies the catalog holds from other fits (the wafers'), with how they are fitted."""
    return [{"part": chip.id, "parameter": ".".join(keys), "value": q.value, "source": q.source,
             "fitted_by": ELSEWHERE[q.source].format(pe=chip.id)}
            for chip in catalog.of_kind(Chip) for keys, q in efficiencies(chip).items()
            if q.source in ELSEWHERE]


def calibrate(rows: list[Record], catalog: Catalog | None = None,
              step: Callable[[str, int, int], None] | None = None) -> CatalogCalibration:
    """Micro-row fits, then framework, serving and wafer-architecture fits on the catalog with the
    micro fits applied, the training frameworks' speeds on top of the framework efficiencies, then
    the serving stacks' fits on top of the serving fits. `step` is told
    each stage as (name, stages done, stages); every fit is checked against its physical range."""
    cat, tell = catalog or load_catalog(), step or (lambda what, done, total: None)
    tell("micro-benchmark rows", 0, 6)
    micro_fits, skipped = fit_micro(rows, cat)
    tell("framework efficiencies", 1, 6)
    framework_fits, framework_skipped = fit_framework(rows, apply(cat, micro_fits))
    tell("training frameworks", 2, 6)
    speed_fits, speed_skipped = fit_frameworks(rows, apply(cat, micro_fits + framework_fits))
    tell("serving efficiencies", 3, 6)
    serving_fits, serving_skipped = fit_serving(rows, apply(cat, micro_fits))
    tell("wafer efficiencies", 4, 6)
    wafer_fits, wafer_skipped, checks = fit_wafer(rows, apply(cat, micro_fits))
    tell("serving stacks", 5, 6)
    stack_fits, stack_skipped = fit_stacks(rows, apply(cat, micro_fits + serving_fits + wafer_fits))
    tell("done", 6, 6)
    fits = micro_fits + framework_fits + speed_fits + serving_fits + wafer_fits + stack_fits
    check_ranges(fits)
    return CatalogCalibration(fits, skipped + framework_skipped + speed_skipped + serving_skipped
                              + wafer_skipped + stack_skipped, elsewhere(cat), checks)


def write(calibration: CatalogCalibration, catalog: Catalog,
          directory: Path | None = None) -> list[Change]:
    """Write every fit not kept back: into copies of its parts under the user catalog
    `directory`, or (None) into the files the parts came from, each kept as NAME.bak; all files
    or none (`calibrate_write`). Returns the part files changed, with their diffs."""
    by_part: dict[str, list[Edit]] = {}
    for f in calibration.fits:
        if not f.kept:
            by_part.setdefault(f.part, []).append(f.edit())
    return write_parts(by_part, catalog, directory)


def check_ranges(fits: list[Fitted]) -> None:
    """Every fitted value (and its range) inside the quantity's physical range, or one line
    naming the parameter and the rows it came from."""
    for f in fits:
        for value in (f.value, f.lo, f.hi):
            check_value(f.part, f.keys, value, ", ".join(f.per_row))


def main() -> None:
    """Print the fitted values (python -m wafersim.validate.calibrate; see wafersim calibrate)."""
    from wafersim.validate.records import read

    for f in calibrate(read()).fits:
        old = "-" if f.old is None or f.old.value is None else f"{f.old.value:g}"
        state = f" (kept {old}: {f.kept})" if f.kept else ""
        print(f"{f.part}: {f.parameter} {old} -> {f.value:g}{state} "
              f"(rows: {rows_text(f.per_row, 3)})")


if __name__ == "__main__":
    main()
