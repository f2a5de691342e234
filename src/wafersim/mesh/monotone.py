"""One direction's link free cycles in the form SUMMA panels update cheaply (`Fabric.panel`).

Exact grid: cycles that are multiples of 2^-10 below 2^38 make every sum, difference and
`_SEGMENT` offset of the stream recurrence exact (under 2^51 units of 2^-10), so arithmetic in
another order gives the same bits. There the free cycle of link k of a line is kept normalised,
f_k = free_k - k * hop, less a lag per position (holds not yet added, the same on every line):
free_k = stored_k + lag_k + k * hop. A stream from c leaves f non-decreasing on [c, end) (each is
the running maximum plus the hold), and a stream from c' merges that stretch with [c', end); so
with [m, end) known non-decreasing, a stream from c >= m has running maximum max(seed, f_k), one
pass with no scan. A stream whose links all carry the same lag adds its hold to the lag (a vector
over positions) instead of to every line; a link whose lag differs from the rest of the stretch's
takes theirs, its stored value moved by the difference (exact on the grid).
"""

from __future__ import annotations

import numpy as np

from wafersim.mesh.orient import orient

UNIT = 2.0**-10
BOUND = 2.0**38


def on_grid(values: np.ndarray | float) -> bool:
    """Whether every value is a multiple of `UNIT` in [0, `BOUND`) (the exact grid above)."""
    v = np.asarray(values)
    return bool(v.size == 0 or (v.min() >= 0 and v.max() < BOUND and not np.fmod(v, UNIT).any()))


class MonotoneLines:
    """Normalised free cycles of direction `d`, in grid layout (`orient` views), so that they,
    arrival grids and cores share one memory order.

    `JOIN`: a backward stream's stretch [c, end) grows by link c a step; link c takes the lag
    of [c + 1, end) (its stored value less the difference) so that the stream adds its hold to
    the lag, not to every line. False: the backward stream adds its hold to every line."""

    JOIN = True

    def __init__(self, free: np.ndarray, d: str, shape: tuple[int, int], hop: float) -> None:
        self.d = d
        self.offsets = np.arange(free.shape[1]) * hop
        self.grid = np.empty(shape)
        np.subtract(free, self.offsets, out=self.lines())
        self.lag = np.zeros(free.shape[1])
        self.m = free.shape[1] - 1  # lines non-decreasing on [m, end)
        self.top = float(free.max())  # no normalised free cycle is later

    def lines(self) -> np.ndarray:
        return orient(self.grid, self.d)

    def plain_into(self, free: np.ndarray) -> None:
        """The free cycles, back in `free` (line layout)."""
        np.add(self.lines(), self.offsets + self.lag, out=free)

    def stream(self, c: int, seed: np.ndarray, lazy: bool) -> tuple[np.ndarray, float]:
        """A stream from c of every line, ready at normalised `seed`: returns the links' first
        wavelet entries (normalised, a view of links c..) less the lag it returns; `settle`
        then adds the hold."""
        f, lag = self.lines(), self.lag[c:-1]
        if lazy and lag.size > 1 and lag[0] != lag[1] and lag[1:].min() == lag[1:].max():
            # link c joins the lag its stretch shares: one position, exact on the grid
            f[:, c] += lag[0] - lag[1]
            lag[0] = lag[1]
        shared = float(lag[0])
        if not (lazy and lag.min() == lag.max()):
            if lag.any():
                f += self.lag  # the holds owed, added to every line
                self.lag[...] = 0.0
            shared = 0.0
        seed = seed - shared
        if c < self.m:  # the scan runs where the lines are not known to be non-decreasing
            head = f[:, c:self.m]
            np.maximum(head[:, 0], seed, out=head[:, 0])
            np.maximum.accumulate(head, axis=1, out=head)
            seed = head[:, -1].copy()
        body = f[:, max(c, self.m):-1]
        np.maximum(body, seed[:, None], out=body)
        self.m = min(self.m, c)
        return f[:, c:-1], shared

    def settle(self, c: int, hold: float, lazy: bool) -> None:
        """Add the hold of the stream from c (after its arrivals were read)."""
        if lazy:
            self.lag[c:-1] += hold
        else:
            self.lines()[:, c:-1] += hold
