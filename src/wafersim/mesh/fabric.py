"""The fabric: links between neighbouring routers, streams of wavelets, link occupancy, counters.

A stream is `L` wavelets a PE's core injects on one color. It moves along a row or column as far
as the color's routes carry it, and each PE whose route includes RAMP receives a copy (multicast).
Link model (Cerebras SDK, "A Conceptual View"): one 32-bit wavelet per link and direction per
`1 / link_wavelets_per_cycle` cycles, `hop_latency_cycles` from router to router. Streams are
pipelined: the first wavelet enters link k of its path at

    s_k = max(s_{k-1} + hop, free_k),   s_1 = max(ready, free_1)

(wormhole-style cut-through; `free_k` is when link k finished its previous stream) and wavelet i
follows at s_k + i * cycles_per_wavelet. Solving the recurrence for every link at once is a running
maximum along the line (`np.maximum.accumulate`), segmented per sender, so a whole phase over the
grid is a handful of array operations. Links are granted to streams in issue order; colors share
the physical link (a stream holds it from its first to its last wavelet).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wafersim.mesh.exact import on_grid
from wafersim.mesh.machine import PEMachine
from wafersim.mesh.misuse import KernelError, first_pe
from wafersim.mesh.orient import DIRECTIONS, orient
from wafersim.mesh.routes import EAST, NONE, NORTH, OPPOSITE, RAMP, SOUTH, WEST, RouteTable

PORT_OF = {"E": EAST, "W": WEST, "S": SOUTH, "N": NORTH}
BACK = {"E": "W", "W": "E", "S": "N", "N": "S"}
_SEGMENT = 2.0**40  # offset per segment so one running maximum serves many segments of a line


def common_sender(so: np.ndarray) -> int | None:
    """The position of the one sender of every line when all lines have it at the same place."""
    first = so[0]
    if first.sum() != 1:
        return None
    c = int(np.argmax(first))
    if not so[:, c].all() or int(np.count_nonzero(so)) != so.shape[0]:
        return None
    return c


def _along_lines(line: np.ndarray, d: str, shape: tuple[int, int]) -> np.ndarray:
    """The same values at each position of every line of direction `d`, as a read-only grid."""
    if d in ("W", "N"):
        line = line[::-1]
    return np.broadcast_to(line[None, :] if d in ("E", "W") else line[:, None], shape)


# per direction: link free cycle, wavelets and busy cycles of the outgoing link, wavelets into
# the router, out of and into the ramp
_STATE_TYPES = (float, np.int64, float, np.int64, np.int64, np.int64)


def _line_shape(shape: tuple[int, int], d: str) -> tuple[int, int]:
    """(lines, positions) of a grid seen in direction `d` (`orient`)."""
    return shape if d in ("E", "W") else (shape[1], shape[0])


class _LinkState(dict[str, tuple[np.ndarray, ...]]):
    """The fabric's per-direction arrays, each made (zeros) when first asked for."""

    def __init__(self, shape: tuple[int, int]) -> None:
        super().__init__()
        self.shape = shape

    def __missing__(self, d: str) -> tuple[np.ndarray, ...]:
        made = tuple(np.zeros(_line_shape(self.shape, d), dtype=t) for t in _STATE_TYPES)
        self[d] = made
        return made


@dataclass(frozen=True)
class Delivery:
    """What a stream delivered to each core: first-wavelet cycle (inf: nothing) and count."""

    first: np.ndarray
    wavelets: np.ndarray
    spacing: float  # cycles between consecutive wavelets

    @property
    def last(self) -> np.ndarray:
        return self.first + np.maximum(self.wavelets - 1, 0) * self.spacing

    def with_senders(self, senders: np.ndarray, ready: float, wavelets: int) -> Delivery:
        """This delivery with each sender holding its own `wavelets` from `ready` (a sender
        works on what it sends as it leaves)."""
        return Delivery(np.where(senders, ready, self.first),
                        np.where(senders, wavelets, self.wavelets), self.spacing)


