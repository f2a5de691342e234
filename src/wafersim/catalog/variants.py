"""Copies of a catalog with chosen quantities replaced: fitted values, or range corners.

A quantity is named by its part id and its field path in the part (``("hbm_efficiency_fraction",)``,
``("matmul_efficiency_fraction", "bf16")``, ``("wafer", "serving_efficiency_fraction")``); the
path is also the key path in the part's YAML file, since fractions carry no unit conversion.

The efficiencies of a system are every ``*efficiency_fraction`` quantity of its chip (matmul per
precision, memory, framework, the wafer's GEMV and serving) and of the networks it uses (scale-up
tiers, scale-out, broadcast/reduce). `corner` sets all of those that carry a range to their low
(or high) bound: the pessimistic (optimistic) end of what the catalog claims to know.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, TypeVar

from wafersim.catalog.catalog import Catalog, quantities
from wafersim.catalog.schema import Frozen, Network, Part, Quantity
from wafersim.catalog.system import resolve
from wafersim.precision import Precision

FieldPath = tuple[str, ...]
SUFFIX = "efficiency_fraction"
F = TypeVar("F", bound=Frozen)


def replace(obj: F, keys: FieldPath, q: Quantity) -> F:
    """`obj` with the quantity at `keys` set to `q` (sub-models and precision maps included)."""
    head, rest = keys[0], keys[1:]
    if not rest:
        return obj.model_copy(update={head: q})
    current = getattr(obj, head)
    if isinstance(current, dict):
        return obj.model_copy(update={head: {**current, Precision(rest[0]): q}})
    return obj.model_copy(update={head: replace(current, rest, q)})


def with_quantities(catalog: Catalog, changes: Mapping[str, Mapping[FieldPath, Quantity]]) -> Catalog:
    """A checked copy of `catalog` with each part's quantities replaced."""
    parts = dict(catalog.parts)
    for part_id, fields in changes.items():
        part = catalog.get(part_id)
        for keys, q in fields.items():
            part = replace(part, keys, q)
        parts[part_id] = part
    return Catalog(parts, catalog.sources)


def efficiencies(part: Part) -> dict[FieldPath, Quantity]:
    """Every efficiency fraction of a part, by field path."""
    return {tuple(path.split(".")): q for path, q in quantities(part)
            if any(piece.endswith(SUFFIX) for piece in path.split("."))}


def system_parts(catalog: Catalog, system_id: str) -> list[Part]:
    """The chip of a system, its architecture (wafers) and the networks it uses."""
    system = resolve(catalog, system_id)
    nets: list[Network | None] = [t.network for t in system.scale_up]
    nets += [system.scale_out, system.broadcast_reduce]
    unique = {n.id: n for n in nets if n is not None}
    family = [system.architecture] if system.architecture else []
    return [system.chip, *family, *unique.values()]


def ranged(catalog: Catalog, system_id: str) -> dict[str, dict[FieldPath, Quantity]]:
    """The efficiencies of a system that carry a range, by part id."""
    out = {}
    for part in system_parts(catalog, system_id):
        found = {k: q for k, q in efficiencies(part).items() if q.lo is not None and q.hi is not None}
        if found:
            out[part.id] = found
    return out


def corner(catalog: Catalog, system_id: str, side: Literal["lo", "hi"]) -> Catalog:
    """`catalog` with every ranged efficiency of the system at its low or high bound."""
    changes = {part: {k: q.model_copy(update={"value": q.lo if side == "lo" else q.hi})
                      for k, q in fields.items()}
               for part, fields in ranged(catalog, system_id).items()}
    return with_quantities(catalog, changes)
