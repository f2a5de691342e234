"""Energy and money of a run, on one cost basis: owning the hardware (TCO) or renting it.

Energy = IT power at the run's activity x time x PUE (`power.py`). On basis ``tco`` the cost is
the purchase price written off over the site's depreciation life, facility rent on the
provisioned IT load, and the electricity (`tco.py`); on basis ``rental`` it is the hourly rental
price x time, which includes all of those. The basis is the system's (`System.priced`); a figure
whose input the catalog lacks is None, never zero, and the assumptions name the missing input.
Every result carries its basis, its parts adding up to the total, and the assumptions it used.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from wafersim.catalog.system import System
from wafersim.cost.kernels.network import figure
from wafersim.cost.kernels.power import UNCATALOGUED, Power, power
from wafersim.cost.kernels.tco import Capex, capex, rental_usd_per_hour
from wafersim.memo import memoised
from wafersim.units import HOUR_S, UNITS, YEAR_S

__all__ = ["UNCATALOGUED", "Economics", "busy_share", "economics", "serving_economics",
           "unknown_inputs"]


@dataclass(frozen=True)
class Economics:
    """Power, energy and cost of running a system for a while, on one cost basis."""

    basis: str  # "tco" or "rental"
    power_W: float | None  # IT power at the run's activity, before PUE; None: not in the catalog
    facility_power_W: float | None  # from the wall: IT power x PUE
    energy_J: float | None  # from the wall
    cost_usd: float | None
    cost_breakdown: dict[str, float] = field(default_factory=dict)  # sums to cost_usd
    power_breakdown: dict[str, float] = field(default_factory=dict)  # IT W by part
    assumptions: tuple[str, ...] = ()
    purchase_usd: float | None = None  # basis tco: buying the whole system (None on rental)

    @property
    def outlay_usd(self) -> float | None:
        """Money the run needs in hand: on basis tco the purchase of the system plus its facility
        and electricity over the run; on basis rental the rental bill (= cost_usd)."""
        if self.basis == "rental" or self.cost_usd is None:
            return self.cost_usd
        if self.purchase_usd is None:
            return None
        running = self.cost_breakdown.get("facility_usd", 0.0) + self.cost_breakdown.get(
            "electricity_usd", 0.0)
        return self.purchase_usd + running

    def per_token(self, tokens: float) -> tuple[float | None, float | None]:
        """Energy per token (J) and $ per million tokens over `tokens` tokens; None where unknown."""
        energy = None if self.energy_J is None else self.energy_J / tokens
        usd = None if self.cost_usd is None else self.cost_usd / tokens * 1e6
        return energy, usd

    def scaled(self, factor: float) -> Economics:
        """The same run stretched `factor` times longer at the same power (lost work redone)."""
        def times(x: float | None) -> float | None:
            return None if x is None else x * factor
        return Economics(self.basis, self.power_W, self.facility_power_W, times(self.energy_J),
                         times(self.cost_usd), {k: v * factor for k, v in self.cost_breakdown.items()},
                         dict(self.power_breakdown), self.assumptions, self.purchase_usd)

    def to_json(self) -> dict[str, object]:
        return {"cost_basis": self.basis, "power_W": self.power_W,
                "facility_power_W": self.facility_power_W, "energy_J": self.energy_J,
                "cost_usd": self.cost_usd, "cost_breakdown": dict(self.cost_breakdown),
                "power_breakdown": dict(self.power_breakdown),
                "purchase_usd": self.purchase_usd, "outlay_usd": self.outlay_usd}


@dataclass(frozen=True)
class _Terms:
    """What a system's energy and cost per second depend on, the time and activity aside."""

    power: Power
    capex: Capex
    rental_usd_per_hour: float | None
    life_s: float
    electricity_usd_per_J: float
    facility_usd_per_J: float
    notes: tuple[str, ...]


@memoised(identity=(System,))
def _terms(system: System) -> _Terms:
    """Power, prices and site rates of `system`, with the notes on what was assumed (memoised)."""
    site = system.site
    assert site is not None, "resolve() gives every system a site"
    pw, cx = power(system), capex(system)
    rental, rental_notes = rental_usd_per_hour(system)
    life = figure(site.depreciation_life_s)
    elec, rent = figure(site.electricity_usd_per_J), figure(site.facility_usd_per_J)
    own = (f"basis tco at {site.id}: purchase over {life / YEAR_S:g} years, facility "
           f"${rent / UNITS['usd_per_kW_month'].factor:,.0f}/kW/month of IT load, electricity "
           f"${elec / UNITS['usd_per_kWh'].factor:.3g}/kWh, PUE {pw.pue:g}")
    basis_notes = (own, *cx.notes) if system.pricing == "tco" else (
        ("basis rental: the hourly price covers hardware, facility and electricity",)
        + rental_notes)
    return _Terms(pw, cx, rental, life, elec, rent, pw.notes + basis_notes)


def economics(system: System, wall_s: float, activity: float = 1.0) -> Economics:
    """Energy and cost of running `system` for `wall_s` seconds, its accelerators computing
    `activity` of the time (the rest they wait at the site's idle draw)."""
    t = _terms(system)
    draw = t.power.draw_W(activity)
    it_W = None if draw is None else sum(draw.values())
    wall_W = None if it_W is None else it_W * t.power.pue
    energy = None if wall_W is None else wall_W * wall_s
    parts = _rental(t, wall_s) if system.pricing == "rental" else _owned(t, wall_s, energy)
    cost = None if parts is None else sum(parts.values())
    purchase = t.capex.total_usd if system.pricing == "tco" else None
    return Economics(system.pricing, it_W, wall_W, energy, cost, parts or {}, draw or {}, t.notes,
                     purchase)


def serving_economics(system: System, wall_s: float) -> Economics:
    """Energy and cost of serving on `system` for `wall_s` seconds: serving keeps the weights
    in device memory, so a memory service and its broadcast/reduce tree are not part of it."""
    return economics(_serving_view(system), wall_s)


@memoised(identity=(System,))
def _serving_view(system: System) -> System:
    if system.memory_service is None and system.broadcast_reduce is None:
        return system
    return replace(system, memory_service=None, broadcast_reduce=None)


def _owned(t: _Terms, wall_s: float, energy_J: float | None) -> dict[str, float] | None:
    """Capex over the life, facility rent on the peak IT load, and electricity; None: unknown."""
    total, peak = t.capex.total_usd, t.power.peak_it_W
    if total is None or peak is None or energy_J is None:
        return None
    return {"capex_usd": total * wall_s / t.life_s,
            "facility_usd": t.facility_usd_per_J * peak * wall_s,
            "electricity_usd": t.electricity_usd_per_J * energy_J}


def _rental(t: _Terms, wall_s: float) -> dict[str, float] | None:
    if t.rental_usd_per_hour is None:
        return None
    return {"rental_usd": t.rental_usd_per_hour * wall_s / HOUR_S}


def busy_share(breakdown: dict[str, float]) -> float:
    """Share of a step the accelerators compute: all but exposed communication and bubbles."""
    total = sum(breakdown.values())
    idle = sum(v for k, v in breakdown.items() if k.startswith("exposed_") or "bubble" in k)
    return 1.0 if total <= 0 else max(0.0, 1.0 - idle / total)


def unknown_inputs(notes: tuple[str, ...]) -> list[str]:
    """The notes among `notes` that name an uncatalogued input (its figure is None)."""
    return [n for n in notes if UNCATALOGUED in n]
