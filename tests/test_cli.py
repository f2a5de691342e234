"""The command line: listings, details, JSON in SI units, one-line errors with exit code 2."""

import pytest

from tests.test_catalog import SEED_IDS
from wafersim import __version__


def test_version(cli):
    run = cli("--version")
    assert run.code == 0 and run.out.strip() == f"wafersim {__version__}"


def test_systems_lists_every_seed_id(cli):
    run = cli("systems")
    assert run.code == 0
    for system_id in SEED_IDS:
        assert system_id in run.out, system_id


def test_systems_json_is_si(cli):
    rows = {r["id"]: r for r in cli("systems", "--json").json()}
    h100 = rows["h100-sxm"]
    assert h100["memory_bytes"] == 80e9
    assert h100["memory_bandwidth_Bps"] == pytest.approx(3.35e12)
    assert h100["peak_dense_flops_per_s"]["bf16"] == pytest.approx(989.4e12)
    assert h100["peak_sparse_flops_per_s"]["fp8"] == pytest.approx(3958e12)
    assert rows["dgx-h100"]["chips"] == 8


def test_systems_cs3_json(cli):
    detail = cli("systems", "cs-3", "--json").json()
    chip = detail["chip_detail"]
    fields = chip["fields"]
    assert fields["wafer.fabric_cols_count"]["value"] == 762
    assert fields["wafer.sram_per_pe_bytes"]["value"] == 48 * 1024
    clock = fields["wafer.clock_hz"]
    assert clock["range"] == [pytest.approx(0.85e9), pytest.approx(1.1e9)]
    assert clock["tag"] in ("derived", "unverified") and clock["citation"]
    assert detail["fields"]["max_cluster_nodes_count"]["value"] == 2048
    for field in fields.values():
        assert field["value"] is None or field["citation"]


def test_systems_detail_human(cli):
    run = cli("systems", "cs-3")
    assert run.code == 0 and "clock_hz" in run.out and "wse-3" in run.out


def test_systems_kind_filter(cli):
    rows = cli("systems", "--kind", "network", "--json").json()
    assert rows and all(r["kind"] == "network" for r in rows)


def test_models_405b(cli):
    detail = cli("models", "llama-3.1-405b", "--json").json()
    assert detail["derived"]["params_total"] == pytest.approx(405e9, rel=0.01)


def test_models_list(cli):
    run = cli("models")
    assert run.code == 0 and "deepseek-v3" in run.out and "gpt-moe-1.8t" in run.out
    rows = cli("models", "--json").json()
    assert len(rows) >= 45


@pytest.mark.parametrize("args, expect", [
    (("systems", "h100"), "unknown system id 'h100'; did you mean"),
    (("models", "llama-3.1-7b"), "unknown model id 'llama-3.1-7b'; did you mean"),
    (("systems", "--kind", "gpu"), "--kind 'gpu' is not one of"),
    (("systems", "--bogus"), "No such option: --bogus"),
    (("frobnicate",), "No such command 'frobnicate'"),
    (("models", "llama-3-8b", "--seq-len", "0"), "--seq-len"),
    (("--catalog", "/no/such/dir", "systems"), "does not exist"),
])
def test_bad_input_is_one_line_exit_2(cli, args, expect):
    run = cli(*args)
    assert run.code == 2
    assert run.err.startswith("error: ") and run.err.count("\n") == 1, run.err
    assert expect in run.err
    assert "Traceback" not in run.err + run.out


def test_console_script_subprocess():
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "wafersim", "systems", "nope"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.startswith("error: unknown system id 'nope'")


def test_train_json(cli):
    data = cli("train", "--model", "gpt-j-6b", "--system", "cs-2", "--tokens", "1B",
               "--global-batch", "66", "--seq-len", "2048", "--json").json()
    assert data["tokens_per_s"] > 0 and sum(data["breakdown"].values()) == pytest.approx(
        data["step_time_s"])


def test_train_curve(cli):
    run = cli("train", "--model", "llama-2-7b", "--system", "cs-3", "--tokens", "2T",
              "--count", "1,4,16", "--json")
    assert run.code == 0 and len(run.json()["points"]) == 3
    assert "scaling" in cli("train", "--model", "llama-2-7b", "--system", "cs-3", "--tokens",
                            "2T", "--count", "1,4").out


@pytest.mark.parametrize("args, expect", [
    (("--tokens", "0"), "--tokens '0' must be positive"),
    (("--tokens", "lots"), "--tokens 'lots' is not a number"),
    (("--tokens", "1T", "--count", "0"), "must hold positive integers"),
    (("--tokens", "1T", "--model", "nope"), "unknown model id 'nope'"),
    (("--tokens", "1T", "--precision", "fp8"), "has no dense fp8 peak"),
])
def test_train_bad_flags(cli, args, expect):
    base = {"--model": "llama-2-7b", "--system": "cs-3"}
    argv = ["train"]
    flags = dict(zip(args[::2], args[1::2], strict=False))
    for key, value in {**base, **flags}.items():
        argv += [key, value]
    run = cli(*argv)
    assert run.code == 2 and run.err.startswith("error: ") and run.err.count("\n") == 1
    assert expect in run.err, run.err


def test_train_cluster_json_and_top_plans(cli):
    r = cli("train", "--model", "llama-2-7b", "--system", "dgx-h100", "--count", "64",
            "--tokens", "1T", "--json")
    assert r.code == 0, r.err
    data = r.json()
    assert data["plan"]["kind"] == "parallel" and len(data["alternatives"]) == 4
    human = cli("train", "--model", "llama-2-7b", "--system", "dgx-h100", "--count", "64",
                "--tokens", "1T", "--plan", "tp2,pp1")
    assert human.code == 0 and "top 5 feasible plans" in human.out and "tp2 pp1" in human.out


@pytest.mark.parametrize("flags, message", [
    (["--tp", "3"], "--tp 3 does not divide the scale-up domain of 8 devices"),
    (["--plan", "tp8,bogus"], "--plan part 'bogus'"),
    (["--zero", "7"], "--zero 7 must be 0, 1, 2 or 3"),
    (["--tokens", "0"], "--tokens '0' must be positive"),
    (["--attention", "sparse"], "--attention 'sparse'"),
])
def test_train_cluster_bad_flags(cli, flags, message):
    args = ["train", "--model", "llama-2-70b", "--system", "dgx-h100", "--count", "64",
            "--tokens", "1T"]
    if "--tokens" in flags:
        args = args[:-2]
    r = cli(*args, *flags)
    assert r.code == 2 and message in r.err and r.err.count("\n") == 1
