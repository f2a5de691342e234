"""Catalog parts as plain SI dictionaries: a one-row summary and a full, sourced detail."""

from __future__ import annotations

from typing import Any

from wafersim.catalog import (
    Architecture,
    Catalog,
    Chip,
    Cluster,
    Framework,
    MemoryService,
    Network,
    Node,
    Quantity,
    Stack,
)
from wafersim.catalog.catalog import quantities
from wafersim.catalog.schema import AnyPart, Reliability, Site
from wafersim.catalog.system import System, resolve
from wafersim.precision import Precision

COMPUTE_PRECISIONS = tuple(str(p) for p in Precision)


def _value(q: Quantity | None) -> float | None:
    return None if q is None else q.value


def _per_precision(system: System, sparse: bool) -> dict[str, float]:
    table = system.chip.peak_sparse_flops_per_s if sparse else system.chip.peak_dense_flops_per_s
    out = {}
    for p in COMPUTE_PRECISIONS:
        total = system.peak_flops_per_s(p, sparse)
        if p in table and total is not None:
            out[p] = total
    return out


def system_summary(catalog: Catalog, part: AnyPart) -> dict[str, Any]:
    """One row of `wafersim systems` (SI units)."""
    row: dict[str, Any] = {"id": part.id, "kind": part.kind, "name": part.name,
                           "vendor": part.vendor}
    if isinstance(part, (Chip, Node, Cluster)):
        row |= _compute_summary(resolve(catalog, part.id))
    elif isinstance(part, MemoryService):
        row |= {"capacity_bytes": _value(part.capacity_bytes),
                "bandwidth_Bps": _value(part.bandwidth_Bps),
                "max_params_count": _value(part.max_params_count), "power_W": _value(part.power_W)}
    elif isinstance(part, Network):
        row |= {"scope": part.scope, "topology": part.topology,
                "bandwidth_per_device_Bps": _value(part.bandwidth_per_device_Bps),
                "latency_s": _value(part.latency_s),
                "max_devices_count": _value(part.max_devices_count)}
    elif isinstance(part, Stack):
        row |= {"release": part.release, "chips": part.chips,
                "per_request_step_s": _value(part.per_request_step_s),
                "speedup_ratio": _value(part.speedup_ratio)}
    elif isinstance(part, Framework):
        row |= {"releases": part.releases, "chips": part.chips, "default_for": part.default_for,
                "speed_ratio": _value(part.speed_ratio)}
    elif isinstance(part, Architecture):
        row |= {"chips": part.chips,
                "matmul_efficiency_fraction": _value(part.matmul_efficiency_fraction),
                "serving_efficiency_fraction": _value(part.serving_efficiency_fraction)}
    elif isinstance(part, Site | Reliability):
        row |= {name: _value(q) for name, q in quantities(part)}
    return row


def _compute_summary(s: System) -> dict[str, Any]:
    return {
        "chip": s.chip.id, "chips": s.devices,
        "peak_dense_flops_per_s": _per_precision(s, sparse=False),
        "peak_sparse_flops_per_s": _per_precision(s, sparse=True),
        "memory_bytes": s.memory_bytes, "memory_bandwidth_Bps": s.memory_bandwidth_Bps,
        "scale_up_bandwidth_Bps_per_chip": _value(s.chip.scale_up_bandwidth_Bps),
        "scale_out_bandwidth_Bps_per_chip": _value(s.chip.scale_out_bandwidth_Bps),
        "interconnect": list(dict.fromkeys(
            [t.network.id for t in s.scale_up]
            + [n.id for n in (s.scale_out, s.broadcast_reduce) if n is not None])),
        "power_W": s.power_W,
    }


def quantity_detail(catalog: Catalog, part: AnyPart, q: Quantity) -> dict[str, Any]:
    """A quantity with its citation spelled out."""
    src = catalog.source(part, q.source)
    out: dict[str, Any] = {"value": q.value, "unit": q.dimension}
    if q.lo is not None:
        out["range"] = [q.lo, q.hi]
    out["tag"] = q.tag.value
    out["source"] = q.source
    if src is not None:
        out["citation"] = src.citation
        if src.url:
            out["url"] = src.url
    for key in ("note", "reason"):
        if getattr(q, key):
            out[key] = getattr(q, key)
    if q.projected:
        out["projected"] = True
    return out


def part_detail(catalog: Catalog, part: AnyPart) -> dict[str, Any]:
    """Everything about one part, sources included; composed parts nest their pieces."""
    plain = {k: v for k, v in part.model_dump(mode="json").items()
             if not isinstance(v, dict) or k == "sources"}
    plain = {k: v for k, v in plain.items() if v not in (None, [], {}) and k != "sources"}
    out = plain | {"fields": {path: quantity_detail(catalog, part, q)
                              for path, q in quantities(part)}}
    if isinstance(part, (Chip, Node, Cluster)):
        out["totals"] = _compute_summary(resolve(catalog, part.id))
    if isinstance(part, Node):
        out["chip_detail"] = part_detail(catalog, catalog.get(part.chip))
    if isinstance(part, Cluster):
        out["node_detail"] = part_detail(catalog, catalog.get(part.node))
    for ref in ("scale_out", "memory_service", "broadcast_reduce"):
        target = getattr(part, ref, None)
        if isinstance(target, str) and not isinstance(part, Chip):
            out[f"{ref}_detail"] = part_detail(catalog, catalog.get(target))
    if isinstance(part, Node):
        out["scale_up_detail"] = [part_detail(catalog, catalog.get(t.network)) for t in part.scale_up]
    return out
