"""What a system costs to buy, or to rent, on one basis at a time.

Capex is the catalogued cluster's price; else the nodes' price; else the accelerators' price plus
one host per node at the site's host price. The scale-out fabric adds its switch ports and optics
(`network.py`), a memory service its price, else the site's price per byte of its capacity.
Rental is the node's hourly price, else the accelerators'. A basis whose price is not in the
catalog gives None, with the reason and the other basis to try.
"""

from __future__ import annotations

from dataclasses import dataclass

from wafersim.catalog.system import System
from wafersim.cost.kernels.network import fabric_bill, figure
from wafersim.cost.kernels.power import UNCATALOGUED, value


@dataclass(frozen=True)
class Capex:
    """Purchase prices by part (USD); `systems_usd` None when the catalog has no price."""

    systems_usd: float | None
    network_usd: float
    memory_service_usd: float
    notes: tuple[str, ...]

    @property
    def total_usd(self) -> float | None:
        if self.systems_usd is None:
            return None
        return self.systems_usd + self.network_usd + self.memory_service_usd


def capex(system: System) -> Capex:
    """The purchase price of `system`'s parts, with notes on every default used."""
    cluster = system.cluster
    if cluster is not None and value(cluster.price_usd) is not None:
        return Capex(value(cluster.price_usd), 0.0, 0.0, (
            f"{cluster.id}: the catalogued price covers its systems, fabric and memory service",))
    systems, notes = _systems_usd(system)
    fabric = fabric_bill(system)
    ms_usd, ms_notes = _memory_service_usd(system)
    return Capex(systems, fabric.price_usd, ms_usd, tuple(notes + ms_notes))


def _systems_usd(system: System) -> tuple[float | None, list[str]]:
    node = system.node
    node_usd = value(node.price_usd) if node is not None else None
    if node_usd is not None:
        return node_usd * system.nodes, []
    chip_usd = value(system.chip.price_usd)
    if chip_usd is None:
        return None, [f"purchase price of {system.id} {UNCATALOGUED}: cost on basis 'tco' unknown "
                      "(use pricing 'rental' where it is rented)"]
    assert system.site is not None, "resolve() gives every system a site"
    host = figure(system.site.host_price_usd)
    if node is None:
        return chip_usd * system.devices, []
    return chip_usd * system.devices + host * system.nodes, [
        f"{node.id} price not catalogued: accelerators at their price plus ${host:,.0f} per host "
        "(site default)"]


def _memory_service_usd(system: System) -> tuple[float, list[str]]:
    ms, site = system.memory_service, system.site
    if ms is None:
        return 0.0, []
    known = value(ms.price_usd)
    if known is not None:
        return known, []
    assert site is not None, "resolve() gives every system a site"
    usd = figure(site.memory_service_price_usd_per_byte) * (ms.capacity_bytes.value or 0.0)
    return usd, [f"{ms.id} price not catalogued: ${usd:,.0f} from its capacity at the site's "
                 "price per TB (assumed)"]


def rental_usd_per_hour(system: System) -> tuple[float | None, tuple[str, ...]]:
    """The whole system's hourly rental price, or None with the reason."""
    node_price = value(system.node.cloud_price_usd_per_hour) if system.node else None
    if node_price is not None:
        return system.nodes * node_price, ()
    chip_price = value(system.chip.cloud_price_usd_per_hour)
    if chip_price is not None:
        return system.devices * chip_price, ()
    return None, (f"rental price of {system.id} {UNCATALOGUED}: cost on basis 'rental' unknown "
                  "(use pricing 'tco')",)
