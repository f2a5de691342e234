"""`wafersim calibrate`: per-kind efficiencies fitted on the micro rows and the training
calibration subset reproduce the catalog; the write is checked, one line per parameter and
idempotent (always on a copy of the catalog data)."""

import math
import os
import shutil

import pytest
import yaml

from wafersim.catalog import edit as edit_module
from wafersim.catalog.loader import BUILTIN_DIR, load_catalog, load_directory
from wafersim.errors import ConfigError
from wafersim.validate import calibrate as calibrate_module
from wafersim.validate import records
from wafersim.validate.calibrate import calibrate, write
from wafersim.validate.fitting import CatalogCalibration, Fitted
from wafersim.validate.records import read

BUILTIN_CSV = BUILTIN_DIR.parents[1] / "validate" / "data" / "public.csv"


@pytest.fixture(scope="module")
def result(catalog):
    return calibrate(read(), catalog)


def _fit(result, part, parameter):
    return next(f for f in result.fits if f.part == part and f.parameter == parameter)


def test_micro_fits_reproduce_the_catalogued_efficiencies(result):
    micro = [f for f in result.fits if f.source == "cal-micro" and not f.keys[0] == "efficiency_fraction"]
    assert len(micro) >= 18
    for f in micro:
        assert f.kept or f.value == f.old.value, f.parameter
    assert _fit(result, "h100-sxm", "matmul_efficiency_fraction.bf16").per_row == pytest.approx(
        {"M005": 794.5 / 989.4}, rel=1e-4)


def test_best_row_wins_and_range_is_the_spread(result):
    f = _fit(result, "h100-sxm", "matmul_efficiency_fraction.fp8")
    assert set(f.per_row) == {"M013", "M018"}
    assert (f.value, f.lo, f.hi) == (0.709, 0.696, 0.709)


def test_sized_rows_do_not_lower_a_best_over_sizes_figure(result):
    f = _fit(result, "gb200", "matmul_efficiency_fraction.fp8")
    assert f.kept and f.old.value == 0.723 and f.value < 0.6


def test_network_fit_from_ring_rows_of_one_tier(result):
    f = _fit(result, "nvlink4-nvswitch", "efficiency_fraction")
    assert list(f.per_row) == ["M030"] and f.value == pytest.approx(367.61 / 450, abs=2e-3)
    assert (f.lo, f.hi) == (f.old.lo, f.old.hi)  # one row: the catalogued range is kept
    reasons = {s.id: s.reason for s in result.skipped}
    assert {"M031", "M032", "M033", "M040", "M041"} <= {i for i, r in reasons.items() if "NVLS" in r}
    assert "spans 2 tiers" in reasons["M035"]


def test_a_pair_in_a_full_mesh_fits_over_its_one_direct_link(result):
    f = _fit(result, "infinity-fabric-mi300x", "efficiency_fraction")
    assert sorted(f.per_row) == ["M036", "M037"]  # 8 GPUs over 7 links, 2 GPUs over 1
    assert f.per_row["M037"] == pytest.approx(47.671 / 64, abs=2e-3)


def test_framework_fits_match_the_catalog(result):
    for chip in ("a100-sxm-80gb", "h100-sxm", "trainium1", "ascend-910b"):
        f = _fit(result, chip, "framework_efficiency_fraction")
        assert f.value == f.old.value and f.lo <= f.value <= f.hi
    assert "T009 >=1.00 (bound)" in _fit(result, "h100-sxm", "framework_efficiency_fraction").note


def test_no_wafer_generation_has_a_fitted_fraction_of_its_own(result):
    assert not any(f.part in ("wse-1", "wse-2", "wse-3") for f in result.fits)
    assert {f.parameter for f in result.fits if f.part == "wse"} == {
        "matmul_efficiency_fraction", "serving_efficiency_fraction"}


def test_gemv_width_is_derived_not_fitted(result):
    listed = {(e["part"], e["parameter"]) for e in result.elsewhere}
    assert not any("gemv_efficiency" in parameter for _, parameter in listed)


def test_write_is_idempotent_on_a_copy(tmp_path, result):
    data = tmp_path / "data"
    shutil.copytree(BUILTIN_DIR, data)
    changed = write(result, load_directory(data))  # the copy holds the same data as the package
    assert all(c.path.is_relative_to(data) for c in changed)
    assert all(c.path.with_name(c.path.name + ".bak").read_text() == c.before for c in changed)
    again = load_directory(data)
    second = calibrate(read(), again)
    assert write(second, again) == []
    for f in second.fits:
        assert f.kept or (f.old.value, f.old.lo, f.old.hi) == (f.value, f.lo, f.hi), f.parameter
    raw = yaml.safe_load((data / "nvidia" / "h100-sxm.yaml").read_text())
    q = raw["matmul_efficiency_fraction"]["fp8"]
    assert q["source"] == "cal-micro" and q["tag"] == "derived" and "M013" in q["note"]
    assert "wafersim calibrate --write" in q["note"]


