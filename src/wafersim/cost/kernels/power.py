"""Power of a running system, from the chip to the wall.

Each node (accelerators and their host) draws between an idle and a busy share of its peak by the
share of time its accelerators compute (the site's fractions, Patel et al., ASPLOS 2024). A node's
peak is its catalogued power; without one, the accelerators' TDP plus the host (the node's host
figure, else the site's host-to-TDP ratio). The scale-out fabric draws per switch port and per
optical module (`network.py`); a memory service its own power, else the site's power per byte of
capacity. The facility multiplies IT power by the PUE. An unknown part is None with the reason,
never zero.
"""

from __future__ import annotations

from dataclasses import dataclass

from wafersim.catalog.schema import Quantity
from wafersim.catalog.system import System
from wafersim.cost.kernels.network import fabric_bill, figure

UNCATALOGUED = "not in the catalog"  # every note naming an input whose figure is therefore None


def value(q: Quantity | None) -> float | None:
    """A quantity's SI value; None when absent or unknown."""
    return None if q is None else q.value


@dataclass(frozen=True)
class Power:
    """Peak power of a system's parts (W) and what they draw at an activity; None: unknown."""

    nodes_peak_W: float | None  # accelerators and hosts at full load
    hosts_peak_W: float | None  # the hosts' share of `nodes_peak_W` (0 when inside the node figure)
    network_W: float  # scale-out switch ports and optics
    memory_service_W: float  # memory service (MemoryX) servers; 0 without one
    idle_fraction: float
    busy_fraction: float
    pue: float
    notes: tuple[str, ...]

    def draw_W(self, activity: float) -> dict[str, float] | None:
        """IT power by part while the accelerators compute `activity` of the time; None: unknown."""
        if self.nodes_peak_W is None:
            return None
        share = self.idle_fraction + (self.busy_fraction - self.idle_fraction) * activity
        return {"nodes_W": self.nodes_peak_W * share, "network_W": self.network_W,
                "memory_service_W": self.memory_service_W}

    @property
    def peak_it_W(self) -> float | None:
        """Provisioned IT load: every part at its peak (what facility rent is paid on)."""
        if self.nodes_peak_W is None:
            return None
        return self.nodes_peak_W + self.network_W + self.memory_service_W


def power(system: System) -> Power:
    """The peak power of `system`'s parts, with notes on every default used."""
    site = system.site
    assert site is not None, "resolve() gives every system a site"
    nodes, hosts, notes = _nodes_peak(system)
    fabric = fabric_bill(system)
    ms_W, ms_notes = _memory_service_W(system)
    return Power(nodes, hosts, 0.0 if _inside_cluster(system) else fabric.power_W, ms_W,
                 figure(site.idle_power_fraction), figure(site.busy_power_fraction),
                 figure(site.pue_ratio), tuple(notes) + fabric.notes + tuple(ms_notes))


def _inside_cluster(system: System) -> bool:
    """A catalogued cluster's power and price cover its fabric and memory service."""
    return system.cluster is not None and value(system.cluster.power_W) is not None


def _nodes_peak(system: System) -> tuple[float | None, float | None, list[str]]:
    """Peak of the accelerators with their hosts, the hosts' share, and the notes."""
    if _inside_cluster(system):
        assert system.cluster is not None
        return value(system.cluster.power_W), 0.0, [
            f"{system.cluster.id}: the catalogued power covers its systems, fabric and memory service"]
    node, tdp = system.node, value(system.chip.tdp_W)
    node_W = value(node.power_W) if node is not None else None
    host_W = value(node.host_power_W) if node is not None else None
    if node_W is not None and system.devices % system.devices_per_node == 0:
        hosts = host_W if host_W is not None else (node_W - tdp * system.devices_per_node
                                                  if tdp is not None else 0.0)
        return node_W * system.nodes, max(hosts, 0.0) * system.nodes, []
    if tdp is None:
        return None, None, [f"power of {system.id} {UNCATALOGUED} (no node power, no chip TDP): "
                            "energy unknown"]
    if host_W is not None:
        hosts = host_W * system.devices / system.devices_per_node
        return tdp * system.devices + hosts, hosts, []
    assert system.site is not None, "resolve() gives every system a site"
    ratio = figure(system.site.host_power_ratio)
    hosts = ratio * tdp * system.devices
    return tdp * system.devices + hosts, hosts, [
        f"host power of {system.id} not catalogued: {ratio:g} x the accelerators' TDP (site "
        "default, from DGX datasheets)"]


def _memory_service_W(system: System) -> tuple[float, list[str]]:
    ms, site = system.memory_service, system.site
    if ms is None or _inside_cluster(system):
        return 0.0, []
    known = value(ms.power_W)
    if known is not None:
        return known, []
    assert site is not None, "resolve() gives every system a site"
    watts = figure(site.memory_service_power_W_per_byte) * (ms.capacity_bytes.value or 0.0)
    return watts, [f"{ms.id} power not catalogued: {watts / 1e3:.3g} kW from its capacity at the "
                   "site's power per TB (assumed)"]
