"""The analytical wafer kernels (cost/kernels/wafer_gemv, wafer_gemm, wafer_decode) hold within 10%
of the PE mesh simulator on sizes it runs in well under a second, with no per-generation fitted
parameter; the shared coefficient in the catalog is what the fit command finds; writing it changes
one line."""

import shutil

import pytest
import yaml

from wafersim.catalog import load_catalog
from wafersim.catalog.loader import BUILTIN_DIR, load_directory
from wafersim.catalog.schema import WaferSpec
from wafersim.cost.kernels.wafer_decode import decode_layer_cycles
from wafersim.cost.kernels.wafer_gemm import achieved_fraction, stream_gemm_cycles
from wafersim.cost.kernels.wafer_gemv import gemv_time_s, mesh_of
from wafersim.mesh import decode_layer, gemv, stream_gemm
from wafersim.mesh.elementwise import TRANSCENDENTAL_PASSES
from wafersim.validate import kernels
from wafersim.validate.kernels import coefficients, fit_summa_step, write_catalog

WAFERS = ["wse-2", "wse-3"]


def _mesh(pe):
    return mesh_of(load_catalog().get(pe))


def test_gemv_width_is_the_sram_port_bound():
    assert _mesh("wse-3").efficiency == 0.5 and _mesh("wse-2").efficiency == 1.0
    assert "gemv_efficiency_fraction" not in WaferSpec.model_fields  # derived, not catalogued


@pytest.mark.parametrize("pe", WAFERS)
@pytest.mark.parametrize("reduction", ["chain", "tree"])
@pytest.mark.parametrize("m, n, cols, rows", [(500, 700, 8, 8), (999, 333, 12, 6),
                                              (128, 4096, 64, 16), (5000, 100, 5, 40)])
def test_gemv_within_10_percent(pe, reduction, m, n, cols, rows):
    simulated = gemv(m, n, (cols, rows), pe=pe, reduction=reduction).time_s
    assert gemv_time_s(m, n, _mesh(pe), reduction, cols, rows) == pytest.approx(simulated, rel=0.1)


@pytest.mark.parametrize("pe", WAFERS)
@pytest.mark.parametrize("precision", ["fp16", "fp32"])
@pytest.mark.parametrize("t, k, n, cols, rows, reduction", [
    (64, 256, 64, 8, 8, "chain"), (100, 300, 50, 7, 5, "tree"), (40, 200, 30, 5, 9, "chain"),
    (33, 97, 21, 3, 11, "tree")])
def test_stream_gemm_within_10_percent(pe, precision, t, k, n, cols, rows, reduction):
    simulated = stream_gemm(t, k, n, (cols, rows), pe, reduction, precision).cycles
    analytical = stream_gemm_cycles(t, k, n, _mesh(pe), precision, reduction, cols, rows)
    assert analytical == pytest.approx(simulated, rel=0.1)


def test_stream_gemm_inner_loop_rates():
    # tokens per PE large, k per PE large, n small: the stream and reduction fade, the task binds
    fraction = {pe: achieved_fraction(755 * 64, 1170 * 1024, 8, _mesh(pe)) for pe in WAFERS}
    assert fraction["wse-2"] == pytest.approx(1.0, rel=0.1)
    assert fraction["wse-3"] == pytest.approx(2 / 3, rel=0.1)  # 16 FMACs in 3 cycles of 8 wide


@pytest.mark.parametrize("pe", WAFERS)
@pytest.mark.parametrize("d, heads, seq, cols, rows, reduction", [
    (128, 4, 16, 8, 8, "chain"), (256, 8, 64, 12, 10, "tree"), (256, 8, 32, 16, 16, "chain")])
def test_decode_layer_within_10_percent(pe, d, heads, seq, cols, rows, reduction):
    simulated = decode_layer(d_model=d, n_heads=heads, seq_len=seq, grid=(cols, rows), pe=pe,
                             reduction=reduction).cycles
    parts = decode_layer_cycles(kernels._shape(d, heads, seq), _mesh(pe), cols, rows,
                                coefficients(load_catalog()), reduction)
    assert sum(parts.values()) == pytest.approx(simulated, rel=0.1)


def test_catalog_holds_what_the_fit_finds():
    catalog = load_catalog()
    stored = coefficients(catalog)
    step, points = fit_summa_step(catalog, ("wse-3",))  # both generations' layers run alike
    assert step == stored.summa_step_cycles
    assert stored.transcendental_passes == TRANSCENDENTAL_PASSES
    q = catalog.get("wse").kernels.summa_step_cycles
    assert q.source == "cb-mesh-cal" and "wafersim mesh calibrate --write" in q.note
    assert max(abs(p.error) for p in points) < 0.05


def test_write_changes_one_line_only(tmp_path):
    user = tmp_path / "user"
    cal = kernels.KernelCalibration(3.5, 0.01, 0.02, ())
    (change,) = write_catalog(cal, load_catalog(), user)
    assert change.path == user / "cerebras" / "wse.yaml"  # a copy: the package is not touched
    before = (BUILTIN_DIR / "cerebras" / "wse.yaml").read_text().splitlines()
    after = change.path.read_text().splitlines()
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert len(before) == len(after) and len(changed) == 1
    assert change.diff().count("\n-  summa_step_cycles") == 1
    data = yaml.safe_load(change.path.read_text())
    assert data["kernels"]["summa_step_cycles"]["value"] == 3.5
    assert [p for p in user.rglob("*") if p.is_file()] == [change.path]  # no temporary file left
    assert load_catalog((str(user),)).get("wse").kernels.summa_step_cycles.value == 3.5


def test_write_in_place_keeps_a_backup(tmp_path):
    shutil.copytree(BUILTIN_DIR, tmp_path / "data")
    cat = load_directory(tmp_path / "data")
    path = tmp_path / "data" / "cerebras" / "wse.yaml"
    before = path.read_bytes()
    write_catalog(kernels.KernelCalibration(3.5, 0.01, 0.02, ()), cat, None)
    assert path.with_name("wse.yaml.bak").read_bytes() == before != path.read_bytes()
