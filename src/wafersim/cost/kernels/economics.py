"""Energy and money of a run: power of chips, hosts and memory services, PUE, prices.

Energy = power x time x PUE (per component, summed). Cost prefers a rental price per node-hour
or chip-hour from the catalog; without one it amortises the purchase price over a service life
and adds the electricity. Every default used is returned as an assumption string.
"""

from __future__ import annotations

from dataclasses import dataclass

from wafersim.catalog.schema import Quantity
from wafersim.catalog.system import System
from wafersim.units import HOUR_S

DEFAULT_PUE = 1.2  # assumption: modern AI data centre; hyperscalers report ~1.1, industry mean ~1.5
SERVICE_LIFE_S = 4 * 365 * 24 * HOUR_S  # assumption: 4-year depreciation of purchased hardware
ELECTRICITY_USD_PER_J = 0.08 / 3.6e6  # assumption: $0.08 per kWh


@dataclass(frozen=True)
class Economics:
    power_W: float  # IT power while training, before PUE
    energy_J: float
    cost_usd: float | None
    assumptions: tuple[str, ...]


def _v(q: Quantity | None) -> float | None:
    return None if q is None else q.value


def _pue(system: System) -> tuple[float, list[str]]:
    pue = _v(system.cluster.pue_ratio) if system.cluster else None
    if pue is not None:
        return pue, []
    return DEFAULT_PUE, [f"PUE {DEFAULT_PUE} (assumed; no PUE in the catalog for {system.id})"]


def _power(system: System) -> tuple[float, list[str]]:
    notes: list[str] = []
    power = system.power_W
    if power is None:
        power = 0.0
        notes.append(f"power of {system.id} unknown: energy counts no accelerator power")
    ms = system.memory_service
    if ms is not None:
        ms_power = _v(ms.power_W)
        if ms_power is None:
            notes.append(f"{ms.id} power unknown: not counted")
        else:
            power += ms_power
    return power, notes


def _rental(system: System, wall_s: float) -> float | None:
    node_price = _v(system.node.cloud_price_usd_per_hour) if system.node else None
    if node_price is not None:
        return system.nodes * node_price * wall_s / HOUR_S
    chip_price = _v(system.chip.cloud_price_usd_per_hour)
    return None if chip_price is None else system.chips * chip_price * wall_s / HOUR_S


def _owned(system: System, wall_s: float, energy_J: float) -> float | None:
    node_capex = _v(system.node.price_usd) if system.node else None
    capex = node_capex * system.nodes if node_capex is not None else None
    chip_price = _v(system.chip.price_usd)
    if capex is None and chip_price is not None:
        capex = system.chips * chip_price
    if capex is None:
        return None
    return capex * wall_s / SERVICE_LIFE_S + energy_J * ELECTRICITY_USD_PER_J


def economics(system: System, wall_s: float) -> Economics:
    """Energy and cost of running `system` for `wall_s` seconds."""
    power, notes = _power(system)
    pue, pue_notes = _pue(system)
    energy = power * wall_s * pue
    cost = _rental(system, wall_s)
    if cost is None:
        cost = _owned(system, wall_s, energy)
        if cost is not None:
            notes.append("cost = purchase price over a 4-year life (assumed) + electricity at "
                          "$0.08/kWh (assumed); no rental price in the catalog")
        else:
            notes.append(f"no price for {system.id} in the catalog: cost unknown")
    return Economics(power, energy, cost, tuple(notes + pue_notes))
