"""The scale-out fabric's bill of switch ports and optics (`cost/kernels/network.py`)."""

from dataclasses import replace

import pytest

from wafersim.catalog.system import resolve
from wafersim.cost.kernels.network import fabric_bill


def test_tiers_grow_with_the_endpoints(catalog):
    h100 = resolve(catalog, "dgx-h100")
    bills = [fabric_bill(h100.with_devices(n)) for n in (16, 1024, 16384)]
    assert [b.endpoints for b in bills] == [16, 1024, 16384]
    # a non-blocking fat tree of radix-64 switches: 2t - 1 ports per endpoint, 2t optics
    assert [b.switch_ports / b.endpoints for b in bills] == [1, 3, 5]
    assert [b.transceivers / b.endpoints for b in bills] == [2, 4, 6]
    assert "3 tier(s)" in bills[-1].notes[0]


def test_ports_per_device_come_from_the_bandwidths(catalog):
    cs3 = fabric_bill(resolve(catalog, "cs-3").with_devices(4))  # 150 GB/s of I/O, 12.5 GB/s links
    assert cs3.endpoints == 4 * 12
    h100 = fabric_bill(resolve(catalog, "dgx-h100").with_devices(16))  # one 400G NIC per GPU
    assert h100.endpoints == 16


def test_the_bill_is_priced_and_powered_at_the_site_figures(catalog):
    bill = fabric_bill(resolve(catalog, "dgx-h100").with_devices(1024))
    assert bill.price_usd == pytest.approx(bill.switch_ports * 600 + bill.transceivers * 1000)
    assert bill.power_W == pytest.approx(bill.switch_ports * 25 + bill.transceivers * 12)


def test_direct_topologies_use_no_switch_ports(catalog):
    h100 = resolve(catalog, "dgx-h100").with_devices(1024)
    assert h100.scale_out is not None
    torus = replace(h100, scale_out=h100.scale_out.model_copy(update={"topology": "torus_3d"}))
    bill = fabric_bill(torus)
    assert bill.endpoints == 1024
    assert bill.switch_ports == 0
    assert bill.transceivers == 2 * 1024  # one link per endpoint
    assert bill.price_usd == pytest.approx(2 * 1024 * 1000)


def test_a_single_node_has_no_fabric(catalog):
    for system_id in ("dgx-h100", "gb200-nvl72", "cs-3"):
        bill = fabric_bill(resolve(catalog, system_id))
        assert (bill.endpoints, bill.switch_ports, bill.transceivers) == (0, 0, 0)
        assert bill.price_usd == 0 and bill.power_W == 0 and bill.notes == ()
