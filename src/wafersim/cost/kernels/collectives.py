"""Time of collective operations (all-reduce, reduce-scatter, all-gather, all-to-all, broadcast,
reduce, point-to-point) on one network tier or a hierarchy of tiers.

The model is the alpha-beta (latency-bandwidth) model: a collective takes `steps * latency_s`
plus the bytes each device sends in one direction over its `effective_Bps`. Data volumes and step
counts are those of Thakur, Rabenseifner & Gropp 2005, "Optimization of Collective Communication
Operations in MPICH" (IJHPCA 19(1)), written [TRG05] below. Bus bandwidth follows nccl-tests
doc/PERFORMANCE.md [NCCL-PERF], so a modelled time can be compared with a measured busBw row.

A `Link` is one network tier as a collective sees it: per-device, per-direction bandwidth, the
latency of one step, the achieved fraction of line rate and whether switches reduce in-network.
`tiers_for` says which tiers a group of consecutive devices spans on a catalog `System`.

Byte sizes may be floats or numpy arrays; results are seconds of the same shape. A group of one
device costs nothing. Contention between concurrent collectives and congestion are not modelled.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import reduce

import numpy as np

from wafersim.catalog.schema import Network, Quantity
from wafersim.catalog.system import System
from wafersim.errors import ConfigError, ParameterError, literal
from wafersim.memo import memoised
from wafersim.units import fmt_bandwidth
from wafersim.xp import Real, minimum, real

Bytes = Real  # a message size, or many
Seconds = Real

ALLREDUCE_ALGORITHMS = ("ring", "tree", "in_network", "one_shot")
CHOOSERS = ("auto", "library")  # fastest allowed; fastest a collective library runs
_SWITCHLESS = ("ring", "tree")  # where switches do not reduce
BUS_OPS = ("allreduce", "reduce_scatter", "all_gather", "all_to_all", "broadcast", "reduce")
# assumption: per-step latency of a link whose latency is unpublished: the catalog's typical
# switched hop (NVLink 3 us, InfiniBand and PCIe 5 us); range 2-20 us
DEFAULT_LATENCY_S = 5e-6


@dataclass(frozen=True)
class Link:
    """One network tier as a collective sees it."""

    bandwidth_Bps: float  # per device, per direction, line rate
    latency_s: float = 0.0  # per step (hop) of a collective
    efficiency: float = 1.0  # fraction of line rate a collective achieves
    in_network_reduction: bool = False  # switches reduce (NVLS, SHARP, SwarmX)
    full_mesh: bool = False  # a direct link to every peer (switchless): one-shot all-reduce
    name: str = "link"
    assumptions: tuple[str, ...] = ()  # every default applied when reading the catalog

    def __post_init__(self) -> None:
        if not self.bandwidth_Bps > 0:
            raise ConfigError(f"link {self.name}: bandwidth {self.bandwidth_Bps:g} B/s must be positive")
        if not self.latency_s >= 0:
            raise ConfigError(f"link {self.name}: latency {self.latency_s:g} s must be >= 0")
        if not 0 < self.efficiency <= 1:
            raise ConfigError(f"link {self.name}: efficiency {self.efficiency:g} must lie in (0, 1]")

    @property
    def effective_Bps(self) -> float:
        """Bandwidth a collective achieves: line rate times efficiency."""
        return self.bandwidth_Bps * self.efficiency

    @classmethod
    def from_network(cls, network: Network, default_bandwidth_Bps: float | None = None,
                     default_source: str = "the caller") -> Link:
        """The link of a catalog network; unknown latency and efficiency get recorded defaults.

        An unknown bandwidth takes `default_bandwidth_Bps` (noted as coming from `default_source`)
        when given, else raises ConfigError.
        """
        bandwidth_Bps, bandwidth_note = _bandwidth(network, default_bandwidth_Bps, default_source)
        latency_s, latency_note = _or_default(network.id, "latency_s", network.latency_s,
                                               DEFAULT_LATENCY_S)
        efficiency, efficiency_note = _or_default(network.id, "efficiency_fraction",
                                                  network.efficiency_fraction, 1.0)
        notes = tuple(n for n in (bandwidth_note, latency_note, efficiency_note) if n)
        return cls(bandwidth_Bps, latency_s, efficiency, network.in_network_reduction,
                   network.topology == "full_mesh", network.id, notes)


def _bandwidth(network: Network, default_Bps: float | None, source: str) -> tuple[float, str | None]:
    q = network.bandwidth_per_device_Bps
    if q is not None and q.value is not None:
        return q.value, None
    if default_Bps is not None:
        return default_Bps, (f"{network.id}: bandwidth_per_device_Bps unknown; "
                             f"{fmt_bandwidth(default_Bps)} from {source} used")
    why = f" ({q.reason})" if q is not None and q.reason else ""
    raise ConfigError(f"network {network.id}: bandwidth_per_device_Bps is unknown{why}; "
                      "give it a value in the catalog")


def _or_default(part: str, field: str, q: Quantity | None, default: float) -> tuple[float, str | None]:
    """A quantity's value, else its range midpoint, else `default`; with a note when not known."""
    if q is not None and q.value is not None:
        return q.value, None
    if q is not None and q.lo is not None and q.hi is not None:
        mid = (q.lo + q.hi) / 2
        return mid, f"{part}: {field} unknown; range midpoint {mid:g} used"
    return default, f"{part}: {field} unknown; {default:g} assumed"


