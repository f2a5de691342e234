"""A `System`: a catalog id resolved into chip, node and cluster, with totals.

Any chip, node or cluster id resolves: a chip stands alone (its default node gives it networks),
a node holds `chips_count` chips, a cluster `nodes_count` nodes. `System.with_devices(n)` scales a
system to n accelerators on its node's scale-out fabric, the way a user sizes a cluster.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal

from wafersim.catalog.catalog import Catalog
from wafersim.catalog.memory import device_memory_bytes, memory_tiers
from wafersim.catalog.schema import (
    Architecture,
    Chip,
    Cluster,
    MemoryService,
    Network,
    Node,
    Quantity,
    Reliability,
    Site,
)
from wafersim.errors import ConfigError, ParameterError
from wafersim.memo import memoised

Pricing = Literal["tco", "rental"]
PRICINGS: tuple[Pricing, ...] = ("tco", "rental")
DEFAULT_SITE = "typical-ai-datacenter"


@dataclass(frozen=True)
class ScaleUpTier:
    network: Network
    devices: int  # devices in one group at this tier


# how a device class reads in a family name (System.family)
CLASS_NAMES = {"gpu": "GPU", "npu": "NPU", "tpu": "TPU", "trainium": "Trainium", "wafer": "wafer",
               "rdu": "RDU", "lpu": "LPU", "hpu": "HPU", "cpu": "CPU"}


@dataclass(frozen=True)
class System:
    """Chips composed into a node and a cluster; every total is SI."""

    id: str
    chip: Chip
    devices: int  # accelerators in the whole system
    node: Node | None = None
    cluster: Cluster | None = None
    scale_up: tuple[ScaleUpTier, ...] = ()
    scale_out: Network | None = None
    memory_service: MemoryService | None = None
    broadcast_reduce: Network | None = None
    architecture: Architecture | None = None  # the chip family's shared efficiencies (wafers)
    site: Site | None = None  # where it runs: facility, power and price defaults
    reliability: Reliability | None = None  # failure rates of its class of hardware
    pricing: Pricing = "tco"  # cost basis: owning it at `site`, or renting it by the hour

    @property
    def family(self) -> str:
        """'NVIDIA GPU', 'Cerebras wafer', 'AWS Trainium': the chip's vendor and device class."""
        kind = self.chip.device_class
        return f"{self.chip.vendor} {CLASS_NAMES.get(kind, kind)}"

    @property
    def devices_per_node(self) -> int:
        return _int(self.node.chips_count) if self.node else 1

    @property
    def nodes(self) -> int:
        return math.ceil(self.devices / self.devices_per_node)

    def total(self, q: Quantity | None) -> float | None:
        """A per-chip quantity times the chip count (None when unknown)."""
        return None if q is None or q.value is None else q.value * self.devices

    def peak_flops_per_s(self, precision: str, sparse: bool = False) -> float | None:
        table = self.chip.peak_sparse_flops_per_s if sparse else self.chip.peak_dense_flops_per_s
        return self.total(table.get(precision))  # type: ignore[call-overload]  # StrEnum keys match plain str

    @property
    def memory_bytes(self) -> float | None:
        """Accelerator-attached memory: every tier of `memory_tiers` (HBM or SRAM, then DDR)."""
        size = device_memory_bytes(self.chip)
        return None if size is None else size * self.devices

    @property
    def memory_bandwidth_Bps(self) -> float | None:
        """The fast tier's bandwidth (HBM, or SRAM on chips without HBM), all devices."""
        tiers = memory_tiers(self.chip)
        bw = tiers[0].bandwidth_Bps if tiers else None
        return None if bw is None else bw * self.devices

    @property
    def power_W(self) -> float | None:
        """Declared power: the cluster's, else whole nodes' (hosts included), else chips' TDP."""
        if self.cluster and self.cluster.power_W and self.cluster.power_W.value is not None:
            return self.cluster.power_W.value
        node = self.node
        whole_nodes = node.power_W if node is not None and self.devices % self.devices_per_node == 0 else None
        if whole_nodes and whole_nodes.value is not None:
            return whole_nodes.value * self.nodes
        return self.total(self.chip.tdp_W)

    def priced(self, pricing: str, site: Site | None = None) -> System:
        """The same system costed on basis `pricing` ("tco" or "rental"), at `site` if given."""
        basis = cost_basis(pricing)
        if basis == self.pricing and (site is None or site is self.site):
            return self  # the same object: results memoised on a system's identity stay cached
        return _priced(self, basis, site or self.site)

    def with_devices(self, count: int) -> System:
        """The same kind of system grown or shrunk to `count` accelerators."""
        return _with_devices(self, count)


