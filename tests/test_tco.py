"""Cost on one basis at a time: owning the hardware (capex over its life, facility rent,
electricity) or renting it by the hour; never mixed (`cost/kernels/tco.py`, `economics.py`)."""

import pytest

from wafersim.catalog.system import resolve
from wafersim.cost.kernels.economics import economics, serving_economics, unknown_inputs
from wafersim.cost.kernels.network import fabric_bill
from wafersim.cost.kernels.tco import capex, rental_usd_per_hour
from wafersim.units import HOUR_S

DAY_S = 86_400.0
YEAR_S = 365.25 * DAY_S


def test_tco_is_capex_over_the_life_plus_facility_plus_electricity(catalog):
    system = resolve(catalog, "dgx-h100").with_devices(1024)
    run = economics(system, DAY_S, activity=0.8)
    assert run.basis == "tco"
    assert set(run.cost_breakdown) == {"capex_usd", "facility_usd", "electricity_usd"}
    assert run.cost_usd == pytest.approx(sum(run.cost_breakdown.values()))
    bought = capex(system).total_usd
    assert bought is not None
    assert bought == pytest.approx(128 * 300_000 + fabric_bill(system).price_usd)
    assert run.cost_breakdown["capex_usd"] == pytest.approx(bought * DAY_S / (5 * YEAR_S))
    assert run.energy_J is not None
    assert run.cost_breakdown["electricity_usd"] == pytest.approx(run.energy_J / 3.6e6 * 0.08)


def test_facility_rent_is_on_the_provisioned_load_not_the_draw(catalog):
    system = resolve(catalog, "dgx-h100").with_devices(64)
    idle, busy = economics(system, DAY_S, 0.0), economics(system, DAY_S, 1.0)
    assert idle.cost_breakdown["facility_usd"] == pytest.approx(busy.cost_breakdown["facility_usd"])
    assert idle.cost_breakdown["electricity_usd"] < busy.cost_breakdown["electricity_usd"]


def test_rental_is_the_hourly_price_times_the_time(catalog):
    system = resolve(catalog, "dgx-h100").with_devices(64).priced("rental")
    run = economics(system, 10 * HOUR_S)
    assert run.basis == "rental"
    assert run.cost_breakdown == {"rental_usd": pytest.approx(8 * 98.32 * 10)}
    assert run.cost_usd == pytest.approx(8 * 98.32 * 10)
    assert rental_usd_per_hour(system)[0] == pytest.approx(8 * 98.32)


def test_no_purchase_price_is_none_on_tco_and_names_the_other_basis(catalog):
    system = resolve(catalog, "mi300x-platform")  # rented by the hour, no purchase price
    owned = economics(system, DAY_S)
    assert owned.cost_usd is None and owned.cost_breakdown == {}
    missing = unknown_inputs(owned.assumptions)
    assert missing and "purchase price of mi300x-platform" in missing[0]
    assert "pricing 'rental'" in missing[0]
    rented = economics(system.priced("rental"), DAY_S)
    assert rented.cost_usd == pytest.approx(15.92 * 24)


def test_no_rental_price_is_none_on_rental_and_names_the_other_basis(catalog):
    rented = economics(resolve(catalog, "dgx-b200").priced("rental"), DAY_S)
    assert rented.cost_usd is None
    missing = unknown_inputs(rented.assumptions)
    assert missing and "rental price of dgx-b200" in missing[0] and "pricing 'tco'" in missing[0]


@pytest.mark.parametrize("basis", ["tco", "rental"])
@pytest.mark.parametrize("system_id", ["dgx-h100", "dgx-b200", "mi300x-platform", "cs-3"])
def test_a_result_is_on_the_basis_asked_for_and_no_other(catalog, basis, system_id):
    run = economics(resolve(catalog, system_id).priced(basis), DAY_S)
    assert run.basis == basis and run.to_json()["cost_basis"] == basis
    parts = {"tco": {"capex_usd", "facility_usd", "electricity_usd"}, "rental": {"rental_usd"}}
    assert set(run.cost_breakdown) <= parts[basis]
    other = ({"tco", "rental"} - {basis}).pop()
    assert [n for n in run.assumptions if n.startswith(f"basis {basis}")]
    assert not [n for n in run.assumptions if n.startswith(f"basis {other}")]


def test_serving_leaves_out_the_memory_service_and_its_tree(catalog):
    system = resolve(catalog, "cs-3").with_devices(4)
    assert system.memory_service is not None and system.broadcast_reduce is not None
    training, serving = economics(system, DAY_S), serving_economics(system, DAY_S)
    assert training.power_breakdown["memory_service_W"] > 0
    assert training.power_breakdown["network_W"] > 0
    assert serving.power_breakdown["memory_service_W"] == 0
    assert serving.cost_usd is not None and training.cost_usd is not None
    assert serving.cost_usd < training.cost_usd
    assert [n for n in training.assumptions if n.startswith("swarmx-cs3")]
    assert not [n for n in serving.assumptions if "memoryx" in n or "swarmx" in n]