def _sizes(nbytes: Bytes) -> Bytes:
    """Message sizes as a float (one) or a float array (many), each checked >= 0."""
    b = nbytes if nbytes.__class__ is float else real(nbytes)
    if isinstance(b, float):
        if not b >= 0:  # False for NaN too
            raise ConfigError(f"message size {b:g} bytes is invalid; give sizes >= 0")
        return b
    ok = b >= 0
    if not ok.all():
        bad = b[~ok]
        raise ConfigError(f"message size {bad[0]:g} bytes is invalid; give sizes >= 0")
    return b


def _devices(n: int, what: str = "group size n") -> int:
    if n.__class__ is int and n >= 1:
        return n
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ConfigError(f"{what} {n!r} must be a whole number of devices >= 1")
    return int(n)


def _out(t: Seconds) -> Seconds:
    """A float for one size, an array for many."""
    if t.__class__ is float:
        return t
    if isinstance(t, np.ndarray):
        return float(t) if t.ndim == 0 else t
    return float(t)


def _zero(b: Bytes) -> Seconds:
    return np.zeros_like(b) if isinstance(b, np.ndarray) else 0.0


def _ceil_log(n: int, base: int) -> int:
    """ceil(log_base(n)) in exact integer arithmetic: levels of a `base`-ary tree over n leaves."""
    depth, reach = 0, 1
    while reach < n:
        reach, depth = reach * base, depth + 1
    return depth


def _alpha_beta(nbytes: Bytes, n: int, link: Link, volume: float, steps: int) -> Seconds:
    """steps * alpha + volume * nbytes * beta, zero for a single device."""
    if nbytes.__class__ is float and n.__class__ is int and n > 1 and nbytes >= 0:
        return _cost(nbytes, link, volume, steps)  # one valid size: the checks below pass
    b, n = _sizes(nbytes), _devices(n)
    if n == 1:
        return _out(_zero(b))
    return _out(_cost(b, link, volume, steps))


def _cost(b: Bytes, link: Link, volume: float, steps: int) -> Seconds:
    return volume * b / link.effective_Bps + steps * link.latency_s  # alpha-beta cost model [TRG05]


def _ring(n: int) -> tuple[float, int]:
    return 2 * (n - 1) / n, 2 * (n - 1)  # ring all-reduce, Patarasuk & Yuan 2009; [TRG05]


def _tree(n: int) -> tuple[float, int]:
    return 2.0, 2 * _ceil_log(n, 2)  # two-tree reduce+bcast, Sanders/Speck/Traff 2009


def _in_network(n: int) -> tuple[float, int]:
    return 1.0, 2  # up once, down once: SHArP, Graham et al. 2016


def _one_shot(n: int) -> tuple[float, int]:
    return float(n - 1), 1  # each device sends its buffer to every peer and reduces locally


