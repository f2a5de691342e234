"""Runs too large for the host or the SRAM are refused before their arrays are made; a failed
run leaves the files it was asked to write as they were."""

from pathlib import Path

import pytest

from wafersim.catalog.edit import Change
from wafersim.errors import ConfigError, ParameterError
from wafersim.mesh import allreduce, budget, decode_layer, gemv


def test_a_run_past_the_memory_limit_names_the_sizes(monkeypatch):
    monkeypatch.setenv(budget.ENV_VAR, "1M")
    with pytest.raises(ParameterError, match=r"mesh gemv with m=4096, n=4096 needs about 0.3 GiB "
                                             r"of host memory but 0.0 GiB may be used.*smaller m or n"):
        gemv(4096, 4096, (64, 64))
    with pytest.raises(ParameterError, match=r"smaller length or grid"):
        allreduce(10_000, (64, 64))


def test_the_limit_is_the_lower_of_the_setting_and_the_available_memory(monkeypatch):
    monkeypatch.setattr(budget, "available_bytes", lambda: 10 * 2**30)
    monkeypatch.delenv(budget.ENV_VAR, raising=False)
    assert budget.limit_bytes() == 8 * 2**30
    monkeypatch.setenv(budget.ENV_VAR, "2G")
    assert budget.limit_bytes() == 2 * 2**30
    monkeypatch.setenv(budget.ENV_VAR, "-3")
    with pytest.raises(ConfigError, match="WAFERSIM_MESH_MAX_BYTES '-3' is not a positive size"):
        budget.limit_bytes()


def test_a_small_run_passes_under_a_small_limit(monkeypatch):
    monkeypatch.setenv(budget.ENV_VAR, "1M")
    assert gemv(64, 64, (4, 4)).cycles > 0


def test_a_kv_cache_past_the_sram_is_refused_before_it_is_made(monkeypatch):
    monkeypatch.setattr(decode_layer.__globals__["np"].random, "default_rng",
                        lambda *a: pytest.fail("arrays made before the SRAM check"))
    with pytest.raises(ParameterError, match=r"KV cache need at least [\d,]+ bytes of SRAM per PE "
                                             r"on 8x8 PEs but a PE has 49,152; use a smaller seq_len"):
        decode_layer(seq_len=10_000_000)


def test_a_failed_run_leaves_existing_outputs_byte_identical(cli, tmp_path, monkeypatch):
    from wafersim.cli import mesh as mesh_cli

    plot, trace = tmp_path / "u.png", tmp_path / "t.json"
    plot.write_bytes(b"old plot")
    trace.write_text("old trace")
    monkeypatch.setattr(mesh_cli, "check_plot_path", lambda path: None)  # matplotlib not needed
    monkeypatch.setattr(mesh_cli, "heatmaps_change", lambda result, path: Change(Path(path), b"new"))

    def failing(result, path):
        raise ConfigError("the trace cannot be made")

    real = mesh_cli.trace_change
    monkeypatch.setattr(mesh_cli, "trace_change", failing)
    argv = ("mesh", "gemv", "--m", "64", "--n", "64", "--grid", "4x4", "--plot", str(plot),
            "--trace", str(trace))
    run = cli(*argv)  # fails after the simulation and the plot are done
    assert run.code == 2 and run.err == "error: the trace cannot be made\n"
    assert plot.read_bytes() == b"old plot" and trace.read_text() == "old trace"
    monkeypatch.setattr(mesh_cli, "trace_change", real)
    assert cli(*argv).code == 0
    assert plot.read_bytes() == b"new" and trace.read_text().startswith('{"traceEvents"')
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.json", "u.png"]  # no temporary left
