"""The analytical on-wafer GEMV (cost/kernels/wafer_gemv.py) with the catalog's fitted efficiency agrees
with the simulator on shapes outside the fit set; calibration writes one catalog line safely."""

import shutil

import pytest
import yaml

from wafersim.catalog import load_catalog
from wafersim.cost.kernels.wafer_gemv import gemv_time_s, mesh_of
from wafersim.mesh import gemv
from wafersim.mesh.calibrate import CATALOG_DIR, FIT_SET, calibrate, write_catalog

HELD_OUT = [(500, 700, 8, 8), (999, 333, 12, 6), (128, 4096, 64, 16), (5000, 100, 5, 40),
            (2048, 2048, 48, 80), (7000, 3000, 100, 60), (64, 64, 3, 3), (12000, 640, 20, 200)]


@pytest.mark.parametrize("pe", ["wse-2", "wse-3"])
@pytest.mark.parametrize("reduction", ["chain", "tree"])
@pytest.mark.parametrize("m, n, cols, rows", HELD_OUT)
def test_analytical_within_15_percent_of_simulated(pe, reduction, m, n, cols, rows):
    assert all((m, n, cols, rows) != p[:4] for p in FIT_SET)
    mesh = mesh_of(load_catalog().get(pe))
    simulated = gemv(m, n, (cols, rows), pe=pe, reduction=reduction).time_s
    analytical = gemv_time_s(m, n, mesh, reduction, cols, rows)
    assert analytical == pytest.approx(simulated, rel=0.15)


def test_catalog_holds_the_fitted_values():
    for pe, value in (("wse-3", 0.5), ("wse-2", 1.0)):
        q = load_catalog().get(pe).wafer.gemv_efficiency_fraction
        assert q.value == value and q.tag == "derived" and q.source == "cb-mesh-cal"
        assert "wafersim mesh calibrate" in q.note


def test_fit_recovers_the_sram_bound_on_a_small_set():
    small = ((1000, 1000, 16, 16, "chain"), (777, 2000, 10, 30, "tree"), (64, 900, 4, 4, "chain"))
    assert calibrate("wse-3", fit_set=small).efficiency == pytest.approx(0.5, abs=0.04)
    assert calibrate("wse-2", fit_set=small).efficiency == pytest.approx(1.0, abs=0.04)


def test_write_changes_one_line_only(tmp_path):
    shutil.copy(CATALOG_DIR / "wse-3.yaml", tmp_path / "wse-3.yaml")
    before = (tmp_path / "wse-3.yaml").read_text().splitlines()
    cal = calibrate("wse-3", fit_set=((256, 256, 8, 8, "chain"),))
    write_catalog(cal, tmp_path)
    after = (tmp_path / "wse-3.yaml").read_text().splitlines()
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert len(before) == len(after) and len(changed) <= 1
    data = yaml.safe_load((tmp_path / "wse-3.yaml").read_text())
    assert data["wafer"]["gemv_efficiency_fraction"]["value"] == cal.efficiency
    assert data["wafer"]["gemv_efficiency_fraction"]["source"] == "cb-mesh-cal"
    assert list(tmp_path.iterdir()) == [tmp_path / "wse-3.yaml"]  # no temporary file left