def ring_allreduce_s(nbytes: Bytes, n: int, link: Link) -> Seconds:
    """Ring all-reduce (reduce-scatter then all-gather around a ring) of an nbytes buffer."""
    n = _devices(n)
    return _alpha_beta(nbytes, n, link, *_ring(n))


def tree_allreduce_s(nbytes: Bytes, n: int, link: Link) -> Seconds:
    """Pipelined double binary tree all-reduce (NCCL 2.4): reduce up, then broadcast down.

    Each of two complementary binary trees carries half the buffer; pipelined, the reduce and the
    broadcast each move nbytes per device at line rate, so time = 2 nbytes / bw + 2 ceil(log2 n) a.
    """
    n = _devices(n)
    return _alpha_beta(nbytes, n, link, *_tree(n))


def in_network_allreduce_s(nbytes: Bytes, n: int, link: Link) -> Seconds:
    """All-reduce reduced by the switches (NVLS, SHARP, SwarmX): each device sends and receives once."""
    if not link.in_network_reduction:
        raise ConfigError(f"link {link.name} has no in-network reduction; use 'ring' or 'tree'")
    return _alpha_beta(nbytes, n, link, *_in_network(n))


def one_shot_allreduce_s(nbytes: Bytes, n: int, link: Link) -> Seconds:
    """One-shot all-reduce on a full mesh: every device sends its whole buffer to each peer over
    its own link in one step and sums what it receives (TensorRT-LLM's ONESHOT custom all-reduce;
    the direct small-message algorithm): (n - 1) nbytes / bw + one latency."""
    if not link.full_mesh:
        raise ConfigError(f"link {link.name} is not a full mesh; use 'ring' or 'tree'")
    n = _devices(n)
    return _alpha_beta(nbytes, n, link, *_one_shot(n))


_ALLREDUCE: dict[str, Callable[[Bytes, int, Link], Seconds]] = {
    "ring": ring_allreduce_s, "tree": tree_allreduce_s, "in_network": in_network_allreduce_s,
    "one_shot": one_shot_allreduce_s,
}
_TERMS: dict[str, Callable[[int], tuple[float, int]]] = {
    "ring": _ring, "tree": _tree, "in_network": _in_network, "one_shot": _one_shot,
}


def allreduce_algorithms(link: Link) -> tuple[str, ...]:
    """The all-reduce algorithms a link allows: switches that reduce add in-network reduction,
    a full mesh the one-shot exchange."""
    return (_SWITCHLESS + ("in_network",) * link.in_network_reduction
            + ("one_shot",) * link.full_mesh)


def allreduce_s(nbytes: Bytes, n: int, link: Link, algorithm: str = "auto") -> Seconds:
    """All-reduce time by `algorithm`; "auto" takes the fastest allowed one for each size,
    "library" the fastest a collective library runs (NCCL, RCCL: no one-shot custom kernel)."""
    if algorithm in CHOOSERS:
        return _out(_fastest(_sizes(nbytes), _devices(n), link, algorithm))
    if algorithm not in _ALLREDUCE:
        raise ConfigError(f"all-reduce algorithm {algorithm!r} is unknown; use auto, "
                          + ", ".join(ALLREDUCE_ALGORITHMS))
    return _ALLREDUCE[algorithm](nbytes, n, link)


def _fastest(b: Bytes, n: int, link: Link, chooser: str = "auto") -> Seconds:
    """The fastest allowed all-reduce of checked sizes `b` over n devices (`chooser` "library":
    leaving out the one-shot exchange, which only custom kernels run)."""
    if n == 1:
        return _zero(b)
    allowed = [a for a in allreduce_algorithms(link) if chooser == "auto" or a != "one_shot"]
    return reduce(minimum, [_cost(b, link, *_TERMS[a](n)) for a in allowed])


def reduce_scatter_s(nbytes: Bytes, n: int, link: Link) -> Seconds:
    """Ring reduce-scatter of an nbytes (unsharded) buffer into n shards."""
    n = _devices(n)
    return _alpha_beta(nbytes, n, link, (n - 1) / n, n - 1)  # (n-1)a + (n-1)/n nb, reduce-scatter [TRG05]


