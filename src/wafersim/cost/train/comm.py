"""Collectives of many training plans at once, each over its own process group.

A plan's tensor-, context-, expert-, data- and pipeline-parallel groups differ in size and in the
stride between members (Megatron rank order tp, cp, dp, pp), so each group may span different
network tiers. Plans are grouped by (stride, group size); each distinct group is costed once
with the alpha-beta models of `collectives` over the tiers `tiers_for` finds, vectorised over the
message sizes of all plans that share it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from wafersim.catalog.system import System
from wafersim.cost.kernels.collectives import (
    Link,
    all_gather_s,
    all_to_all_s,
    group_tiers,
    hierarchical_allreduce_s,
    p2p_s,
    reduce_scatter_s,
)
from wafersim.xp import Real, Whole

Array = npt.NDArray[np.float64]
Tiers = tuple[tuple[Link, int], ...]
Mask = npt.NDArray[np.bool_]
FEW = 64  # up to this many plans, distinct keys are found in Python (numpy's sort costs more)


def _layered(op: Callable[[Real, int, Link], Real]) -> Callable[[Real, Tiers], Real]:
    """Reduce-scatter or all-gather over tiers: the inner tier on the full buffer, each outer
    tier on the inner tiers' shard (hierarchical collectives, NCCL's tree/ring per tier)."""
    def run(b: Real, tiers: Tiers) -> Real:
        total: Real = np.zeros_like(b) if isinstance(b, np.ndarray) else 0.0
        shard = b
        for link, n in tiers:
            total = total + op(shard, n, link)
            shard = shard / n
        return total
    return run


def _allreduce(b: Real, tiers: Tiers) -> Real:
    return hierarchical_allreduce_s(b, list(tiers))


def _all_to_all(b: Real, tiers: Tiers) -> Real:
    # every member sends to every other; the outermost tier carries nearly all of it (conservative)
    group = math.prod(n for _, n in tiers)
    return all_to_all_s(b, group, tiers[-1][0])


OPS: dict[str, Callable[[Real, Tiers], Real]] = {
    "allreduce": _allreduce,
    "reduce_scatter": _layered(reduce_scatter_s),
    "all_gather": _layered(all_gather_s),
    "all_to_all": _all_to_all,
}


class GroupCollectives:
    """Collective times on one system for arrays of (message size, stride, group size)."""

    def __init__(self, system: System) -> None:
        self.system = system
        self._cache: dict[tuple[int, int], Tiers] = {}

    def tiers(self, stride: int, group: int) -> Tiers:
        """The network tiers a group of `group` members `stride` devices apart spans (cached)."""
        key = (stride, group)
        tiers = self._cache.get(key)
        if tiers is None:
            tiers = self._cache[key] = group_tiers(self.system, group, stride)
        return tiers

    def time_s(self, op: str, nbytes: Real, stride: Whole, group: Whole) -> Real:
        """Seconds of `op` on each plan's group (0 where the group has one member); one plan's
        group given as ints costs a float."""
        if not isinstance(nbytes, np.ndarray) and isinstance(stride, int) and isinstance(group, int):
            return OPS[op](float(nbytes), self.tiers(stride, group)) if group > 1 else 0.0
        b, s, g = _broadcast(np.asarray(nbytes, float), np.asarray(stride), np.asarray(group))
        out = np.zeros(b.shape)
        keys = s.astype(np.int64) * (1 << 32) + g.astype(np.int64)
        for key, mask in _groups(keys, g > 1):
            out[mask] = OPS[op](b[mask], self.tiers(key >> 32, key & 0xFFFFFFFF))
        return out

    def p2p_s(self, nbytes: Real, stride: Whole) -> Real:
        """Seconds to send `nbytes` to the device `stride` ranks away (pipeline neighbours)."""
        if not isinstance(nbytes, np.ndarray) and isinstance(stride, int):
            return p2p_s(float(nbytes), self.tiers(stride, 2)[-1][0])
        b, s = _broadcast(np.asarray(nbytes, float), np.asarray(stride))
        out = np.zeros(b.shape)
        for value, mask in _groups(s, None):
            out[mask] = np.asarray(p2p_s(b[mask], self.tiers(value, 2)[-1][0]))
        return out

    def link_notes(self) -> tuple[str, ...]:
        """Defaults applied to the catalog networks the costed groups crossed."""
        return tuple(sorted({note for tiers in self._cache.values() for link, _ in tiers
                             for note in link.assumptions}))


def _groups(keys: npt.NDArray[np.int64], where: Mask | None) -> Iterator[tuple[int, Mask]]:
    """Each distinct key (ascending) among `keys[where]`, with the mask of its positions."""
    present = keys if where is None else keys[where]
    distinct = sorted(set(present.tolist())) if present.size <= FEW else np.unique(present).tolist()
    for key in distinct:
        yield key, keys == key


def _broadcast(*arrays: npt.NDArray[Any]) -> tuple[npt.NDArray[Any], ...]:
    """`np.broadcast_arrays`, skipped when the shapes already agree (one plan: the common case)."""
    if all(a.shape == arrays[0].shape for a in arrays[1:]):
        return arrays
    return tuple(np.broadcast_arrays(*arrays))
