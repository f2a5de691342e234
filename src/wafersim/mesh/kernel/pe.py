"""`PE`: every processing element of a grid at once, as a kernel sees "the PE at (x, y)".

A kernel is one Python function of a `PE`. `pe.x` and `pe.y` are (rows, cols) arrays of each PE's
column and row, `pe.width` and `pe.height` the grid size, so a condition such as `pe.x == 0`
is a mask over the grid and every call runs on all PEs as NumPy operations. The resources are
those of the SDK's programming model ("A Conceptual View"; CSL): named buffers in the PE's SRAM,
colors with a route per PE (input port, output ports), streams of wavelets on a color, data tasks
run per arriving wavelet, local tasks, and SIMD operations on buffers (`simd.SimdOps`). The
runtime is `MeshSim`: its fabric, cores and SRAM do the cycle accounting.
"""

from __future__ import annotations

import math

import numpy as np

from wafersim.mesh.engine import MeshSim
from wafersim.mesh.fabric import PORT_OF, Delivery
from wafersim.mesh.kernel.arrival import Arrival, source_data
from wafersim.mesh.kernel.buffer import Buffer
from wafersim.mesh.kernel.simd import SimdOps
from wafersim.mesh.layout import dtype_of
from wafersim.mesh.lines import multicast
from wafersim.mesh.lines import reduce_line as lines_reduce
from wafersim.mesh.machine import PRECISION_BYTES
from wafersim.mesh.misuse import KernelError, first_pe
from wafersim.mesh.routes import PORTS, RAMP

Mask = np.ndarray


