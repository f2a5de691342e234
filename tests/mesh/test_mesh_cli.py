"""`wafersim mesh ...`: JSON keys, exit codes, one-line errors, heatmaps and traces."""

import builtins
import json

import pytest

KEYS = ["cycles", "time_s", "flops_per_s", "max_abs_error", "peak_sram_bytes_per_pe"]


@pytest.mark.parametrize("args", [
    ["gemv", "--m", "256", "--n", "128", "--grid", "8x4"],
    ["gemv", "--m", "256", "--n", "128", "--grid", "8x4", "--reduction", "tree", "--pe", "wse-2"],
    ["gemm", "--m", "32", "--k", "48", "--n", "16", "--grid", "4x4"],
    ["stream-gemm", "--tokens", "32", "--k", "48", "--n", "16", "--grid", "4x4", "--pe", "wse-2"],
    ["allreduce", "--length", "16", "--grid", "4x3", "--scope", "grid"],
    ["broadcast", "--length", "16", "--grid", "4x3", "--scope", "col"],
    ["softmax", "--m", "8", "--n", "64", "--grid", "4x4"],
    ["layernorm", "--m", "8", "--n", "64", "--grid", "4x4", "--rms"],
    ["decode-layer", "--d-model", "64", "--heads", "4", "--seq-len", "8", "--grid", "4x4"],
])
def test_json_keys(cli, args):
    run = cli("mesh", *args, "--json", "--seed", "1")
    assert run.code == 0, run.err
    data = run.json()
    assert list(data)[: len(KEYS)] == KEYS
    assert data["cycles"] > 0 and data["max_abs_error"] < 2e-2
    assert "host" not in data and "sim_wall_s" not in data  # host timings: not in the default JSON


def test_human_output(cli):
    run = cli("mesh", "gemv", "--m", "64", "--n", "64", "--grid", "4x4")
    assert run.code == 0 and "cycle breakdown" in run.out and "reduce" in run.out


@pytest.mark.parametrize("args, word", [
    (["--grid", "0x5"], "0x5"), (["--m", "0"], "--m"), (["--n", "-4"], "--n"),
    (["--pe", "wse-9"], "wse-9"), (["--grid", "763x100"], "763x100"),
    (["--grid", "big"], "COLSxROWS"), (["--reduction", "ring"], "ring"),
    (["--grid", "100x100", "--trace", "t.json"], "4096"),
])
def test_bad_input_is_one_line_exit_2(cli, args, word):
    run = cli("mesh", "gemv", *args)
    assert run.code == 2
    assert run.err.startswith("error: ") and run.err.count("\n") == 1 and word in run.err
    assert "Traceback" not in run.err


def test_trace_is_chrome_json(cli, tmp_path):
    path = tmp_path / "trace.json"
    run = cli("mesh", "gemv", "--m", "64", "--n", "64", "--grid", "4x4", "--trace", str(path))
    assert run.code == 0
    events = json.loads(path.read_text())["traceEvents"]
    slices = [e for e in events if e["ph"] == "X"]
    assert {e["tid"] for e in slices} == set(range(16))
    assert all(e["dur"] > 0 for e in slices)


def test_plot_writes_a_png(cli, tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "util.png"
    run = cli("mesh", "gemv", "--m", "64", "--n", "64", "--grid", "4x4", "--plot", str(path))
    assert run.code == 0 and path.read_bytes()[:4] == b"\x89PNG"


def test_plot_without_matplotlib_says_how_to_install(cli, monkeypatch, tmp_path):
    real = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    run = cli("mesh", "gemv", "--m", "8", "--n", "8", "--grid", "2x2", "--plot",
              str(tmp_path / "u.png"))
    assert run.code == 2 and "pip install 'wafersim[plot]'" in run.err


def test_mesh_help_lists_the_kernels(cli):
    run = cli("mesh", "--help")
    for name in ("gemv", "gemm", "stream-gemm", "allreduce", "softmax", "layernorm",
                 "decode-layer", "calibrate"):
        assert name in run.out
