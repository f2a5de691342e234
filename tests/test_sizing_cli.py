"""`train` and `compare` sized to a budget on the command line."""

from __future__ import annotations

import pytest

from wafersim.cli.common import parse_duration, parse_megawatts
from wafersim.errors import ConfigError

TRAIN = ("train", "--model", "llama-2-7b", "--system", "cs-3", "--tokens", "1T")


def test_train_at_a_deadline_prints_the_run_and_the_counts_tried(cli):
    r = cli(*TRAIN, "--deadline", "10d")
    assert r.code == 0, r.err
    assert "llama-2-7b on cs-3 x15" in r.out
    assert "cs-3 sized to a deadline of 10 days (limited by deadline)" in r.out
    assert "chosen" in r.out


def test_train_json_carries_the_sizing(cli):
    r = cli(*TRAIN, "--power-mw", "2", "--json")
    assert r.code == 0, r.err
    data = r.json()
    sizing = data["sizing"]
    assert sizing["budget"]["facility_power_W"] == 2e6 and sizing["devices"] == data["devices"]
    assert data["facility_power_W"] <= 2e6
    assert any(c["devices"] == data["devices"] and c["within_budget"] for c in sizing["candidates"])


def test_train_json_without_a_run_says_why(cli):
    r = cli(*TRAIN, "--budget-usd", "$10", "--json")
    assert r.code == 0, r.err
    data = r.json()
    assert data["feasible"] is False and data["sizing"]["devices"] is None
    assert "the budget is $10" in data["reason"]


def test_compare_titles_the_budget_and_sizes_each_system(cli):
    r = cli("compare", "llama-2-7b", "--systems", "cs-3,trn2-ultraserver", "--train-tokens", "1T",
            "--deadline", "240h")
    assert r.code == 0, r.err
    assert "each system sized to a deadline of 10 days" in r.out and "limited by" in r.out
    r = cli("compare", "llama-2-7b", "--systems", "cs-3", "--train-tokens", "1T", "--budget-usd",
            "20M", "--json")
    data = r.json()
    assert data["budget"]["usd"] == 2e7
    row = data["rows"][0]
    assert row["train_sizing"]["devices"] == row["train_devices"] and row["train_binding"]
    assert row["train_cost_usd"] <= 2e7


def test_compare_names_a_system_no_count_fits(cli):
    r = cli("compare", "llama-2-7b", "--systems", "trn2-ultraserver", "--train-tokens", "1T",
            "--power-mw", "5")
    assert r.code == 0, r.err
    assert "facility power is unknown" in r.out


@pytest.mark.parametrize("args, words", [
    ((*TRAIN, "--count", "4", "--deadline", "10d"), ("--count", "--deadline")),
    ((*TRAIN, "--range", "--power-mw", "2"), ("--range", "--power-mw")),
    ((*TRAIN, "--budget-usd", "1M", "--deadline", "10d"), ("--budget-usd", "--deadline")),
    (("compare", "llama-2-7b", "--budget-usd", "1M"), ("--budget-usd", "--train-tokens")),
    (("compare", "llama-2-7b", "--train-tokens", "1T", "--train-devices", "8", "--deadline",
      "9d"), ("--train-devices", "--deadline")),
    ((*TRAIN, "--deadline", "90 fortnights"), ("--deadline",)),
    ((*TRAIN, "--power-mw", "10MJ"), ("--power-mw",)),
    ((*TRAIN, "--budget-usd", "inf"), ("--budget-usd",)),
])
def test_budget_mistakes_are_one_line_naming_the_flags(cli, args, words):
    r = cli(*args)
    assert r.code == 2 and r.err.startswith("error:") and len(r.err.strip().splitlines()) == 1
    assert all(w in r.err for w in words), r.err


def test_durations_and_megawatts_parse_with_their_units():
    assert parse_duration("90d", "--deadline") == 90 * 86400
    assert parse_duration("2000h", "--deadline") == 2000 * 3600
    assert parse_duration("1.5years", "--deadline") == pytest.approx(1.5 * 365.25 * 86400)
    assert parse_megawatts("10", "--power-mw") == 1e7
    assert parse_megawatts("500kW", "--power-mw") == 5e5
    assert parse_megawatts("1GW", "--power-mw") == 1e9
    with pytest.raises(ConfigError):
        parse_megawatts("-3", "--power-mw")
