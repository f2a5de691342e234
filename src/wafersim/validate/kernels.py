"""The bridge between the PE mesh simulator and the analytical wafer kernels.

Above both packages (mesh never imports cost, cost never imports mesh): this module runs the mesh
kernels at sizes the simulator runs in well under a second, evaluates the analytical formulas of
cost/kernels (wafer_gemv, wafer_gemm, wafer_decode) with the same catalog numbers, reports every
pair, and fits the one free coefficient the formulas leave, `summa_step_cycles` of the
architecture part `wse` (shared by every generation), on the decode layers of `DECODE_SET`: the
value on a 0.25-cycle grid from 0 to 10 with the smallest mean relative error over both
generations. `write_catalog` edits that one line of wse.yaml as the catalog calibration edits
its parts (`calibrate_write`: a user catalog copy by default; checks; temporary file and rename).
The GEMV and the weight-streaming matmul have no free coefficient.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from wafersim.catalog import Architecture, Catalog, Chip, load_catalog
from wafersim.catalog.edit import Change, Edit
from wafersim.cost.kernels.wafer_decode import (
    DecodeShape,
    KernelCoefficients,
    coefficients_of,
    decode_layer_cycles,
)
from wafersim.cost.kernels.wafer_gemm import stream_gemm_cycles
from wafersim.cost.kernels.wafer_gemv import Mesh, gemv_cycles, mesh_of
from wafersim.mesh import decode_layer, gemv
from wafersim.mesh.decode import scaled_layer
from wafersim.mesh.stream_gemm import stream_gemm
from wafersim.validate.calibrate_write import write_parts

WAFERS = ("wse-2", "wse-3")
ARCHITECTURE = "wse"
SOURCE_ID = "cb-mesh-cal"
COMMAND = "wafersim mesh calibrate --write"  # provenance: the command that writes the fit
# (m, n, cols, rows, reduction)
GEMV_SET = ((1024, 1024, 32, 32, "chain"), (3000, 5000, 64, 64, "tree"), (500, 700, 8, 8, "chain"),
            (2048, 8192, 128, 96, "chain"), (999, 333, 12, 6, "tree"))
# (tokens, k, n, cols, rows, reduction)
STREAM_SET = ((64, 256, 64, 8, 8, "chain"), (128, 512, 96, 16, 16, "chain"),
              (100, 300, 50, 7, 5, "tree"), (256, 1024, 64, 32, 32, "chain"))
# (d_model, heads, seq_len, cols, rows, reduction), layers of llama-3.1-8b scaled down
DECODE_SET = ((128, 4, 16, 8, 8, "chain"), (256, 8, 32, 16, 16, "chain"),
              (512, 8, 64, 16, 16, "tree"), (384, 12, 48, 24, 16, "chain"))
DECODE_MODEL = "llama-3.1-8b"
STEPS = np.round(np.arange(0.0, 10.001, 0.25), 2)


@dataclass(frozen=True)
class Point:
    """One kernel run on the mesh and its analytical cycles."""

    kernel: str
    pe: str
    sizes: str
    grid: tuple[int, int]
    reduction: str
    mesh_cycles: int
    analytical_cycles: float

    @property
    def error(self) -> float:
        return self.analytical_cycles / self.mesh_cycles - 1.0

    def to_json(self) -> dict[str, object]:
        return {"kernel": self.kernel, "pe": self.pe, "sizes": self.sizes,
                "grid": f"{self.grid[0]}x{self.grid[1]}", "reduction": self.reduction,
                "mesh_cycles": self.mesh_cycles, "analytical_cycles": self.analytical_cycles,
                "error": self.error}


def mesh_for(pe: str, catalog: Catalog) -> Mesh:
    """The analytical mesh of processing element `pe` (a wafer chip id)."""
    chip = catalog.get(pe)
    assert isinstance(chip, Chip)
    return mesh_of(chip)


def coefficients(catalog: Catalog) -> KernelCoefficients:
    arch = catalog.get(ARCHITECTURE)
    assert isinstance(arch, Architecture)
    return coefficients_of(arch)


def gemv_points(pe: str, catalog: Catalog) -> list[Point]:
    mesh = mesh_for(pe, catalog)
    return [Point("gemv", pe, f"m={m} n={n}", (c, r), red,
                  gemv(m, n, (c, r), pe, red, catalog=catalog).cycles,
                  float(gemv_cycles(m, n, c, r, mesh.gemv_width, mesh.hop_cycles, red,
                                    cycles_per_wavelet=mesh.cycles_per_wavelet)))
            for m, n, c, r, red in GEMV_SET]


def stream_points(pe: str, catalog: Catalog) -> list[Point]:
    mesh = mesh_for(pe, catalog)
    return [Point("stream-gemm", pe, f"t={t} k={k} n={n}", (c, r), red,
                  stream_gemm(t, k, n, (c, r), pe, red, catalog=catalog).cycles,
                  float(stream_gemm_cycles(t, k, n, mesh, "fp16", red, c, r)))
            for t, k, n, c, r, red in STREAM_SET]


def _shape(d: int, heads: int, seq: int) -> DecodeShape:
    s = scaled_layer(DECODE_MODEL, d, heads, seq)
    return DecodeShape(s.d_model, s.n_heads, s.n_kv_heads, s.head_dim, s.d_ff, s.seq_len)


def decode_points(pe: str, catalog: Catalog, coef: KernelCoefficients) -> list[Point]:
    mesh = mesh_for(pe, catalog)
    return [Point("decode-layer", pe, f"d={d} heads={h} seq={s}", (c, r), red,
                  decode_layer(DECODE_MODEL, d, h, s, (c, r), pe, reduction=red,
                               catalog=catalog).cycles,
                  sum(decode_layer_cycles(_shape(d, h, s), mesh, c, r, coef, red).values()))
            for d, h, s, c, r, red in DECODE_SET]


@dataclass(frozen=True)
class KernelCalibration:
    """Every compared point (at the fitted coefficient) and the fit of `summa_step_cycles`."""

    summa_step_cycles: float
    mean_rel_error: float
    max_rel_error: float
    points: tuple[Point, ...]

    def to_json(self) -> dict[str, object]:
        return {"summa_step_cycles": self.summa_step_cycles,
                "decode_mean_rel_error": self.mean_rel_error,
                "decode_max_rel_error": self.max_rel_error,
                "points": [p.to_json() for p in self.points]}


def fit_summa_step(catalog: Catalog, wafers: tuple[str, ...] = WAFERS) -> tuple[float, list[Point]]:
    """The SUMMA step cycles minimising the mean relative error of the decode layers."""
    base = coefficients(catalog)
    runs = [(p, _shape(d, h, s), (c, r), red)
            for p in wafers for d, h, s, c, r, red in DECODE_SET]
    points = decode_points(wafers[0], catalog, base)
    for pe in wafers[1:]:
        points += decode_points(pe, catalog, base)
    sim = np.array([p.mesh_cycles for p in points], dtype=float)
    model = np.array([[sum(decode_layer_cycles(shape, mesh_for(pe, catalog), *grid,
                                               replace(base, summa_step_cycles=float(x)),
                                               red).values()) for x in STEPS]
                      for pe, shape, grid, red in runs])
    mean = np.abs(model / sim[:, None] - 1.0).mean(axis=0)
    best = int(np.argmin(mean))
    fitted = [replace(p, analytical_cycles=float(model[i, best])) for i, p in enumerate(points)]
    return float(STEPS[best]), fitted


def calibrate(catalog: Catalog | None = None, wafers: tuple[str, ...] = WAFERS,
              step: Callable[[str, int, int], None] | None = None) -> KernelCalibration:
    """Compare every kernel on every wafer and fit the shared coefficient; `step` is told each
    stage as (name, stages done, stages)."""
    cat, tell = catalog or load_catalog(), step or (lambda what, done, total: None)
    total = 1 + 2 * len(wafers)
    tell("decode layers", 0, total)
    step_cycles, decode = fit_summa_step(cat, wafers)
    errors = np.abs([p.error for p in decode])
    points: list[Point] = []
    for i, pe in enumerate(wafers):
        tell(f"gemv on {pe}", 1 + 2 * i, total)
        points += gemv_points(pe, cat)
        tell(f"stream-gemm on {pe}", 2 + 2 * i, total)
        points += stream_points(pe, cat)
    tell("done", total, total)
    return KernelCalibration(step_cycles, float(errors.mean()), float(errors.max()),
                             tuple(points + decode))


def catalog_edit(cal: KernelCalibration) -> Edit:
    """The new `kernels.summa_step_cycles` quantity of wse.yaml."""
    decode = sum(p.kernel == "decode-layer" for p in cal.points)
    note = (f"cycles a SUMMA step costs beyond its compute or panel stream, fitted to the PE mesh "
            f"simulator over {decode} decode layers of both generations (mean error "
            f"{cal.mean_rel_error:.1%}, max {cal.max_rel_error:.1%}). Command: {COMMAND}")
    return Edit(("kernels", "summa_step_cycles"), cal.summa_step_cycles, "derived", SOURCE_ID, note)


def write_catalog(cal: KernelCalibration, catalog: Catalog | None = None,
                  directory: Path | None = None) -> list[Change]:
    """Replace the `kernels.summa_step_cycles` line of wse.yaml, keeping everything else: in a
    copy under the user catalog `directory`, or (None) in the file the part came from, kept as
    wse.yaml.bak (`calibrate_write`). Returns the file changed, if any, with its diff."""
    return write_parts({ARCHITECTURE: [catalog_edit(cal)]}, catalog or load_catalog(), directory)
