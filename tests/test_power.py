"""Power from the chip to the wall: node draw between idle and busy, hosts, fabric, memory
service and PUE; unknown power is None with the missing input named (`cost/kernels/power.py`)."""

import pytest

from wafersim.catalog.system import resolve
from wafersim.cost.kernels.economics import economics, unknown_inputs
from wafersim.cost.kernels.power import UNCATALOGUED, power


def test_draw_runs_from_the_idle_to_the_busy_share_of_the_peak(catalog):
    pw = power(resolve(catalog, "dgx-h100"))
    idle, busy, half = pw.draw_W(0.0), pw.draw_W(1.0), pw.draw_W(0.5)
    assert idle is not None and busy is not None and half is not None
    assert idle["nodes_W"] == pytest.approx(10_200 * 0.15)  # DGX H100 10.2 kW, idle 15 %
    assert busy["nodes_W"] == pytest.approx(10_200 * 0.9)
    assert half["nodes_W"] == pytest.approx((idle["nodes_W"] + busy["nodes_W"]) / 2)


def test_a_node_with_its_host_figure_needs_no_host_ratio(catalog):
    pw = power(resolve(catalog, "dgx-h100"))
    assert pw.hosts_peak_W == 4_600  # the datasheet's host share
    assert not [n for n in pw.notes if "host power" in n]


def test_a_partial_node_counts_its_share_of_the_host_figure(catalog):
    pw = power(resolve(catalog, "dgx-h100").with_devices(12))
    assert pw.nodes_peak_W == pytest.approx(12 * 700 + 12 / 8 * 4_600)
    assert not [n for n in pw.notes if "host power" in n]


def test_the_host_ratio_is_used_only_without_a_host_figure_and_is_noted(catalog):
    system = resolve(catalog, "atlas-800t-a2")  # no node power, no host figure
    pw = power(system)
    assert pw.hosts_peak_W == pytest.approx(0.8 * 400 * 8)
    assert pw.nodes_peak_W == pytest.approx(1.8 * 400 * 8)
    assert [n for n in pw.notes if "host power of atlas-800t-a2 not catalogued: 0.8 x" in n]


def test_unknown_power_is_none_and_names_what_is_missing(catalog):
    system = resolve(catalog, "trn2-ultraserver")
    pw = power(system)
    assert pw.nodes_peak_W is None and pw.draw_W(1.0) is None and pw.peak_it_W is None
    missing = [n for n in pw.notes if UNCATALOGUED in n]
    assert missing and "no node power, no chip TDP" in missing[0]
    run = economics(system, 3600.0)
    assert run.power_W is None and run.facility_power_W is None and run.energy_J is None
    assert unknown_inputs(run.assumptions)


def test_a_catalogued_clusters_power_covers_its_fabric_and_memory_service(catalog):
    system = resolve(catalog, "andromeda")  # 16 CS-2 with MemoryX and SwarmX, 500 kW
    assert system.memory_service is not None and system.broadcast_reduce is not None
    pw = power(system)
    assert pw.nodes_peak_W == 500_000
    assert pw.network_W == 0 and pw.memory_service_W == 0
    assert [n for n in pw.notes if "covers its systems, fabric and memory service" in n]
    loose = power(resolve(catalog, "cs-2").with_devices(16))  # the same systems, uncatalogued
    assert loose.network_W > 0 and loose.memory_service_W > 0


def test_the_facility_draws_the_it_power_times_the_pue(catalog):
    system = resolve(catalog, "dgx-h100").with_devices(1024)
    run = economics(system, 3600.0, activity=0.7)
    assert system.site is not None and system.site.pue_ratio.value == 1.2
    assert run.power_W == pytest.approx(sum(run.power_breakdown.values()))
    assert run.facility_power_W == pytest.approx(run.power_W * 1.2)
    assert run.energy_J == pytest.approx(run.facility_power_W * 3600.0)