class Fabric:
    """Link state over the grid: when each link is free and how many wavelets crossed it."""

    def __init__(self, machine: PEMachine, routes: RouteTable) -> None:
        self.shape = (machine.rows, machine.cols)
        self.routes = routes
        self.hop = machine.hop_latency_cycles
        self.spacing = machine.cycles_per_wavelet
        self.horizon = 0.0  # latest cycle a delivered wavelet reached a core
        # per direction of travel, stored in that direction's view (`orient`) so every pass over
        # a line is contiguous: link free cycle, wavelets and busy cycles of the outgoing link,
        # wavelets into the router, out of and into the ramp
        # (made on a direction's first use: a kernel often uses two of the four)
        self._state = _LinkState(self.shape)
        # wavelets multicast from each line position, per direction, not yet added to the
        # counters (`_multicast_from` with whole-cycle spacing, where the sums are exact)
        self._pending = {d: np.zeros(_line_shape(self.shape, d)[1], dtype=np.int64)
                         for d in DIRECTIONS}
        self._exact_timing = on_grid(self.hop) and on_grid(self.spacing)

    def _views(self, d: str) -> tuple[np.ndarray, ...]:
        self._flush(d)
        return self._state[d]

    def _flush(self, d: str) -> None:
        """Add the pending multicasts of direction `d` to its counters: a stream from position c
        crosses links c.. and enters routers and ramps c + 1.."""
        sent = self._pending[d]
        if not sent.any():
            return
        _, link_w, link_c, router_in, ramp_out, ramp_in = self._state[d]
        crossing = np.cumsum(sent)
        link_w[:, :-1] += crossing[:-1]
        link_c[:, :-1] += crossing[:-1] * self.spacing
        router_in[:, 1:] += crossing[:-1]
        ramp_out += sent
        ramp_in[:, 1:] += crossing[:-1]
        sent[...] = 0

    def _grid(self, part: int) -> list[np.ndarray]:
        """State `part` of every direction, in grid layout (zero where a direction is unused)."""
        out = []
        for d in DIRECTIONS:
            a = np.zeros(self.shape, dtype=_STATE_TYPES[part])
            if self._used(d):
                orient(a, d)[...] = self._views(d)[part]
            out.append(a)
        return out

    def _used(self, d: str) -> bool:
        return d in self._state or bool(self._pending[d].any())

    @property
    def router_in(self) -> np.ndarray:
        return np.sum(self._grid(3), axis=0)

    @property
    def ramp_out(self) -> np.ndarray:
        return np.sum(self._grid(4), axis=0)

    @property
    def ramp_in(self) -> np.ndarray:
        return np.sum(self._grid(5), axis=0)

    def send(self, color: int, d: str, senders: np.ndarray, wavelets: np.ndarray | int,
             ready: np.ndarray | float) -> Delivery:
        """Each sender (bool mask) injects `wavelets` on `color` at cycle `ready`, towards `d`."""
        shape = senders.shape
        n = orient(np.broadcast_to(np.asarray(wavelets, dtype=np.int64), shape), d)
        t0 = orient(np.broadcast_to(np.asarray(ready, dtype=float), shape), d)
        port = PORT_OF[d]
        tx = orient(self.routes.sends(color, port), d)
        rx_in = orient(self.routes.receives_from(color, OPPOSITE[port]), d)
        snd = orient(senders, d) & (n > 0) & tx
        self._check_senders(color, d, snd)
        idx = np.arange(snd.shape[1])
        link_on = np.zeros(snd.shape, dtype=bool)
        link_on[:, :-1] = tx[:, :-1] & rx_in[:, 1:]
        start = snd & link_on
        first_link = np.maximum.accumulate(np.where(start, idx, -1), axis=1)
        last_off = np.maximum.accumulate(np.where(link_on, -1, idx), axis=1)
        in_seg = link_on & (first_link >= 0) & (last_off < first_link)
        src = np.where(in_seg, first_link, 0)
        n_link = np.where(in_seg, np.take_along_axis(n, src, axis=1), 0)
        enter = self._enter(d, in_seg, start, src, np.take_along_axis(t0, src, axis=1), idx)
        return self._commit(d, start, in_seg, n, n_link, enter,
                            orient(self.routes.sends(color, RAMP), d))

    def multicast(self, color: int, d: str, senders: np.ndarray, wavelets: int,
                  ready: np.ndarray | float) -> Delivery | None:
        """`send` of `wavelets` (> 0) from each sender to the end of its line, delivering to every
        PE passed, on routes set for the call and cleared after (`lines.multicast`), derived here
        without the route table. None where the color is routed already at a PE the stream
        needs: the caller then takes the general path, which reports the clash."""
        so = orient(senders, d)
        column = common_sender(so)
        if column is not None:
            return self._multicast_from(color, d, column, wavelets, ready)
        idx = np.arange(so.shape[1])
        last_sender = np.maximum.accumulate(np.where(so, idx, -1), axis=1)
        receives = (last_sender >= 0) & (idx > last_sender)
        routed = receives | (so & (idx < so.shape[1] - 1))
        if (routed & (orient(self.routes.rx[color], d) != NONE)).any():
            return None
        self.routes.clear(color)
        self.routes.touched[color] |= bool(routed.any())
        link_on = np.zeros(so.shape, dtype=bool)
        link_on[:, :-1] = receives[:, 1:]
        src = np.where(link_on, last_sender, 0)
        t0 = np.asarray(ready, dtype=float)
        t0_src = t0 if t0.ndim == 0 else np.take_along_axis(orient(np.broadcast_to(
            t0, senders.shape), d), src, axis=1)
        start = so & link_on
        enter = self._enter(d, link_on, start, src, t0_src, idx)
        n = np.where(so, wavelets, 0)
        return self._commit(d, start, link_on, n, np.where(link_on, wavelets, 0), enter, receives)

    def _multicast_from(self, color: int, d: str, c: int, wavelets: int,
                        ready: np.ndarray | float) -> Delivery | None:
        """`multicast` where every line's one sender sits at position `c` of the line: the same
        arithmetic as the general path, on the links past `c` only (a SUMMA panel step)."""
        length = self._state[d][0].shape[1]
        if not self.routes.blank[color]:
            if (orient(self.routes.rx[color], d)[:, c + (c == length - 1):] != NONE).any():
                return None
            self.routes.clear(color)
        self.routes.touched[color] |= c < length - 1
        out_first = np.full(self.shape, np.inf)
        line = np.zeros(length, dtype=np.int64)
        line[c + 1:] = wavelets
        out_n = _along_lines(line, d, self.shape)
        if c == length - 1:
            return Delivery(out_first, out_n, self.spacing)
        t0 = np.asarray(ready, dtype=float)
        t0_c = t0 if t0.ndim == 0 else orient(np.broadcast_to(t0, self.shape), d)[:, c]
        orient(out_first, d)[:, c + 1:] = self._from_position(d, c, wavelets, t0_c)
        return Delivery(out_first, out_n, self.spacing)

    def _from_position(self, d: str, c: int, wavelets: int, t0_c: np.ndarray) -> np.ndarray:
        """The stream recurrence on the links past position `c` of every line of `d` (the
        general path's arithmetic, op for op), counters and horizon included; returns the
        first-wavelet arrival at positions c + 1.. (a new array)."""
        length = self._state[d][0].shape[1]
        free = self._state[d][0]
        offset = np.arange(c, length - 1) * self.hop
        g = free[:, c:-1] - offset
        g[:, 0] = np.maximum(g[:, 0], t0_c - c * self.hop)
        g += _SEGMENT
        enter = np.maximum.accumulate(g, axis=1, out=g)
        enter += offset  # in the order of `_enter`: (offset + running max) - segment
        enter -= _SEGMENT
        np.add(enter, wavelets * self.spacing, out=free[:, c:-1])
        self._pending[d][c] += wavelets
        if not float(self.spacing).is_integer():
            self._flush(d)
        first = enter
        first += self.hop
        # a running maximum plus growing offsets, each op rounding monotonically: every line's
        # latest arrival is its last position
        self.horizon = max(self.horizon, float(first[:, -1].max()) + (wavelets - 1) * self.spacing)
        return first

    def panel(self, colors: tuple[int, int], d: str, c: int, wavelets: int, t0_c: np.ndarray,
              out: np.ndarray, shift: float = 0.0) -> None:
        """`multicast` of `wavelets` (> 0) from position `c` of every line of `d` both ways
        (colors[0] towards `d`, colors[1] back, both routed nowhere: `RouteTable.blank`),
        writing into grid `out` when each PE has the last wavelet less `shift` (`t0_c`, one per
        line, at the senders): a SUMMA panel without the arrival grids."""
        if not (self.routes.blank[colors[0]] and self.routes.blank[colors[1]]):
            raise ValueError(f"panel colors {colors} are routed; use multicast")
        length = self._state[d][0].shape[1]
        orient(out, d)[:, c] = t0_c - shift
        tail = (wavelets - 1) * self.spacing
        for way, at, color in ((d, c, colors[0]), (BACK[d], length - 1 - c, colors[1])):
            self.routes.touched[color] |= at < length - 1
            if at == length - 1:
                continue
            last = self._from_position(way, at, wavelets, t0_c)
            if tail:
                last += tail
            if shift:
                last -= shift
            orient(out, way)[:, at + 1:] = last

    def free_cycles(self, d: str) -> np.ndarray:
        """Direction `d`'s link free cycles in its line layout (`orient`), writable."""
        return self._views(d)[0]

    def note_panels(self, d: str, sent: np.ndarray, color: int) -> None:
        """Panels of `sent[c]` wavelets in all from each line position c of `d` (on `color`),
        whose link free cycles the caller wrote: the counters and routes `panel` would keep."""
        self._pending[d][:sent.size] += sent
        self.routes.touched[color] |= bool(sent.any())

    def exact_top(self) -> float | None:
        """The latest link free cycle when every one and the link timing are on the exact grid
        (`on_grid`), else None."""
        if not self._exact_timing:
            return None
        top = 0.0
        for d in DIRECTIONS:
            if d in self._state:
                if not on_grid(self._state[d][0]):
                    return None
                top = max(top, float(self._state[d][0].max()))
        return top

    def _check_senders(self, color: int, d: str, snd: np.ndarray) -> None:
        rx = orient(self.routes.rx[color], d)
        bad = snd & (rx != RAMP)
        if bad.any():
            grid = np.zeros(self.shape, dtype=bool)
            orient(grid, d)[...] = bad
            raise KernelError(first_pe(grid), f"color {color}", f"sends {d} but is not routed "
                              "from its RAMP", "route it before sending")

    def _enter(self, d: str, in_seg: np.ndarray, start: np.ndarray, src: np.ndarray,
               t0: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Cycle the first wavelet enters each link of each segment (the module's recurrence)."""
        free = self._views(d)[0]
        g = np.where(in_seg, free - idx * self.hop, -np.inf)
        seed = in_seg & (idx == src)
        g = np.where(seed, np.maximum(g, t0 - src * self.hop), g)
        segment = np.cumsum(start, axis=1) * _SEGMENT
        return idx * self.hop + np.maximum.accumulate(g + segment, axis=1) - segment

    def _commit(self, d: str, start: np.ndarray, in_seg: np.ndarray, n: np.ndarray,
                n_link: np.ndarray, enter: np.ndarray, ramp_route: np.ndarray) -> Delivery:
        free, link_w, link_c, router_in, ramp_out, ramp_in = self._views(d)
        hold = n_link * self.spacing
        np.copyto(free, enter + hold, where=in_seg)
        link_w += n_link
        link_c += hold
        got = np.zeros(n.shape, dtype=np.int64)
        got[:, 1:] = n_link[:, :-1]
        first = np.full(n.shape, np.inf)
        first[:, 1:] = np.where(in_seg[:, :-1], enter[:, :-1] + self.hop, np.inf)
        router_in += got
        np.add(ramp_out, n, out=ramp_out, where=start)
        deliver = ramp_route & (got > 0)
        np.add(ramp_in, got, out=ramp_in, where=deliver)
        out_first = np.full(self.shape, np.inf)
        out_n = np.zeros(self.shape, dtype=np.int64)
        orient(out_first, d)[...] = np.where(deliver, first, np.inf)
        orient(out_n, d)[...] = np.where(deliver, got, 0)
        if deliver.any():
            last = np.where(deliver, first + (got - 1) * self.spacing, -np.inf)
            self.horizon = max(self.horizon, float(last.max()))
        return Delivery(out_first, out_n, self.spacing)

    def wavelets_sent(self) -> int:
        return int(sum(int(self._views(d)[1].sum()) for d in DIRECTIONS if self._used(d)))

    def wavelets_received(self) -> int:
        return int(sum(int(self._views(d)[3].sum()) for d in DIRECTIONS if self._used(d)))

    def link_cycles_per_pe(self) -> np.ndarray:
        """Cycles each PE's busiest outgoing link was occupied."""
        return np.max(self._grid(2), axis=0)
