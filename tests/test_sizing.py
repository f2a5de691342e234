"""Training sized to a budget: the fewest devices meeting a deadline, the fastest run within a
power or money budget, and why a system cannot be sized."""

from __future__ import annotations

import math

import pytest

from wafersim import api
from wafersim.catalog.system import resolve
from wafersim.cost.sizing import MAX_SIZED_DEVICES, Budget, Sizing, ladder
from wafersim.errors import ParameterError

DAY_S = 86400.0
MODEL, TOKENS = "llama-2-7b", 1e12


@pytest.fixture(scope="module")
def sized(catalog):
    """Sizings by (system, budget keyword, limit), each computed once."""
    done: dict[tuple[str, str, float], Sizing] = {}

    def size(system: str, **budget: float) -> Sizing:
        ((key, limit),) = budget.items()
        if (system, key, limit) not in done:
            done[system, key, limit] = api.size_training(MODEL, system, TOKENS, catalog=catalog,
                                                         **budget)
        return done[system, key, limit]
    return size


@pytest.mark.parametrize("system", ["dgx-h100", "cs-3"])
def test_a_deadline_takes_the_fewest_devices(sized, catalog, system):
    s = sized(system, deadline_s=10 * DAY_S)
    assert s.chosen is not None and s.binding == "deadline"
    assert s.chosen.wall_time_s <= 10 * DAY_S
    per_node = resolve(catalog, system).devices_per_node
    assert s.chosen.devices % per_node == 0
    fewer = api.train(MODEL, system, TOKENS, count=s.chosen.devices - per_node, catalog=catalog)
    assert fewer.wall_time_s > 10 * DAY_S  # one node fewer misses the deadline
    meeting = [c.devices for c in s.candidates if c.within]
    assert min(meeting) == s.chosen.devices


def test_a_power_budget_takes_the_fastest_run_within_it(sized, catalog):
    s = sized("dgx-h100", power_W=2e6)
    assert s.chosen is not None and s.chosen.economy is not None
    assert s.chosen.economy.facility_power_W is not None
    assert s.chosen.economy.facility_power_W <= 2e6
    within = [c for c in s.candidates if c.within]
    assert all(c.wall_time_s is not None and c.wall_time_s >= s.chosen.wall_time_s for c in within)
    larger = api.train(MODEL, "dgx-h100", TOKENS, count=s.chosen.devices + 8, catalog=catalog)
    assert larger.economy is not None and larger.economy.facility_power_W is not None
    assert (larger.economy.facility_power_W > 2e6
            or larger.wall_time_s >= s.chosen.wall_time_s)  # the next count is over or slower
    assert any(c.within is False for c in s.candidates)  # the ladder reached the budget


@pytest.mark.parametrize("system", ["cs-3", "dgx-b200"])
def test_a_money_budget_takes_the_fastest_run_within_it(sized, system):
    s = sized(system, budget_usd=2e7 if system == "cs-3" else 5e6)  # buy the cluster, run it
    assert s.chosen is not None and s.chosen.economy is not None
    outlay = s.chosen.economy.outlay_usd
    assert outlay is not None and s.chosen.cost_usd is not None
    assert s.chosen.cost_usd < outlay <= s.budget.limit  # the purchase, not its amortised share
    for c in s.candidates:
        if c.within:
            assert c.wall_time_s is not None and c.wall_time_s >= s.chosen.wall_time_s
    above = [c for c in s.candidates if c.devices > s.chosen.devices and c.infeasible is None]
    assert above, "the search looked past the chosen count"
    if s.binding == "money":
        assert above[0].within is False
    else:
        assert s.binding == "scaling" and above[0].wall_time_s >= s.chosen.wall_time_s


def test_unknown_power_is_a_reason_not_a_crash(sized):
    s = sized("trn2-ultraserver", power_W=5e6)
    assert s.chosen is None and s.binding is None
    assert s.reason is not None and "facility power is unknown" in s.reason
    assert "not in the catalog" in s.reason  # the economics note naming the missing input
    assert s.to_json()["devices"] is None


def test_unknown_price_is_a_reason(catalog):
    s = api.size_training("llama-3.1-70b", "atlas-800t-a2", 15e12, budget_usd=2e7, catalog=catalog)
    assert s.chosen is None and s.reason is not None and "cost is unknown" in s.reason
    assert "purchase price" in s.reason


def test_a_deadline_nothing_meets_says_how_close_it_came(catalog):
    s = api.size_training(MODEL, "cs-2", TOKENS, deadline_s=3600.0, catalog=catalog)
    assert s.chosen is None
    assert s.reason is not None and s.reason.startswith("even ") and "the deadline is 1 h" in s.reason
    assert max(c.devices for c in s.candidates) == 192  # the largest CS-2 cluster


def test_infeasible_counts_are_skipped_and_recorded(catalog):
    s = api.size_training("llama-3.1-70b", "dgx-h100", 1e12, deadline_s=30 * DAY_S, catalog=catalog)
    skipped = [c for c in s.candidates if c.infeasible is not None]
    assert skipped and "does not fit" in skipped[0].infeasible
    assert s.chosen is not None and s.chosen.devices > max(c.devices for c in skipped)


def test_the_ladder_is_whole_nodes_up_to_the_largest_cluster(catalog):
    per_node, rungs = ladder(resolve(catalog, "atlas-800t-a2"))
    assert per_node == 8 and rungs[0] == 8 and rungs[-1] == 2250 * 8
    assert all(n % 8 == 0 for n in rungs) and rungs == sorted(set(rungs))
    per_node, rungs = ladder(resolve(catalog, "dgx-h100"))  # no largest cluster catalogued
    assert rungs[-1] == MAX_SIZED_DEVICES and all(b == 2 * a for a, b in zip(rungs, rungs[1:], strict=False))


@pytest.mark.parametrize("kwargs, parameter", [
    ({"usd": 0.0}, "budget_usd"), ({"usd": -5.0}, "budget_usd"),
    ({"facility_power_W": math.nan}, "power_W"), ({"deadline_s": math.inf}, "deadline_s"),
    ({"deadline_s": True}, "deadline_s"), ({}, "budget_usd"),
    ({"usd": 1e6, "deadline_s": 1e6}, "budget_usd"),
])
def test_bad_budgets_name_the_parameter(kwargs, parameter):
    with pytest.raises(ParameterError) as err:
        Budget(**kwargs)
    assert err.value.parameter == parameter and parameter in str(err.value)


def test_two_budgets_name_both(catalog):
    with pytest.raises(ParameterError, match="budget_usd and deadline_s"):
        api.size_training(MODEL, "dgx-h100", TOKENS, budget_usd=1e6, deadline_s=1e6,
                          catalog=catalog)


def test_compare_sizes_the_training_columns(catalog):
    budget = Budget(deadline_s=10 * DAY_S)
    rows = api.compare(MODEL, ["cs-3", "trn2-ultraserver"], groups=("training",), catalog=catalog,
                       options={"training": {"tokens": TOKENS, "budget": budget}})
    cs3 = rows[0].columns
    assert cs3["train_binding"] == "deadline" and cs3["train_budget"]["deadline_s"] == 10 * DAY_S
    assert cs3["train_devices"] == cs3["train_sizing"]["devices"]
    assert cs3["train_wall_time_s"] <= 10 * DAY_S
    assert "train_devices" in rows[1].columns  # a deadline needs no power or price
