"""Interruptions of a long run, the checkpoints that bound their cost, and the goodput left.

A job stops at the first failure of any component it uses; with independent exponential
failures the rates add: accelerators (hardware and software), hosts, scale-out endpoints, and a
weight-streaming cluster's MemoryX servers and SwarmX ports (`Reliability` parts, from published
fleet data). The checkpoint (weights and optimizer state) is written and read at the site's
storage bandwidth per accelerator (wafer clusters: per system). Between
checkpoints the job computes for Daly's optimal interval, and its expected wall time follows
Daly's formula for exponential failures, restarts included.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from wafersim.catalog.schema import Quantity
from wafersim.catalog.system import System
from wafersim.cost.kernels.network import fabric_bill, figure
from wafersim.units import fmt_bandwidth

# ZeRO (Rajbhandari et al. 2020): 16-bit weights plus 12 B of fp32 master weights and Adam moments
CHECKPOINT_BYTES_PER_PARAM = 14.0
LARGEST_EXPONENT = 700.0  # e**700 is near the float limit: a run that long never finishes


@dataclass(frozen=True)
class Interruptions:
    """A run's failures and checkpoints (SI units); goodput = failure-free time / wall time."""

    mtbf_s: float  # mean time between interruptions of the whole job (inf: no known rate)
    rates_per_s: dict[str, float]  # interruptions per second by component class
    checkpoint_bytes: float
    checkpoint_write_s: float
    restart_s: float  # rejoining plus reading the checkpoint back
    interval_s: float  # compute between two checkpoints
    goodput: float
    expected: float  # interruptions expected over the whole run
    notes: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"mtbf_s": None if math.isinf(self.mtbf_s) else self.mtbf_s,
                "rates_per_s": dict(self.rates_per_s), "checkpoint_bytes": self.checkpoint_bytes,
                "checkpoint_write_s": self.checkpoint_write_s, "restart_s": self.restart_s,
                "checkpoint_interval_s": self.interval_s, "goodput": self.goodput,
                "expected_interruptions": self.expected}


def _rate(q: Quantity | None, count: float) -> float:
    return 0.0 if q is None or q.value is None or count <= 0 else count / q.value


def failure_rates(system: System) -> dict[str, float]:
    """Interruptions per second of a job on all of `system`, by component class."""
    r = system.reliability
    if r is None:
        return {}
    ms = system.memory_service
    ms_nodes = ms.nodes_count.value if ms and ms.nodes_count and ms.nodes_count.value else 1
    endpoints = fabric_bill(system).endpoints
    rates = {"device": _rate(r.device_mtbf_s, system.devices),
             "software": _rate(r.software_mtbf_s, system.devices),
             "node": _rate(r.node_mtbf_s, system.nodes if system.node else 0),
             "link": _rate(r.link_mtbf_s, 0 if system.broadcast_reduce else endpoints),
             "memory_service": _rate(r.memory_service_mtbf_s, ms_nodes if ms else 0),
             "broadcast_reduce": _rate(r.broadcast_reduce_mtbf_s,
                                       endpoints if system.broadcast_reduce else 0)}
    return {k: v for k, v in rates.items() if v > 0}


def daly_interval(write_s: float, mtbf_s: float) -> float:
    """Daly (2006) eq. 37: the compute interval between checkpoints that minimises wall time."""
    if write_s >= 2 * mtbf_s:
        return mtbf_s
    x = write_s / (2 * mtbf_s)
    return math.sqrt(2 * write_s * mtbf_s) * (1 + math.sqrt(x) / 3 + x / 9) - write_s


def daly_wall_s(busy_s: float, interval_s: float, write_s: float, restart_s: float,
                mtbf_s: float) -> float:
    """Daly (2006) eq. 13: expected wall time of `busy_s` of work under exponential failures."""
    restarts = math.exp(min(restart_s / mtbf_s, LARGEST_EXPONENT))
    segments = math.expm1(min((interval_s + write_s) / mtbf_s, LARGEST_EXPONENT))
    return mtbf_s * restarts * segments * busy_s / interval_s


def interruptions(system: System, busy_s: float, params_count: float) -> Interruptions:
    """Failures, checkpoints and goodput of training `params_count` parameters for `busy_s`
    seconds of failure-free compute on `system`."""
    rates = failure_rates(system)
    total = sum(rates.values())
    mtbf = math.inf if total == 0 else 1.0 / total
    size = params_count * CHECKPOINT_BYTES_PER_PARAM
    bandwidth, notes = _storage_Bps(system)
    write = size / bandwidth
    assert system.site is not None, "resolve() gives every system a site"
    restart = figure(system.site.restart_s) + write
    if math.isinf(mtbf):
        return Interruptions(mtbf, rates, size, write, restart, busy_s, 1.0, 0.0,
                             notes + ("no failure rates known: goodput 1",))
    interval = daly_interval(write, mtbf)
    wall = daly_wall_s(busy_s, interval, write, restart, mtbf)
    goodput = busy_s / wall if math.isfinite(wall) else 0.0
    return Interruptions(mtbf, rates, size, write, restart, interval, goodput, wall / mtbf, notes)


def _storage_Bps(system: System) -> tuple[float, tuple[str, ...]]:
    """Checkpoint bandwidth: the site's share per accelerator, storage being provisioned with
    the cluster (Llama 3: 2 TB/s for 16,384 GPUs)."""
    assert system.site is not None, "resolve() gives every system a site"
    per_device = figure(system.site.storage_bandwidth_per_device_Bps)
    return per_device * system.devices, (
        f"checkpoint written and read at {fmt_bandwidth(per_device * system.devices)} "
        f"({fmt_bandwidth(per_device)} per accelerator, site storage)",)