def all_gather_s(nbytes: Bytes, n: int, link: Link) -> Seconds:
    """Ring all-gather of n shards into an nbytes (unsharded) buffer on every device."""
    n = _devices(n)
    return _alpha_beta(nbytes, n, link, (n - 1) / n, n - 1)  # (n-1)a + (n-1)/n nb, ring allgather [TRG05]


def all_to_all_s(nbytes: Bytes, n: int, link: Link) -> Seconds:
    """Pairwise-exchange all-to-all; nbytes is each device's send buffer (1/n of it stays local)."""
    n = _devices(n)
    return _alpha_beta(nbytes, n, link, (n - 1) / n, n - 1)  # (n-1)a + (n-1)/n nb, pairwise alltoall [TRG05]


def direct_all_to_all_s(nbytes: Bytes, n: int, link: Link) -> Seconds:
    """All-to-all with every peer written at once (NCCL grouped send/recv, DeepEP): one latency."""
    n = _devices(n)
    return _alpha_beta(nbytes, n, link, (n - 1) / n, 1)  # a + (n-1)/n nb, direct exchange [TRG05]


def p2p_s(nbytes: Bytes, link: Link) -> Seconds:
    """One point-to-point transfer of nbytes."""
    return _out(_sizes(nbytes) / link.effective_Bps + link.latency_s)  # a + nb [TRG05]


def tree_broadcast_s(nbytes: Bytes, n: int, link: Link, fan_out: int) -> Seconds:
    """Pipelined broadcast down a `fan_out`-ary tree of switches forwarding at line rate (SwarmX)."""
    fan_out = _devices(fan_out, "tree fan-out")
    if fan_out < 2:
        raise ConfigError(f"tree fan-out {fan_out} must be at least 2")
    depth = _ceil_log(_devices(n), fan_out)
    return _alpha_beta(nbytes, n, link, 1.0, depth)  # pipelined tree: nb + depth a, Sanders/Speck/Traff 2009


def tree_reduce_s(nbytes: Bytes, n: int, link: Link, fan_out: int) -> Seconds:
    """Pipelined reduce up a `fan_out`-ary tree whose nodes reduce at line rate (SwarmX)."""
    return tree_broadcast_s(nbytes, n, link, fan_out)  # reduce mirrors broadcast, Sanders/Speck/Traff 2009


def hierarchical_allreduce_s(nbytes: Bytes, tiers: Sequence[tuple[Link, int]],
                             algorithm: str = "ring") -> Seconds:
    """All-reduce over tiers (innermost first, each with its group size).

    Reduce-scatter within the innermost tier, all-reduce the 1/size shards across the outer tiers
    (recursively), all-gather within the innermost tier. The outermost tier runs `algorithm`;
    tiers of one device are skipped. Over one tier this is that tier's flat all-reduce.
    """
    b = _sizes(nbytes)
    active = [(link, _devices(n)) for link, n in tiers if _devices(n) > 1]
    return _out(_hierarchical(b, active, algorithm) if active else _zero(b))


def _hierarchical(b: Bytes, tiers: list[tuple[Link, int]], algorithm: str) -> Seconds:
    (link, n), outer = tiers[0], tiers[1:]
    if not outer:
        return (_fastest(b, n, link, algorithm) if algorithm in CHOOSERS
                else allreduce_s(b, n, link, algorithm))
    inner = _hierarchical(b / n, outer, algorithm)
    return reduce_scatter_s(b, n, link) + inner + all_gather_s(b, n, link)  # 2D all-reduce, Mikami 2018


def bus_factor(n: int, op: str) -> float:
    """nccl-tests busBw / algBw for `op` on n devices."""
    n = _devices(n)
    factors = {"allreduce": 2 * (n - 1) / n,  # [NCCL-PERF] AllReduce
               "reduce_scatter": (n - 1) / n, "all_gather": (n - 1) / n,  # [NCCL-PERF]
               "all_to_all": (n - 1) / n,  # [NCCL-PERF] AllToAll
               "broadcast": 1.0, "reduce": 1.0}  # [NCCL-PERF] Broadcast, Reduce
    if op not in factors:
        raise ConfigError(f"collective {op!r} is unknown; use one of {', '.join(BUS_OPS)}")
    return factors[op]


