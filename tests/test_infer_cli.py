"""`wafersim infer` and `wafersim compare`: JSON keys, tables, one-line errors with exit 2."""

import pytest

KEYS = {"ttft_s", "tpot_s", "user_tokens_per_s", "throughput_tokens_per_s", "max_batch", "devices",
        "memory_bytes_per_device", "energy_per_token_J", "usd_per_million_tokens", "plan",
        "assumptions"}


def test_infer_json_keys(cli):
    run = cli("infer", "--model", "llama-3.1-8b", "--system", "h100-sxm", "--json")
    assert run.code == 0, run.err
    data = run.json()
    assert KEYS <= set(data)
    assert data["user_tokens_per_s"] == pytest.approx(1 / data["tpot_s"])
    assert data["devices"] == 1 and data["plan"]["tp"] == 1


def test_infer_several_batches_give_points_with_a_frontier(cli):
    run = cli("infer", "--model", "llama-3.1-8b", "--system", "dgx-h100", "--batch", "1,8,64",
              "--json")
    points = run.json()["points"]
    assert [p["batch"] for p in points] == [1, 8, 64]
    assert all(KEYS <= set(p) for p in points) and any(p["pareto"] for p in points)


def test_infer_table_and_wafer_plan(cli):
    run = cli("infer", "--model", "llama-3.1-70b", "--system", "cs-3")
    assert run.code == 0 and "wafers=4" in run.out and "tokens/s per user" in run.out


def test_max_throughput_with_slo_in_ms(cli):
    run = cli("infer", "--model", "llama-3.1-70b", "--system", "dgx-h100", "--max-throughput",
              "--tpot-slo", "20ms", "--json")
    data = run.json()
    assert run.code == 0 and data["tpot_s"] <= 0.02 and data["batch"] > 1


def test_model_that_does_not_fit_exits_2_with_devices_needed(cli):
    run = cli("infer", "--model", "llama-3.1-405b", "--system", "dgx-h100")
    assert run.code == 2 and run.err.count("\n") == 1
    assert run.err.startswith("error: ") and "needs at least" in run.err and "--count" in run.err


@pytest.mark.parametrize(("args", "needle"), [
    (("--batch", "0"), "--batch '0'"),
    (("--precision", "fp3"), "fp3"),
    (("--kv-precision", "int2"), "int2"),
    (("--tp", "16"), "tp=16"),  # past the node: --tp 3 is served with padded heads
    (("--input-tokens", "-5"), "-5"),
    (("--output-tokens", "-1"), "-1"),
    (("--tpot-slo", "fast"), "--tpot-slo"),
    (("--batch", "1,x"), "--batch"),
])
def test_bad_flags_exit_2_with_one_line(cli, args, needle):
    run = cli("infer", "--model", "llama-3.1-8b", "--system", "dgx-h100", *args)
    assert run.code == 2
    assert run.err.startswith("error: ") and run.err.count("\n") == 1 and needle in run.err
    assert "Traceback" not in run.err


def test_compare_json_rows(cli):
    run = cli("compare", "llama-3.1-8b", "--systems", "cs-3,dgx-h100,h200-sxm", "--json")
    rows = {r["system"]: r for r in run.json()["rows"]}
    assert run.code == 0 and set(rows) == {"cs-3", "dgx-h100", "h200-sxm"}
    assert rows["cs-3"]["user_tokens_per_s"] > rows["dgx-h100"]["user_tokens_per_s"]
    assert rows["h200-sxm"]["devices"] == 1


def test_compare_table_lists_default_systems(cli):
    run = cli("compare", "llama-3.1-8b")
    assert run.code == 0
    for system in ("cs-3", "dgx-h100", "gb200-nvl72", "trn2-ultraserver", "atlas-800t-a2"):
        assert system in run.out


def test_compare_takes_more_column_groups(catalog, monkeypatch):
    """The hook a training column group plugs into: (model, system id, catalog) -> columns."""
    from wafersim import api

    monkeypatch.setitem(api.COMPARE_COLUMNS, "layers", lambda m, s, c: {"layers": m.n_layers})
    rows = api.compare("llama-3.1-8b", ["h100-sxm"], groups=("serving", "layers"), catalog=catalog)
    assert rows[0].columns["layers"] == 32 and rows[0].columns["devices"] == 1


def test_compare_reports_a_system_that_cannot_serve(catalog):
    from wafersim import api

    rows = api.compare("llama-3.1-405b", ["atlas-800i-a2"], catalog=catalog)
    assert rows[0].error and "\n" not in rows[0].error and not rows[0].columns


def test_compare_unknown_system_exits_2(cli):
    run = cli("compare", "llama-3.1-8b", "--systems", "dgx-h999")
    assert run.code == 2 and "dgx-h999" in run.err and run.err.count("\n") == 1
