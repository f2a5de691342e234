"""Energy and money of a run: power of chips, hosts and memory services, PUE, prices.

Energy = power x time x PUE (per component, summed). Cost prefers a rental price per node-hour
or chip-hour from the catalog; without one it amortises the purchase price over a service life
and adds the electricity. Every default used is returned as an assumption string. A figure whose
input the catalog lacks (the system's power, every price) is None, never zero, and the
assumptions name the missing input.
"""

from __future__ import annotations

from dataclasses import dataclass

from wafersim.catalog.schema import Quantity
from wafersim.catalog.system import System
from wafersim.memo import memoised
from wafersim.units import HOUR_S

DEFAULT_PUE = 1.2  # assumption: modern AI data centre; hyperscalers report ~1.1, industry mean ~1.5
SERVICE_LIFE_S = 4 * 365 * 24 * HOUR_S  # assumption: 4-year depreciation of purchased hardware
ELECTRICITY_USD_PER_J = 0.08 / 3.6e6  # assumption: $0.08 per kWh
UNCATALOGUED = "not in the catalog"  # every note naming an input whose figure is therefore None


@dataclass(frozen=True)
class Economics:
    power_W: float | None  # IT power while running, before PUE; None: not in the catalog
    energy_J: float | None
    cost_usd: float | None
    assumptions: tuple[str, ...]

    def per_token(self, tokens: float) -> tuple[float | None, float | None]:
        """Energy per token (J) and $ per million tokens over `tokens` tokens; None where unknown."""
        energy = None if self.energy_J is None else self.energy_J / tokens
        usd = None if self.cost_usd is None else self.cost_usd / tokens * 1e6
        return energy, usd


def _v(q: Quantity | None) -> float | None:
    return None if q is None else q.value


def _pue(system: System) -> tuple[float, list[str]]:
    pue = _v(system.cluster.pue_ratio) if system.cluster else None
    if pue is not None:
        return pue, []
    return DEFAULT_PUE, [f"PUE {DEFAULT_PUE} (assumed; no PUE in the catalog for {system.id})"]


def _power(system: System) -> tuple[float | None, list[str]]:
    notes: list[str] = []
    power = system.power_W
    if power is None:
        return None, [f"power of {system.id} {UNCATALOGUED}: energy unknown"]
    ms = system.memory_service
    if ms is not None:
        ms_power = _v(ms.power_W)
        if ms_power is None:
            notes.append(f"{ms.id} power unknown: not counted")
        else:
            power += ms_power
    return power, notes


@dataclass(frozen=True)
class _Terms:
    """What a system's energy and cost per second of running depend on, the time aside."""

    power_W: float | None
    pue: float
    rental_usd_per_hour: float | None  # the whole system's rental price
    capex_usd: float | None  # its purchase price, where it has no rental price
    notes: tuple[str, ...]


def _rental(system: System) -> float | None:
    node_price = _v(system.node.cloud_price_usd_per_hour) if system.node else None
    if node_price is not None:
        return system.nodes * node_price
    chip_price = _v(system.chip.cloud_price_usd_per_hour)
    return None if chip_price is None else system.devices * chip_price


def _capex(system: System) -> float | None:
    node_capex = _v(system.node.price_usd) if system.node else None
    capex = node_capex * system.nodes if node_capex is not None else None
    if capex is None and _v(system.chip.price_usd) is not None:
        capex = system.devices * _v(system.chip.price_usd)  # type: ignore[operator]
    return capex


@memoised(identity=(System,))
def _terms(system: System) -> _Terms:
    """Power, PUE and prices of `system`, with the notes on what was assumed (memoised)."""
    power, notes = _power(system)
    pue, pue_notes = _pue(system)
    rental = _rental(system)
    capex = None if rental is not None else _capex(system)
    if rental is None and capex is not None and power is None:
        notes.append(f"rental price of {system.id} {UNCATALOGUED}, and its purchase price needs "
                     "the electricity: cost unknown")
    elif rental is None and capex is not None:
        notes.append("cost = purchase price over a 4-year life (assumed) + electricity at "
                     "$0.08/kWh (assumed); no rental price in the catalog")
    elif rental is None:
        notes.append(f"price of {system.id} {UNCATALOGUED}: cost unknown")
    return _Terms(power, pue, rental, capex, tuple(notes + (pue_notes if power is not None else [])))


def unknown_inputs(notes: tuple[str, ...]) -> list[str]:
    """The notes among `notes` that name an uncatalogued input (its figure is None)."""
    return [n for n in notes if UNCATALOGUED in n]


def economics(system: System, wall_s: float) -> Economics:
    """Energy and cost of running `system` for `wall_s` seconds."""
    t = _terms(system)
    energy = None if t.power_W is None else t.power_W * wall_s * t.pue
    cost = None
    if t.rental_usd_per_hour is not None:
        cost = t.rental_usd_per_hour * wall_s / HOUR_S
    elif t.capex_usd is not None and energy is not None:
        cost = t.capex_usd * wall_s / SERVICE_LIFE_S + energy * ELECTRICITY_USD_PER_J
    return Economics(t.power_W, energy, cost, t.notes)
