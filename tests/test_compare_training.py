"""`compare` with training columns next to serving ones."""

from wafersim.api import compare


def test_training_columns_join_serving(catalog):
    rows = compare("llama-2-7b", ["dgx-h100", "cs-3"], groups=("serving", "training"),
                   catalog=catalog, options={"training": {"tokens": 1e12, "devices": 64}})
    for row in rows:
        assert row.error is None
        assert row.columns["train_devices"] == 64 and row.columns["train_wall_time_s"] > 0
        assert "user_tokens_per_s" in row.columns


def test_training_error_is_a_column(catalog):
    rows = compare("llama-2-7b", ["cs-2"], groups=("training",), catalog=catalog,
                   options={"training": {"tokens": 1e12, "devices": 4096}})
    assert "exceeds the largest supported" in rows[0].columns["train_error"]


def test_cli_compare_with_training(cli):
    r = cli("compare", "llama-2-7b", "--systems", "dgx-h100", "--train-tokens", "1T",
            "--train-devices", "64", "--json")
    assert r.code == 0, r.err
    assert r.json()["rows"][0]["train_devices"] == 64
    assert cli("compare", "llama-2-7b", "--train-tokens", "zero").code == 2
