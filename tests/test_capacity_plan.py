"""Capacity planning: the cheapest fleet that meets a p99 TTFT and TPOT SLO at a rate."""

import pytest

from wafersim.api import plan_fleet, simulate_serving
from wafersim.errors import ParameterError

SLO = dict(slo_ttft_s=0.5, slo_tpot_s=0.05)


@pytest.fixture(scope="module")
def plan(catalog):
    return plan_fleet("llama-3.1-8b", "dgx-h100,h100-sxm", 20.0, **SLO, input_tokens=512,
                      output_tokens=256, catalog=catalog)


def test_the_best_fleet_meets_the_slo_at_p99_and_is_the_cheapest(plan):
    best = plan.best
    assert best is not None and best.meets
    assert best.ttft_p99_s <= 0.5 and best.tpot_p99_s <= 0.05
    prices = [o.usd_per_hour for o in (best, *plan.runners_up)]
    assert all(p is not None for p in prices) and prices == sorted(prices)


def test_one_replica_fewer_misses_the_slo_or_is_layer_1s_bound(plan, catalog):
    best = plan.best
    tried = [o for o in plan.tried if o.system == best.system
             and o.devices // o.replicas == best.devices // best.replicas]
    assert tried[-1] == best  # the search stopped at the first fleet that met it
    assert all(not o.meets for o in tried[:-1])


def test_the_fleet_really_serves_the_rate_within_the_slo(plan, catalog):
    best = plan.best
    run = simulate_serving("llama-3.1-8b", best.system, requests=2000, rate_per_s=20.0,
                           input_tokens=512, output_tokens=256, count=best.devices // best.replicas,
                           replicas=best.replicas, router="least-tokens", catalog=catalog, **SLO)
    assert run.ttft_s["p99"] <= 0.5 and run.slo_attainment >= 0.99


def test_a_ttft_slo_below_one_request_alone_is_refused_with_the_reason(catalog):
    p = plan_fleet("llama-3.1-70b", "dgx-a100", 1.0, slo_ttft_s=0.001, slo_tpot_s=0.05,
                   catalog=catalog)
    assert p.best is None and "dgx-a100" in p.refused
    assert "first token" in p.refused["dgx-a100"]


def test_more_traffic_needs_at_least_as_costly_a_fleet(catalog):
    low, high = (plan_fleet("llama-3.1-8b", "h100-sxm", rate, **SLO, input_tokens=512,
                            output_tokens=256, catalog=catalog).best for rate in (5.0, 40.0))
    assert low is not None and high is not None
    assert high.usd_per_hour >= low.usd_per_hour and high.devices >= low.devices


@pytest.mark.parametrize("rate", [0.0, -1.0, float("nan"), float("inf")])
def test_a_rate_that_is_not_a_positive_number_is_refused(rate, catalog):
    with pytest.raises(ParameterError, match="rate_per_s"):
        plan_fleet("llama-3.1-8b", "h100-sxm", rate, **SLO, catalog=catalog)


def test_serve_plan_on_the_command_line(cli):
    r = cli("serve", "plan", "--model", "llama-3.1-8b", "--system", "h100-sxm,dgx-h100",
            "--rate", "10", "--slo", "ttft=500ms,tpot=50ms", "--json")
    assert r.code == 0, r.err
    data = r.json()
    assert data["best"]["meets"] and data["slo"] == {"ttft_s": 0.5, "tpot_s": 0.05}
    text = cli("serve", "plan", "--model", "llama-3.1-8b", "--system", "h100-sxm", "--rate", "10",
               "--slo", "ttft=500ms,tpot=50ms")
    assert text.code == 0 and "best" in text.out and "$/hour (tco)" in text.out


def test_serve_plan_needs_both_bounds(cli):
    r = cli("serve", "plan", "--model", "llama-3.1-8b", "--system", "h100-sxm", "--rate", "10",
            "--slo", "ttft=500ms")
    assert r.code == 2 and r.err.count("\n") == 1 and "--slo" in r.err
