"""The cluster around the simulated wafers, read from the catalog node (`cs-3` by default): the
weight stream rate into each system, the weight buffers a wafer holds, the SwarmX tree's fan-out
and per-level latency, MemoryX's optimizer rate, and the system-to-system link a layer pipeline
passes activations over."""

from __future__ import annotations

from dataclasses import dataclass

from wafersim.catalog import Catalog, load_catalog
from wafersim.catalog.schema import MemoryService, Network, Node, Quantity
from wafersim.errors import ConfigError


@dataclass(frozen=True)
class WaferCluster:
    """Rates and latencies in SI units; `optimizer_flops_per_s` None where the catalog has none."""

    node: str
    stream_Bps: float  # min of system I/O, MemoryX and SwarmX per-system rates, per direction
    weight_buffers: int  # streamed units a wafer holds at once: the one computing, the prefetched
    tree_fan_out: int
    tree_level_latency_s: float
    hop_Bps: float  # system to system (scale-out), per direction
    hop_latency_s: float
    optimizer_flops_per_s: float | None


def _value(q: Quantity | None, what: str, part: str) -> float:
    if q is None or q.value is None:
        raise ConfigError(f"{part}: {what} is unknown in the catalog; the functional cluster "
                          "needs it")
    return float(q.value)


def cluster_of(node: str = "cs-3", catalog: Catalog | None = None) -> WaferCluster:
    """The cluster numbers of catalog node `node` (a wafer system with MemoryX and SwarmX)."""
    cat = catalog or load_catalog()
    n = cat.typed(node, Node)
    if not (n.memory_service and n.broadcast_reduce and n.scale_out):
        raise ConfigError(f"{node} names no MemoryX, SwarmX or scale-out fabric in the catalog")
    memx = cat.typed(n.memory_service, MemoryService)
    tree = cat.typed(n.broadcast_reduce, Network)
    out = cat.typed(n.scale_out, Network)
    rates = [_value(n.io_bandwidth_Bps, "I/O bandwidth", node),
             _value(memx.bandwidth_Bps, "bandwidth", memx.id),
             _value(tree.bandwidth_per_device_Bps, "bandwidth per device", tree.id)]
    update = memx.optimizer_flops_per_s
    buffers = int(_value(n.weight_buffers_count, "the number of weight buffers", node))
    return WaferCluster(node=node, stream_Bps=min(rates), weight_buffers=buffers,
                        tree_fan_out=int(_value(tree.fan_out_count, "fan-out", tree.id)),
                        tree_level_latency_s=_value(tree.latency_s, "latency", tree.id),
                        hop_Bps=_value(out.bandwidth_per_device_Bps, "bandwidth per device", out.id),
                        hop_latency_s=_value(out.latency_s, "latency", out.id),
                        optimizer_flops_per_s=update.value if update and update.value else None)