class PE(SimdOps):
    """The grid's PEs as one vectorised PE (see the module docstring)."""

    def __init__(self, sim: MeshSim) -> None:
        self.sim, self.machine = sim, sim.machine
        self.y, self.x = np.indices(sim.shape)
        self.height, self.width = sim.shape
        self.buffers: dict[str, Buffer] = {}
        self.colors: dict[str, int] = {}

    def everywhere(self) -> Mask:
        return np.ones(self.sim.shape, dtype=bool)

    def buffer(self, name: str, shape: int | tuple[int, ...], precision: str = "fp32",
               where: Mask | None = None, account: bool = True) -> Buffer:
        """Declare a buffer of `shape` on the PEs in `where` (all); its SRAM is reserved there
        (`account=False`: a small queue or register set the SRAM budget leaves out)."""
        shape = (shape,) if isinstance(shape, int) else shape
        if account:  # before the values exist: an overflow is refused before any memory is used
            dtype_of(precision)  # a known precision, or a ConfigError naming it
            size = math.prod(shape) * PRECISION_BYTES[precision]
            self.sim.alloc(name, size if where is None else np.where(where, size, 0))
        buf = Buffer(name, self.sim.shape, shape, precision)
        self.buffers[name] = buf
        return buf

    def color(self, name: str, number: int | None = None) -> int:
        """The color called `name` (the next free one, or `number`); past the router's colors
        is an error at PE (0, 0)."""
        if name in self.colors:
            return self.colors[name]
        taken = set(self.colors.values())
        pick = number if number is not None else next(i for i in range(len(taken) + 1) if i not in taken)
        if not 0 <= pick < self.machine.colors:
            raise KernelError((0, 0), f"color {name!r}", f"needs color {pick} but the router has "
                              f"{self.machine.colors} (0-{self.machine.colors - 1})",
                              "use fewer colors or reuse one between phases")
        self.colors[name] = pick
        return pick

    def route(self, color: int, where: Mask, rx: str, tx: str) -> None:
        """At the PEs in `where`, wavelets of `color` come in on port `rx` and leave on every port
        of `tx` (ports R(amp), N, E, S, W; e.g. rx="W", tx="ER" forwards east and delivers)."""
        bad = [p for p in rx + tx if p not in PORTS] + ([] if len(rx) == 1 else [rx])
        if bad:
            pe = first_pe(where) if where.any() else (0, 0)
            raise KernelError(pe, f"color {color}", f"has no port {bad[0]!r}", "route from one "
                              "of R, N, E, S, W to any of them, e.g. rx='W', tx='ER'")
        self.sim.routes.set(color, where, PORTS[rx], tuple(PORTS[p] for p in tx))

    def unroute(self, color: int) -> None:
        self.sim.routes.clear(color)

    def send(self, color: int, d: str, where: Mask, data: Buffer | None = None,
             wavelets: int | None = None, ready: np.ndarray | float | None = None) -> Arrival:
        """The PEs in `where` stream `data` (or `wavelets` empty wavelets) on `color` towards
        `d`, along the routes already set; returns what every PE received."""
        n, values = self._payload(data, wavelets, where)
        routes = self.sim.routes
        unrouted = where & ~((routes.rx[color] == RAMP) & routes.sends(color, PORT_OF[d]))
        if n and unrouted.any():
            raise KernelError(first_pe(unrouted), f"color {color}", f"sends {d} but is not routed "
                              f"from its RAMP to {d}", "route it before sending")
        start = self.sim.core.free if ready is None else ready
        got = self.sim.fabric.send(color, d, where, n, start)
        return Arrival(got, None if values is None else source_data(values, where, got.wavelets > 0, d))

    def multicast(self, color: int, d: str, where: Mask, data: Buffer | None = None,
                  wavelets: int | None = None, ready: np.ndarray | float | None = None) -> Arrival:
        """`send` along a route set for the call: from each PE in `where` towards `d` to the edge
        of the grid, delivering to every PE passed (rx from behind, tx onwards and to the ramp)."""
        n, values = self._payload(data, wavelets, where)
        start = self.sim.core.free if ready is None else ready
        got = multicast(self.sim, color, d, where, n, start)
        return Arrival(got, None if values is None else source_data(values, where, got.wavelets > 0, d))

    def _payload(self, data: Buffer | None, wavelets: int | None,
                 where: Mask) -> tuple[int, np.ndarray | None]:
        if data is None:
            return int(wavelets or 0), None
        n = wavelets if wavelets is not None else -(-data.length // self.machine.values_per_wavelet(
            data.precision))
        return n, data.read(where)

    def on_data(self, name: str, arrival: Arrival | Delivery, per_wavelet: np.ndarray | float,
                last: np.ndarray | float | None = None, flops: np.ndarray | float = 0.0,
                into: Buffer | None = None) -> np.ndarray:
        """A data task of `per_wavelet` cycles per arriving wavelet (`last` for the final one) on
        every PE that received something; `into` stores the data. Returns the done cycles."""
        delivery = arrival.delivery if isinstance(arrival, Arrival) else arrival
        last = per_wavelet if last is None else last
        if into is not None and isinstance(arrival, Arrival):
            self.receive(into, arrival)
        return self.sim.consume(name, delivery, per_wavelet, last, flops)

    def receive(self, into: Buffer, arrival: Arrival) -> None:
        """Store what `arrival` carried into `into` on every PE that received it (the values of a
        data task's wavelets; its cycles are the task's)."""
        if arrival.data is not None:
            into.write(arrival.data, arrival.got)

    def task(self, name: str, cycles: np.ndarray | float, where: Mask | None = None,
             ready: np.ndarray | float | None = None, flops: np.ndarray | float = 0.0) -> np.ndarray:
        """A locally activated task of `cycles` on the PEs in `where` (all), once each is free
        and `ready`; returns the done cycles."""
        start = self.sim.core.free if ready is None else ready
        return self.sim.compute(name, start, cycles, where, flops)

    def reduce_line(self, d: str, values: Buffer | np.ndarray, pattern: str = "chain",
                    op: str = "sum", lines: Mask | None = None, first_color: int = 0) -> np.ndarray:
        """The library collective: reduce `values` (rows, cols, L) with `op` along every row
        (d E/W) or column (S/N) towards `d`, by a chain (add-and-forward on two colors) or a
        binary tree (a color per stage); returns the result at each line's end (`lines.py`)."""
        data = values.read() if isinstance(values, Buffer) else values
        return lines_reduce(self.sim, d, data, pattern, op, lines, first_color)[0]

    def mark(self, phase: str) -> None:
        """Close a phase of the kernel (the result's breakdown)."""
        self.sim.mark(phase)

    def now(self) -> float:
        return self.sim.now()

    def at(self, x: int, y: int) -> Mask:
        """The mask of the single PE (x, y)."""
        mask = np.zeros(self.sim.shape, dtype=bool)
        mask[y, x] = True
        return mask

