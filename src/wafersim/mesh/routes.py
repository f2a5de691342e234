"""Static per-color routes: the router configuration of every PE, as arrays over the grid.

Each PE's router has five ports (RAMP to its own core, N, E, S, W). For every color (virtual
channel) a PE has one input port and a set of output ports; a wavelet of that color arriving on
the input port is copied to every output port, so multicast is a route with several outputs
(Cerebras SDK, "A Conceptual View" and the `@set_color_config(x, y, color, .{.rx, .tx})` layout
call). Routes are set per kernel phase; re-routing a color between phases stands for the SDK's
fabric switches. A PE whose color is already routed differently is a configuration error.
"""

from __future__ import annotations

import numpy as np

from wafersim.mesh.misuse import KernelError, first_pe
from wafersim.mesh.orient import orient

RAMP, NORTH, EAST, SOUTH, WEST = 0, 1, 2, 3, 4
PORTS = {"R": RAMP, "N": NORTH, "E": EAST, "S": SOUTH, "W": WEST}
PORT_NAMES = {v: k for k, v in PORTS.items()}
OPPOSITE = {NORTH: SOUTH, SOUTH: NORTH, EAST: WEST, WEST: EAST}
NONE = -1


def bit(port: int) -> int:
    return 1 << port


class _PerColor(dict[int, np.ndarray]):
    """One grid per color of `colors`, made (filled with `fill`) when first read: a kernel
    routes a few of the machine's colors, and a cleared color drops its grid."""

    def __init__(self, shape: tuple[int, int], colors: int, fill: int,
                 dtype: type[np.integer]) -> None:
        super().__init__()
        self.shape, self.colors, self.fill, self.dtype = shape, colors, fill, dtype

    def __missing__(self, color: int) -> np.ndarray:
        if not 0 <= color < self.colors:
            raise IndexError(f"color {color} is outside the router's {self.colors} colors")
        made = np.full(self.shape, self.fill, dtype=self.dtype)
        self[color] = made
        return made


class RouteTable:
    """rx[color]: input port per PE (-1: unrouted); tx[color]: output-port bit mask per PE."""

    def __init__(self, rows: int, cols: int, colors: int) -> None:
        self.shape = (rows, cols)
        self.colors = colors
        self.rx = _PerColor(self.shape, colors, NONE, np.int8)
        self.tx = _PerColor(self.shape, colors, 0, np.uint8)
        self.touched = np.zeros(colors, dtype=bool)  # colors routed at any time
        self.blank = [True] * colors  # colors routed nowhere now (cleared, not set since)

    def _check_color(self, color: int, where: np.ndarray | None = None) -> None:
        if not 0 <= color < self.colors:
            pe = first_pe(where) if where is not None and where.any() else (0, 0)
            raise KernelError(pe, f"color {color}", f"is outside the router's {self.colors} "
                              f"colors (0-{self.colors - 1})", "the kernel needs fewer colors")

    def set(self, color: int, where: np.ndarray, rx: int, tx: tuple[int, ...]) -> None:
        """Route `color` at the PEs in boolean mask `where`: input `rx`, outputs `tx`."""
        self._check_color(color, where)
        mask = np.uint8(sum(bit(p) for p in tx))
        clash = None if self.blank[color] else (  # a color routed nowhere cannot clash
            where & (self.rx[color] != NONE) & ((self.rx[color] != rx) | (self.tx[color] != mask)))
        if clash is not None and clash.any():
            pe = first_pe(clash)
            old = self._describe(color, pe)
            new = _route_text(rx, tx)
            raise KernelError(pe, f"color {color}", f"is already routed differently ({old}; "
                              f"asked for {new})", "clear it before re-routing")
        np.putmask(self.rx[color], where, rx)
        np.putmask(self.tx[color], where, mask)
        self.blank[color] = False
        self.touched[color] |= bool(where.any())

    def _describe(self, color: int, pe: tuple[int, int]) -> str:
        x, y = pe
        mask = int(self.tx[color][y, x])
        return _route_text(int(self.rx[color][y, x]), tuple(p for p in PORTS.values() if mask & bit(p)))

    def clear(self, color: int) -> None:
        """Forget the routes of `color` (a switch between kernel phases)."""
        self._check_color(color)
        self.rx.pop(color, None)
        self.tx.pop(color, None)
        self.blank[color] = True

    def sends(self, color: int, port: int) -> np.ndarray:
        return (self.tx[color] & bit(port)) != 0

    def receives_from(self, color: int, port: int) -> np.ndarray:
        return self.rx[color] == port

    def used_colors(self) -> int:
        return int(self.touched.sum())


def _route_text(rx: int, tx: tuple[int, ...]) -> str:
    return f"rx {PORT_NAMES[rx]}, tx {'+'.join(PORT_NAMES[p] for p in tx) or 'none'}"


def line_routes(table: RouteTable, color: int, direction: int, senders: np.ndarray,
                reach: np.ndarray, deliver: bool = True) -> None:
    """Route `color` from each sender `reach` hops in `direction` (multicast to every PE on the way
    when `deliver`, else only to the last). `senders` and `reach` are (rows, cols) arrays; the
    segments must not overlap."""
    rows, cols = table.shape
    dname = {NORTH: "N", EAST: "E", SOUTH: "S", WEST: "W"}[direction]
    s = orient(senders.astype(bool), dname)
    k = orient(np.where(senders, reach, 0), dname)
    idx = np.arange(s.shape[1])
    start = np.maximum.accumulate(np.where(s, idx, -1), axis=1)
    hops = np.maximum.accumulate(np.where(s, idx + k, -1), axis=1)
    inside = (start >= 0) & (idx > start) & (idx <= hops)
    last = inside & (idx == hops)
    sender_o, inside_o, last_o = s & (k > 0), inside & ~last, last
    back = OPPOSITE[direction]
    table.set(color, _unorient(sender_o, dname, rows, cols), RAMP, (direction,))
    mid = (direction, RAMP) if deliver else (direction,)
    table.set(color, _unorient(inside_o, dname, rows, cols), back, mid)
    table.set(color, _unorient(last_o, dname, rows, cols), back, (RAMP,))


def _unorient(a: np.ndarray, d: str, rows: int, cols: int) -> np.ndarray:
    out = np.zeros((rows, cols), dtype=bool)
    orient(out, d)[...] = a
    return out
