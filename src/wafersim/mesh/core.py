"""The compute engines of all PEs: when each is free, cycles it was busy, FLOPs it did.

A PE's core runs one task at a time (tasks run to completion; Cerebras SDK, "Tasks"). Two kinds
of work are modelled, both vectorised over the grid:

- `run`: a local op that starts when its inputs are ready and the core is free and takes a given
  number of cycles (a SIMD op over v elements at width w takes ceil(v / w) cycles: the SIMD tail);
- `consume`: a data task per incoming wavelet (as for `fabin` DSDs): wavelet i arrives at
  a0 + i * spacing and costs w_i cycles, so t_i = max(a_i, t_{i-1}) + w_i. The recurrence is
  linear in i between its ends, so its exact solution is the larger of two terms (below).
"""

from __future__ import annotations

import numpy as np


def simd_cycles(elements: np.ndarray | int, width: int) -> np.ndarray:
    """Cycles of one SIMD op over `elements` at `width` per cycle (ceil: the tail costs a cycle)."""
    return np.ceil(np.asarray(elements, dtype=float) / width)


def _exact_sum(total: np.ndarray, add: float, times: int) -> bool:
    """Whether adding `add` to every value `times` times rounds nowhere: all are whole multiples
    of 2^-10 and every partial sum stays under 2^42 (53-bit significands)."""
    unit, bound = 2.0**-10, 2.0**42
    return bool(add >= 0 and not np.fmod(add, unit) and (total.size == 0 or (
        total.min() >= 0 and total.max() + add * times < bound and not np.fmod(total, unit).any())))


class Core:
    """Per-PE compute state as (rows, cols) arrays."""

    def __init__(self, shape: tuple[int, int]) -> None:
        self.free = np.zeros(shape)
        self.busy = np.zeros(shape)
        self.flops = np.zeros(shape)

    def run(self, ready: np.ndarray | float, cycles: np.ndarray | float,
            where: np.ndarray | None = None, flops: np.ndarray | float = 0.0) -> np.ndarray:
        """Start at max(free, ready), run `cycles`; returns the done cycle of every PE."""
        start = np.maximum(self.free, ready)
        done = start + cycles
        if where is None:  # every PE: the same sums without the masks
            self.free = done
            self.busy += cycles
            if not (np.ndim(flops) == 0 and flops == 0):  # adding +0.0 leaves every count as it is
                self.flops += flops
            return done.copy()
        self.free = np.where(where, done, self.free)
        self.busy += np.where(where, cycles, 0.0)
        self.flops += np.where(where, flops, 0.0)
        return np.where(where, done, self.free)

    def run_all(self, ready: np.ndarray, cycles: float, flops: float = 0.0,
                count: bool = True) -> np.ndarray:
        """`run` on every PE, in place: `ready` (an array the caller hands over and no longer
        changes) becomes the done cycles and the cores' free cycles; returns it. With
        `count=False` the busy cycles and FLOPs are left to `count_all`."""
        np.maximum(ready, self.free, out=ready)
        ready += cycles
        self.free = ready
        if count:
            self.busy += cycles
            self.flops += flops
        return ready

    def count_all(self, cycles: float, flops: float, times: int) -> None:
        """The busy cycles and FLOPs of `times` uncounted `run_all` calls: the same sums as
        adding them one call at a time (multiplied out only where every partial sum is exact)."""
        if times == 0:
            return
        for total, add in ((self.busy, cycles), (self.flops, flops)):
            if _exact_sum(total, add, times):
                total += add * times
            else:
                for _ in range(times):
                    total += add

    def consume(self, first: np.ndarray, wavelets: np.ndarray, spacing: float,
                work_full: np.ndarray | float, work_last: np.ndarray | float,
                flops: np.ndarray | float = 0.0) -> np.ndarray:
        """Process a stream wavelet by wavelet (see the module docstring); returns done cycles.

        done = max(max(free, a0) + (L-1) w + w_last,  a0 + (L-1) spacing + w_last)
        """
        got = wavelets > 0
        a0 = np.where(got, first, 0.0)
        tail = np.maximum(wavelets - 1, 0)
        work = tail * work_full + work_last
        done = np.maximum(self.free, a0)
        done += work
        a0 += tail * spacing + work_last  # a0 + (L-1) spacing + w_last
        np.maximum(done, a0, out=done)
        np.copyto(done, self.free, where=~got)  # a new array: earlier views of `free` keep theirs
        self.free = done
        np.add(self.busy, work, out=self.busy, where=got)
        np.add(self.flops, flops, out=self.flops, where=got)
        return done.copy()
