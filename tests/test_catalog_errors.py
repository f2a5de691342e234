"""Broken user catalog files: each fails with one line naming the file, the field and the fix."""

import shutil
from pathlib import Path

import pytest
import yaml

from wafersim.catalog import load_catalog
from wafersim.errors import ConfigError

CORPUS = Path(__file__).parent / "data" / "broken" / "catalog"
CASES = yaml.safe_load((CORPUS / "manifest.yaml").read_text())


def test_corpus_is_large_and_complete():
    files = {p.name for p in CORPUS.iterdir() if p.name != "manifest.yaml"}
    assert files == set(CASES)
    assert len(CASES) >= 20


@pytest.mark.parametrize("name", sorted(CASES))
def test_broken_file(name, tmp_path):
    case = CASES[name]
    shutil.copy(CORPUS / name, tmp_path / case.get("as", name))
    with pytest.raises(ConfigError) as info:
        load_catalog([str(tmp_path)])
    message = str(info.value)
    assert "\n" not in message
    assert case["expect"] in message, message


@pytest.mark.parametrize("name", ["negative_bandwidth.yaml", "unknown_field.yaml",
                                  "missing_unit.yaml"])
def test_cli_reports_broken_file(name, tmp_path, cli):
    shutil.copy(CORPUS / name, tmp_path / name)
    run = cli("--catalog", str(tmp_path), "systems")
    assert run.code == 2
    assert run.err.count("\n") == 1 and run.err.startswith("error: ")
    assert name in run.err and "Traceback" not in run.err


def test_environment_variable(tmp_path, monkeypatch):
    shutil.copy(CORPUS / "unknown_field.yaml", tmp_path / "x.yaml")
    monkeypatch.setenv("WAFERSIM_CATALOG", str(tmp_path))
    with pytest.raises(ConfigError, match="unknown field 'hbm_bw_TBps'"):
        load_catalog()


def test_user_part_is_added_and_overrides(tmp_path):
    (tmp_path / "my-gpu.yaml").write_text(
        "kind: chip\nid: my-gpu\nname: My GPU\nvendor: Me\ndevice_class: gpu\n"
        "peak_dense_TFLOPS: {bf16: {value: 100, tag: unverified, source: derived}}\n"
        "hbm_GB: {value: 16, tag: unverified, source: derived}\n")
    cat = load_catalog([str(tmp_path)])
    assert cat.get("my-gpu").hbm_bytes.value == 16e9
    assert "h100-sxm" in cat


def test_missing_directory(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_catalog([str(tmp_path / "nope")])


def test_missing_environment_directory_fails_every_command(tmp_path, monkeypatch, cli):
    monkeypatch.setenv("WAFERSIM_CATALOG", str(tmp_path / "nope"))
    run = cli("models")  # reads no catalog, yet the broken setting is reported
    assert run.code == 2 and "WAFERSIM_CATALOG names" in run.err and run.err.count("\n") == 1


def test_same_directory_twice_is_read_once(tmp_path, monkeypatch):
    (tmp_path / "my-gpu.yaml").write_text(
        "kind: chip\nid: my-gpu\nname: My GPU\nvendor: Me\ndevice_class: gpu\n")
    monkeypatch.setenv("WAFERSIM_CATALOG", str(tmp_path))
    assert "my-gpu" in load_catalog([str(tmp_path) + "/"])


def test_replacing_a_builtin_keeps_its_kind(tmp_path):
    (tmp_path / "h.yaml").write_text("kind: network\nid: h100-sxm\nname: N\nvendor: Me\n"
                                     "scope: scale_out\ntopology: switch\n")
    with pytest.raises(ConfigError, match="replaces the built-in chip of that id with a network"):
        load_catalog([str(tmp_path)])
