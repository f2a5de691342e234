"""The scale-out fabric a system needs, as a bill of switch ports and optical modules.

A system of more than one node joins its nodes over its scale-out network (and a wafer cluster its
systems over the broadcast/reduce tree). Each accelerator has as many endpoints as its scale-out
bandwidth needs links. A switched fabric of t tiers is non-blocking (Leiserson 1985, fat tree):
each endpoint uses 2t - 1 switch ports and t links of two optical modules; t is the fewest tiers
of the network's radix-r switches that hold the endpoints (2 (r/2)^t).
Direct-connect fabrics (torus, ring, mesh) use one link per endpoint and no switch. Scale-up
domains (NVLink, ICI) are inside the node's price and power. Prices and powers per port and
module are the site's defaults.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from wafersim.catalog.schema import Network, Quantity
from wafersim.catalog.system import System
from wafersim.memo import memoised

DIRECT = frozenset({"torus_2d", "torus_3d", "ring", "full_mesh", "point_to_point"})
DEFAULT_RADIX = 64  # an NDR InfiniBand switch (Quantum-2 QM9700) where the network gives none


def figure(q: Quantity) -> float:
    """A site's figure: every one is known (the catalog refuses a site with an unknown one)."""
    assert q.value is not None, "Site validation refuses unknown figures"
    return q.value


@dataclass(frozen=True)
class FabricBill:
    endpoints: int
    switch_ports: float
    transceivers: float
    price_usd: float
    power_W: float
    notes: tuple[str, ...]


@memoised(identity=(System,))
def fabric_bill(system: System) -> FabricBill:
    """Switch ports and optics of `system`'s scale-out (or broadcast/reduce) fabric (memoised:
    power, capex and failure rates all read it)."""
    net = system.broadcast_reduce or system.scale_out
    if system.nodes < 2 or net is None:
        return FabricBill(0, 0.0, 0.0, 0.0, 0.0, ())
    endpoints = system.devices * _ports_per_device(system, net)
    tiers = _tiers(net, endpoints)
    switch_ports = 0.0 if net.topology in DIRECT else (2 * tiers - 1) * endpoints
    transceivers = 2.0 * endpoints * (1 if net.topology in DIRECT else tiers)
    site = system.site
    assert site is not None, "resolve() gives every system a site"
    price = (switch_ports * figure(site.switch_port_price_usd)
             + transceivers * figure(site.transceiver_price_usd))
    watts = (switch_ports * figure(site.switch_port_power_W)
             + transceivers * figure(site.transceiver_power_W))
    note = (f"{net.id}: {endpoints:,} endpoints, {tiers} tier(s), {switch_ports:,.0f} switch ports "
            f"and {transceivers:,.0f} optical modules at the site's prices and powers")
    return FabricBill(endpoints, switch_ports, transceivers, price, watts, (note,))


def _ports_per_device(system: System, net: Network) -> int:
    """Links one accelerator needs to carry its scale-out bandwidth (1 where not catalogued)."""
    need = system.chip.scale_out_bandwidth_Bps or system.chip.io_bandwidth_Bps
    link = net.link_bandwidth_Bps
    if need is None or need.value is None or link is None or link.value is None:
        return 1
    return max(1, math.ceil(need.value / link.value - 1e-9))


def _tiers(net: Network, endpoints: int) -> int:
    """The fewest tiers of the network's switches that hold `endpoints`."""
    radix = net.switch_radix_count.value if net.switch_radix_count else None
    half = (radix or DEFAULT_RADIX) / 2
    tiers = 1
    while 2 * half**tiers < endpoints and tiers < 8:
        tiers += 1
    return tiers
