"""Fit the analytical on-wafer GEMV model (`cost.wafer_gemv`) to the PE mesh simulator.

The simulator runs the GEMVs of `FIT_SET` (shapes and grids chosen to span SIMD tails, x streams
longer and shorter than the compute, and both reductions); the single free parameter of the
analytical formula, `efficiency` (the achieved share of the fp16 SIMD rate in the per-PE loop),
is chosen on a grid of 0.001 steps to minimise the mean absolute relative error of the cycles.
`range` is every efficiency within one percentage point of that error. Hop latency, link rate and
SIMD width come from the catalog, as in the simulator. `write_catalog` edits the one YAML line of
`gemv_efficiency_fraction` through `catalog.edit` (temporary file, checks, rename).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from wafersim.catalog import Catalog
from wafersim.catalog.edit import Edit, write_edits
from wafersim.catalog.schema import Chip
from wafersim.cost.kernels.wafer_gemv import Figure, gemv_cycles
from wafersim.mesh.gemv import gemv
from wafersim.mesh.machine import machine_of

# (m, n, cols, rows, reduction): the documented fit set (docs/mesh.md)
FIT_SET = tuple(
    (m, n, cols, rows, red)
    for (m, n) in ((1024, 1024), (4096, 4096), (8192, 2048), (2048, 8192), (3000, 5000))
    for (cols, rows) in ((32, 32), (64, 64), (128, 96), (256, 256))
    for red in ("chain", "tree")
)
EFFICIENCIES = np.round(np.arange(0.200, 1.0005, 0.001), 3)
SOURCE_ID = "cb-mesh-cal"
COMMAND = "wafersim mesh calibrate --pe {pe} --write"  # provenance: the command that writes the fit
CATALOG_DIR = Path(__file__).resolve().parents[1] / "catalog" / "data" / "cerebras"


@dataclass(frozen=True)
class GemvCalibration:
    """The fitted efficiency, its range and the fit's errors over `points`."""

    pe: str
    efficiency: float
    lo: float
    hi: float
    mean_rel_error: float
    max_rel_error: float
    points: tuple[tuple[int, int, int, int, str, int, float], ...]  # ..., simulated, analytical

    def to_json(self) -> dict[str, object]:
        return {"pe": self.pe, "gemv_efficiency_fraction": self.efficiency,
                "range": [self.lo, self.hi], "mean_rel_error": self.mean_rel_error,
                "max_rel_error": self.max_rel_error,
                "points": [dict(zip(("m", "n", "cols", "rows", "reduction", "simulated_cycles",
                                     "analytical_cycles"), p, strict=True)) for p in self.points]}


def analytical(pe: str, m: int, n: int, cols: int, rows: int, reduction: str,
               efficiency: Figure, catalog: Catalog | None = None) -> Figure:
    """`cost.wafer_gemv.gemv_cycles` with the wafer's catalog figures (vectorised over
    `efficiency`)."""
    mach = machine_of(pe, (cols, rows), catalog)
    return gemv_cycles(m, n, cols, rows, mach.simd_fmac_per_cycle["fp16"], mach.hop_latency_cycles,
                       np.asarray(efficiency, dtype=float), reduction,
                       cycles_per_wavelet=mach.cycles_per_wavelet)


def calibrate(pe: str = "wse-3", catalog: Catalog | None = None,
              fit_set: tuple[tuple[int, int, int, int, str], ...] = FIT_SET) -> GemvCalibration:
    """Simulate the fit set on `pe` and fit `gemv_efficiency_fraction`."""
    sim = np.array([gemv(m, n, (c, r), pe, red, catalog=catalog).cycles
                    for m, n, c, r, red in fit_set], dtype=float)
    model = np.array([analytical(pe, m, n, c, r, red, EFFICIENCIES, catalog)
                      for m, n, c, r, red in fit_set])  # (points, efficiencies)
    errors = np.abs(model / sim[:, None] - 1.0)
    mean = errors.mean(axis=0)
    best = int(np.argmin(mean))
    near = EFFICIENCIES[mean <= mean[best] + 0.01]
    points = tuple((m, n, c, r, red, int(s), float(model[i, best]))
                   for i, ((m, n, c, r, red), s) in enumerate(zip(fit_set, sim, strict=True)))
    return GemvCalibration(pe, float(EFFICIENCIES[best]), float(near.min()), float(near.max()),
                       float(mean[best]), float(errors[:, best].max()), points)


def catalog_edit(cal: GemvCalibration) -> Edit:
    """The new `wafer.gemv_efficiency_fraction` quantity of the wafer's YAML file."""
    note = (f"achieved share of the FP16 SIMD rate in the per-PE GEMV loop, fitted to the PE mesh "
            f"simulator over {len(cal.points)} GEMVs (mean error {cal.mean_rel_error:.1%}, max "
            f"{cal.max_rel_error:.1%}); the SRAM ports cap @fmach at 4 fp16 elements per cycle. "
            f"Command: {COMMAND.format(pe=cal.pe)}")
    return Edit(("wafer", "gemv_efficiency_fraction"), cal.efficiency, "derived", SOURCE_ID, note,
                cal.lo, cal.hi)


def write_catalog(cal: GemvCalibration, directory: Path = CATALOG_DIR) -> Path:
    """Replace the `gemv_efficiency_fraction` line of `<pe>.yaml`, keeping everything else."""
    path = directory / f"{cal.pe}.yaml"
    write_edits(path, [catalog_edit(cal)])
    return path


def chip_value(pe: str, catalog: Catalog) -> float | None:
    part = catalog.get(pe)
    if isinstance(part, Chip) and part.wafer and part.wafer.gemv_efficiency_fraction:
        return part.wafer.gemv_efficiency_fraction.value
    return None