def bus_bandwidth_Bps(nbytes: Bytes, n: int, time_s: Seconds, op: str) -> Seconds:
    """nccl-tests bus bandwidth: algBw = nbytes / time_s, times the op's factor; 0 for one device.

    nbytes is the full buffer (all-reduce, reduce-scatter, all-gather) or the per-device send
    buffer (all-to-all), as the time functions here take it.
    """
    b, t = _sizes(nbytes), np.asarray(time_s, dtype=float)
    factor = bus_factor(n, op)
    if factor == 0:
        return _out(np.zeros(np.broadcast(b, t).shape))
    if np.any(~(t > 0)):
        raise ConfigError(f"time {np.min(t)!s} s is invalid; bus bandwidth needs times > 0")
    return _out(b / t * factor)  # busBw = algBw * factor [NCCL-PERF]


def tiers_for(system: System, devices: int, stride: int = 1) -> list[tuple[Link, int]]:
    """The tiers a group of `devices` devices spans, innermost first, with group sizes.

    Members of the group sit `stride` devices apart (stride 1: consecutive devices; a data-parallel
    group in a tp x dp layout has stride tp). Scale-up tiers come first (a tier's group size is the
    members it joins over those the inner tiers joined), then the scale-out network for the rest.
    A partly filled outer group counts as a whole one.
    """
    return list(group_tiers(system, devices, stride))


def group_tiers(system: System, devices: int, stride: int = 1) -> tuple[tuple[Link, int], ...]:
    """`tiers_for` as a tuple, shared between calls (memoised)."""
    return _tiers(system, _devices(devices, "device count"), _devices(stride, "stride"))


@memoised(4096, identity=(System,))
def _tiers(system: System, devices: int, stride: int) -> tuple[tuple[Link, int], ...]:
    tiers: list[tuple[Link, int]] = []
    span = 1  # group members joined by the tiers taken so far
    for tier in system.scale_up:
        inside = min(devices, max(1, tier.devices // stride))  # members within one tier domain
        group = math.ceil(inside / span)
        if group > 1:
            tiers.append((_mesh_share(Link.from_network(tier.network), tier.network, group), group))
            span *= group
    if devices > span:
        tiers.append((_scale_out(system, devices * stride, span * stride), math.ceil(devices / span)))
    return tuple(tiers)


def _mesh_share(link: Link, network: Network, group: int) -> Link:
    """In a switchless full mesh a device reaches each peer over its own links, so a group of
    `group` devices uses only group - 1 of them (AMD MI300X UBB: 7 x 64 GB/s xGMI per GPU)."""
    q = network.link_bandwidth_Bps
    if network.topology != "full_mesh" or q is None or q.value is None:
        return link
    share = (group - 1) * q.value
    if share >= link.bandwidth_Bps:
        return link
    note = (f"{network.id}: a group of {group} uses {group - 1} direct link(s) of the full mesh, "
            f"{share / 1e9:g} GB/s per device")
    return replace(link, bandwidth_Bps=share, assumptions=link.assumptions + (note,))


def _scale_out(system: System, devices: int, span: int) -> Link:
    if system.scale_out is None and not system.scale_up:
        q = system.chip.scale_up_bandwidth_Bps
        why = q.reason if q is not None and q.reason else "none in the catalog"
        raise ParameterError("count", system.devices, f"system {literal(system.id)} has no network "
                             f"joining its devices ({literal(why)}); run it on one device "
                             "({count.flag} 1)", allowed="1")
    if system.scale_out is None:
        raise ConfigError(f"system {system.id} has no scale-out network: {devices} devices exceed its "
                          f"scale-up domain of {span}; use at most {span}")
    q = system.chip.scale_out_bandwidth_Bps
    chip_Bps = q.value if q is not None else None
    return Link.from_network(system.scale_out, chip_Bps, f"chip {system.chip.id} scale_out_bandwidth_Bps")