def test_a_bad_fit_writes_nothing(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(BUILTIN_DIR, data)
    cat = load_directory(data)
    before = {p: p.read_text() for p in data.rglob("*.yaml")}
    good = Fitted("h100-sxm", ("hbm_efficiency_fraction",), None, 0.5, None, None, {}, "cal-micro", "n")
    bad = Fitted("b200", ("hbm_efficiency_fraction",), None, 0.5, None, None, {}, "no-such-source", "n")
    with pytest.raises(ConfigError, match="no-such-source"):
        write(CatalogCalibration([good, bad]), cat)
    assert {p: p.read_text() for p in data.rglob("*.yaml")} == before
    assert not [p for p in data.rglob(".*")]


def _subset(tmp_path, ids=("TRN-1", "TRN-3")):
    """A CSV of the micro rows and the rows `ids` (default: Trainium1's calibration rows, a quick
    calibration)."""
    lines = BUILTIN_CSV.read_text().splitlines()
    keep = [line for line in lines[1:] if ",micro," in line or line.split(",")[0] in ids]
    path = tmp_path / "subset.csv"
    path.write_text("\n".join([lines[0], *keep]) + "\n")
    return path


def test_module_entry_point_prints_fits(capsys, monkeypatch, tmp_path):
    subset = read(_subset(tmp_path))
    monkeypatch.setattr(records, "read", lambda: subset)
    calibrate_module.main()
    out = capsys.readouterr().out
    assert "trainium1: framework_efficiency_fraction 0.54 -> 0.54" in out
    assert "h100-sxm: matmul_efficiency_fraction.bf16 0.803 -> 0.803" in out


def test_cli_json_and_bad_input(cli, tmp_path):
    r = cli("calibrate", "--json", "--data", str(_subset(tmp_path, ("TRN-1", "TRN-3", "ASC-4"))))
    assert r.code == 0
    data = r.json()
    assert {"fits", "skipped", "elsewhere", "written"} <= set(data) and data["written"] == []
    assert {"part", "parameter", "old", "fitted", "range", "per_row"} <= set(data["fits"][0])
    assert {"ascend-910b: 1 of its calibration rows (ASC-4) usable in the data; a fit needs two"} == {
        s["reason"] for s in data["skipped"] if s["parameter"] == "framework_efficiency_fraction"}
    r = cli("calibrate", "--data", str(tmp_path / "missing.csv"))
    assert r.code == 2 and r.err.startswith("error:") and r.err.count("\n") == 1
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n")
    r = cli("calibrate", "--data", str(tmp_path / "bad.csv"))
    assert r.code == 2 and "lacks the column" in r.err and r.err.count("\n") == 1


def test_write_goes_to_a_user_directory_by_default(tmp_path, catalog):
    fit = Fitted("h100-sxm", ("hbm_efficiency_fraction",), None, 0.5, None, None, {}, "cal-micro", "n")
    user = tmp_path / "user"
    (change,) = write(CatalogCalibration([fit]), catalog, user)
    assert change.path == user / "nvidia" / "h100-sxm.yaml" and change.before == (
        BUILTIN_DIR / "nvidia" / "h100-sxm.yaml").read_text()
    assert "+hbm_efficiency_fraction: {value: 0.5," in change.diff()
    assert load_catalog((str(user),)).get("h100-sxm").hbm_efficiency_fraction.value == 0.5
    again = Fitted("h100-sxm", ("hbm_efficiency_fraction",), None, 0.6, None, None, {}, "cal-micro", "n")
    (edit,) = write(CatalogCalibration([again]), load_catalog((str(user),)), user)
    assert edit.path == change.path and "-hbm_efficiency_fraction: {value: 0.5," in edit.diff()


@pytest.mark.parametrize("value", [0.0, -0.0, 1.5, math.inf, math.nan])
def test_a_fit_outside_its_range_is_refused(value):
    fit = Fitted("gaudi2", ("matmul_efficiency_fraction", "bf16"), None, value, None, None,
                 {"M001": value}, "cal-micro", "n")
    with pytest.raises(ConfigError, match=r"gaudi2: fitted matmul_efficiency_fraction.bf16 = .* "
                                          r"from row\(s\) M001 is outside its range \(0, 1\]"):
        calibrate_module.check_ranges([fit])


def test_a_failed_rename_puts_every_file_back(tmp_path, catalog, monkeypatch):
    user = tmp_path / "user"
    (user / "nvidia").mkdir(parents=True)
    mine = user / "nvidia" / "h100-sxm.yaml"
    mine.write_text((BUILTIN_DIR / "nvidia" / "h100-sxm.yaml").read_text())
    fits = [Fitted(chip, ("hbm_efficiency_fraction",), None, 0.5, None, None, {}, "cal-micro", "n")
            for chip in ("h100-sxm", "b200")]
    real, calls = os.replace, []

    def flaky(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real(src, dst)

    monkeypatch.setattr(edit_module.os, "replace", flaky)
    before = _files(tmp_path)
    with pytest.raises(ConfigError, match="cannot write .*b200.yaml: No space left on device; no "
                                          "file was changed"):
        write(CatalogCalibration(fits), load_catalog((str(user),)), user)
    assert _files(tmp_path) == before  # h100-sxm.yaml restored, b200.yaml and its folder gone


def _files(folder):
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} | {
        p: None for p in folder.rglob("*") if p.is_dir()}


def test_calibrate_write_with_a_bad_fit_changes_nothing_anywhere(cli, tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.delenv("WAFERSIM_CATALOG", raising=False)
    rows = tmp_path / "rows.csv"
    header = BUILTIN_CSV.read_text().splitlines()[0]
    rows.write_text(header + "\nM001,micro,gaudi2,1,,bf16,,,,,,,,,,,,,,gemm,,flops_per_s,5,,src"
                    + "," * (header.count(",") - 24) + "\n")
    before = (_files(BUILTIN_DIR), _files(tmp_path))
    for flags in ((), ("--in-place",), ("--catalog-dir", str(tmp_path / "mine"))):
        run = cli("calibrate", "--write", *flags, "--data", str(rows))
        assert run.code == 2 and "matmul_efficiency_fraction.bf16 = 0 from row(s) M001" in run.err
        assert (_files(BUILTIN_DIR), _files(tmp_path)) == before
