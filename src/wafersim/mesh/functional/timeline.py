"""When each unit's weights arrive, its compute runs and its gradient is applied, in one step.

Weights stream from MemoryX back to back, down the SwarmX tree, pipelined (the last byte leaves
MemoryX bytes / rate after the first and reaches a wafer `depth` tree levels later:
Sanders, Speck & Traff 2009). A wafer holds the catalogued number of units' weights (the node's
`weight_buffers_count`, 2: the unit computing and the next): MemoryX sends a unit once the unit
that many places back has finished and freed its buffer, not earlier. Forward units run in
order, then backward in reverse order, as one stream. Each backward unit's gradient goes up the
tree once computed, and MemoryX updates that unit once it has arrived, at the optimizer's rate
or the gradient stream's, the slower (a catalogued rate, else assumed to keep pace with the
stream)."""

from __future__ import annotations

from dataclasses import dataclass

from wafersim.mesh.functional.cluster import WaferCluster
from wafersim.ops.memory import ADAM_FLOPS_PER_PARAM


@dataclass(frozen=True)
class Slot:
    """One unit pass to schedule: bytes down, bytes up (0 forward), compute seconds, params."""

    weight_bytes: int
    gradient_bytes: int
    compute_s: float
    params: int


@dataclass(frozen=True)
class Times:
    """Per slot: weights arrive, compute starts, compute done; the step's end."""

    arrive_s: tuple[float, ...]
    start_s: tuple[float, ...]
    done_s: tuple[float, ...]
    end_s: float


def update_s(cluster: WaferCluster, gradient_bytes: int, params: int) -> float:
    """MemoryX's update of one unit: the stream rate or the optimizer's, the slower."""
    stream = gradient_bytes / cluster.stream_Bps
    if cluster.optimizer_flops_per_s is None:
        return stream
    return max(stream, ADAM_FLOPS_PER_PARAM * params / cluster.optimizer_flops_per_s)


def schedule(slots: list[Slot], cluster: WaferCluster, depth: int) -> Times:
    """The step's timeline from t = 0 (see the module docstring)."""
    latency = depth * cluster.tree_level_latency_s
    arrive: list[float] = []
    start: list[float] = []
    done: list[float] = []
    down_free = up_free = memx_free = end = 0.0
    buffers = cluster.weight_buffers
    for i, s in enumerate(slots):
        send = max(down_free, done[i - buffers] if i >= buffers else 0.0)
        down_free = send + s.weight_bytes / cluster.stream_Bps
        arrive.append(down_free + latency)
        start.append(max(arrive[-1], done[-1] if done else 0.0))
        done.append(start[-1] + s.compute_s)
        end = max(end, done[-1])
        if s.gradient_bytes:
            up_free = max(up_free, done[-1]) + s.gradient_bytes / cluster.stream_Bps
            memx_free = max(memx_free, up_free + latency) + update_s(cluster, s.gradient_bytes,
                                                                     s.params)
            end = max(end, memx_free)
    return Times(tuple(arrive), tuple(start), tuple(done), end)
