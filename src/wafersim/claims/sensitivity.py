"""What would move a claim's figure: every catalog input of its systems that carries a range,
moved alone to its low and to its high end, the claim evaluated again.

The inputs are the ranged quantities of the parts a system is built from (chip, its
architecture, node, networks, memory service) and, for a claim that uses cost, power or failures,
of the system's site (PUE, prices, depreciation life) and reliability (failure rates); each is
moved on its own (one-at-a-time), so the list says which uncertainty matters most and whether
any of them, alone, flips the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wafersim.catalog import Catalog, Quantity
from wafersim.catalog.catalog import quantities
from wafersim.catalog.schema import Part
from wafersim.catalog.system import System, resolve
from wafersim.catalog.variants import FieldPath, with_quantities
from wafersim.claims.claim import ClaimText, Economy, Evaluation, Registered, Verdict
from wafersim.errors import SimError

TOP = 5  # inputs listed per claim


@dataclass(frozen=True)
class Moved:
    """One ranged input at one end of its range, and what the claim became."""

    part: str
    field: str
    side: str  # "lo" or "hi"
    value: float
    headline: float | None
    verdict: Verdict | None  # None: the claim could not be evaluated there

    def to_json(self) -> dict[str, Any]:
        return {"part": self.part, "field": self.field, "side": self.side, "value": self.value,
                "headline": self.headline, "verdict": None if self.verdict is None else str(self.verdict)}


def _parts(catalog: Catalog, ids: tuple[str, ...], economy: tuple[Economy, ...] = ()) -> list[Part]:
    """The parts behind each id: a system's chip, architecture, node, networks and memory, and
    the economics parts named in `economy` (its site, its reliability)."""
    found: dict[str, Part] = {}
    for part_id in ids:
        part = catalog.get(part_id)
        found[part.id] = part
        try:
            s = resolve(catalog, part_id)
        except SimError:
            continue  # not a system (a network, a memory service): the part alone
        nets = [t.network for t in s.scale_up] + [s.scale_out, s.broadcast_reduce]
        for p in (s.chip, s.architecture, s.node, s.cluster, s.memory_service, *nets,
                  *_economy_parts(s, economy)):
            if p is not None:
                found[p.id] = p
    return list(found.values())


def _economy_parts(system: System, economy: tuple[Economy, ...]) -> list[Part | None]:
    return [system.site if "site" in economy else None,
            system.reliability if "reliability" in economy else None]


def ranged_inputs(catalog: Catalog, ids: tuple[str, ...],
                  economy: tuple[Economy, ...] = ()) -> list[tuple[str, FieldPath, Quantity]]:
    """(part id, field path, quantity) of every ranged quantity the parts hold."""
    out = []
    for part in _parts(catalog, ids, economy):
        for path, q in quantities(part):
            if q.lo is not None and q.hi is not None and q.lo != q.hi and "[" not in path:
                out.append((part.id, tuple(path.split(".")), q))
    return out


def _moved(reg: Registered, catalog: Catalog, text: ClaimText, part: str, keys: FieldPath,
           q: Quantity, side: str) -> Moved:
    value = q.lo if side == "lo" else q.hi
    assert value is not None
    variant = with_quantities(catalog, {part: {keys: q.model_copy(update={"value": value})}})
    try:
        e = reg.evaluate(variant, text)
    except SimError:
        return Moved(part, ".".join(keys), side, value, None, None)
    return Moved(part, ".".join(keys), side, value, e.headline.value, e.verdict)


def sensitivity(reg: Registered, catalog: Catalog, text: ClaimText,
                nominal: Evaluation) -> tuple[Moved, ...]:
    """The inputs that move the headline figure most (both ends each), and every one that flips
    the verdict, largest move first; inputs that change nothing are left out."""
    base = nominal.headline.value
    moves = [_moved(reg, catalog, text, part, keys, q, side)
             for part, keys, q in ranged_inputs(catalog, reg.inputs, reg.economy) for side in ("lo", "hi")]

    def shift(m: Moved) -> float:
        if m.headline is None or base is None or base == 0:
            return 0.0 if m.verdict == nominal.verdict else float("inf")
        return abs(m.headline / base - 1.0)

    moving = (m for m in moves if shift(m) > 1e-9 or m.verdict != nominal.verdict)
    ranked = sorted(moving, key=lambda m: (-shift(m), m.part, m.field, m.side))
    flips = [m for m in ranked if m.verdict != nominal.verdict]
    keep = {id(m) for m in ranked[: 2 * TOP]} | {id(m) for m in flips}
    return tuple(m for m in ranked if id(m) in keep)
