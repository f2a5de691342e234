"""The command line shows cost on one named basis, unknown power and prices as unknown, and a
production run's failures (`--pricing`, `cost/kernels/economics.py`, `failures.py`)."""

import re

import pytest

SMALL = {"train": ["train", "--model", "llama-3.1-8b", "--system", "dgx-h100", "--count", "64",
                   "--tokens", "1e10"],
         "infer": ["infer", "--model", "llama-3.1-8b", "--system", "h100-sxm"],
         "serve": ["serve", "--model", "llama-3.1-8b", "--system", "h100-sxm", "--requests", "20"],
         "compare": ["compare", "llama-3.1-8b", "--train-tokens", "1e10"]}
HEADERS = {"train": ["cost ({})"], "infer": ["$ per million tokens ({})"],
           "serve": ["$ per million tokens ({})"], "compare": ["$/M tokens ({})", "cost ({})"]}


def test_llama_3_405b_on_16384_h100_reports_its_failures(cli):
    run = cli("train", "--model", "llama-3.1-405b", "--system", "dgx-h100", "--count", "16384",
              "--tokens", "15.6T", "--json")
    assert run.code == 0, run.err
    view = run.json()
    lost = view["interruptions"]
    days = view["wall_time_s"] / 86_400
    assert lost["expected_interruptions"] / days * 54 == pytest.approx(419, rel=0.05)
    assert 60 < lost["checkpoint_interval_s"] < 3600
    assert 0.9 < view["goodput"] == lost["goodput"] < 1
    assert view["wall_time_s"] == pytest.approx(view["compute_time_s"] / view["goodput"])
    assert view["cost_basis"] == "tco"
    assert view["facility_power_W"] > 10e6  # ~2,048 DGX H100 and their fabric, from the wall


@pytest.mark.parametrize("basis", ["tco", "rental"])
@pytest.mark.parametrize("command", sorted(SMALL))
def test_every_cost_header_names_its_basis(cli, command, basis):
    run = cli(*SMALL[command], "--pricing", basis)
    assert run.code == 0, run.err
    for header in HEADERS[command]:
        assert header.format(basis) in run.out
    other = "rental" if basis == "tco" else "tco"
    assert f"({other})" not in run.out  # one basis per table


@pytest.mark.parametrize("basis", ["tco", "rental"])
@pytest.mark.parametrize("command", sorted(SMALL))
def test_json_carries_the_cost_basis(cli, command, basis):
    run = cli(*SMALL[command], "--pricing", basis, "--json")
    assert run.code == 0, run.err
    view = run.json()
    assert view["cost_basis"] == basis
    for row in view.get("rows", []):
        assert row["cost_basis"] == basis


def test_no_rental_price_prints_a_dash_and_the_reason(cli):
    run = cli("train", "--model", "llama-3.1-8b", "--system", "dgx-b200", "--count", "64",
              "--tokens", "1e10", "--pricing", "rental")
    assert run.code == 0, run.err
    assert re.search(r"cost \(rental\)\s*│\s*-\s*│", run.out)
    assert "rental price of dgx-b200 not in the catalog" in run.out
    view = cli("train", "--model", "llama-3.1-8b", "--system", "dgx-b200", "--count", "64",
               "--tokens", "1e10", "--pricing", "rental", "--json").json()
    assert view["cost_usd"] is None and view["cost_breakdown"] == {}
    assert view["energy_J"] > 0  # power is known; only the price is not


def test_no_rental_price_in_compare_is_a_dash_with_the_reason(cli):
    run = cli("compare", "llama-3.1-8b", "--pricing", "rental")
    assert run.code == 0, run.err
    row = next(line for line in run.out.splitlines() if line.startswith("│ dgx-b200 "))
    assert row.split("│")[8].strip() == "-"  # $/M tokens (rental)
    assert "dgx-b200: rental price of dgx-b200 not in the catalog" in run.out


def test_unknown_power_is_null_not_zero(cli):
    train = cli("train", "--model", "llama-3.1-8b", "--system", "trn2-ultraserver", "--tokens",
                "1e10", "--json")
    assert train.code == 0, train.err
    view = train.json()
    for key in ("energy_J", "power_W", "facility_power_W"):
        assert view[key] is None, key
    assert [a for a in view["assumptions"] if "power of trn2-ultraserver not in the catalog" in a]
    infer = cli("infer", "--model", "llama-3.1-8b", "--system", "trn2-ultraserver", "--json")
    assert infer.code == 0, infer.err
    assert infer.json()["energy_per_token_J"] is None
    table = cli("train", "--model", "llama-3.1-8b", "--system", "trn2-ultraserver", "--tokens",
                "1e10")
    assert re.search(r"energy\s*│\s*-\s*│", table.out)