@memoised(identity=(System, Site))
def _priced(system: System, pricing: Pricing, site: Site | None) -> System:
    return replace(system, pricing=pricing, site=site)


def cost_basis(pricing: str) -> Pricing:
    """`pricing` as a cost basis, or a ParameterError naming the bases there are."""
    for basis in PRICINGS:
        if pricing == basis:
            return basis
    raise ParameterError("pricing", pricing, "{pricing!r} is not a cost basis; use one of "
                         + ", ".join(PRICINGS), allowed=", ".join(PRICINGS))


@memoised(identity=(System,))
def _with_devices(system: System, count: int) -> System:
    if count < 1:
        raise ConfigError(f"count {count} must be at least 1 accelerator")
    node = system.node
    limit = node.max_cluster_nodes_count if node else None
    largest = None if limit is None or limit.value is None else limit.value * system.devices_per_node
    if node and largest is not None and count > largest:
        raise ConfigError(f"count {count} exceeds the largest supported {node.id} "
                          f"cluster ({largest / system.devices_per_node:g} systems); use a count "
                          "up to that")
    tiers = tuple(_sliced(t, count) for t in system.scale_up)
    return replace(system, devices=count, cluster=None if count != system.devices else system.cluster,
                   scale_up=tiers)


def _sliced(tier: ScaleUpTier, count: int) -> ScaleUpTier:
    """A sliceable domain (TPU ICI) serves a job as one slice of its chips, or, past one domain,
    as equal slices joined over the data-center network (Cloud TPU Multislice)."""
    domain = tier.network.max_devices_count
    if not tier.network.sliceable or domain is None or domain.value is None:
        return tier
    slices = math.ceil(count / domain.value)
    return tier if count % slices else replace(tier, devices=count // slices)


def _int(q: Quantity) -> int:
    if q.value is None:
        raise ConfigError(f"a composition count is unknown ({q.reason}); give it a value")
    return int(q.value)


@lru_cache(maxsize=1024)
def resolve(catalog: Catalog, part_id: str) -> System:
    """The system a chip, node or cluster id stands for (memoised: catalogs are not changed)."""
    system = _resolve(catalog, part_id)
    system = replace(system, site=catalog.typed(DEFAULT_SITE, Site),
                     reliability=catalog.typed(system.chip.reliability, Reliability))
    wafer = system.chip.wafer
    if wafer is None or wafer.architecture is None:
        return system
    return replace(system, architecture=catalog.typed(wafer.architecture, Architecture))


def _resolve(catalog: Catalog, part_id: str) -> System:
    part = catalog.get(part_id)
    if isinstance(part, Cluster):
        node = catalog.typed(part.node, Node)
        base = _from_node(catalog, node)
        return replace(
            base, id=part.id, cluster=part, devices=base.devices * _int(part.nodes_count),
            scale_out=_network(catalog, part.scale_out) or base.scale_out,
            memory_service=_memory(catalog, part.memory_service) or base.memory_service,
            broadcast_reduce=_network(catalog, part.broadcast_reduce) or base.broadcast_reduce,
        )
    if isinstance(part, Node):
        return _from_node(catalog, part)
    if isinstance(part, Chip):
        if part.default_node:
            base = _from_node(catalog, catalog.typed(part.default_node, Node))
            return replace(base, id=part.id, chip=part, devices=1)
        return System(id=part.id, chip=part, devices=1)
    raise ConfigError(f"{part_id!r} is a {part.kind}, not a system; give a chip, node or "
                      "cluster id")


def _from_node(catalog: Catalog, node: Node) -> System:
    tiers = tuple(ScaleUpTier(catalog.typed(t.network, Network), _int(t.devices_count))
                  for t in node.scale_up)
    return System(
        id=node.id, chip=catalog.typed(node.chip, Chip), devices=_int(node.chips_count), node=node,
        scale_up=tiers, scale_out=_network(catalog, node.scale_out),
        memory_service=_memory(catalog, node.memory_service),
        broadcast_reduce=_network(catalog, node.broadcast_reduce),
    )


def _network(catalog: Catalog, ref: str | None) -> Network | None:
    return catalog.typed(ref, Network) if ref else None


def _memory(catalog: Catalog, ref: str | None) -> MemoryService | None:
    return catalog.typed(ref, MemoryService) if ref else None
