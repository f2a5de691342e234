"""One simulation: the machine, its routes, fabric, cores and SRAM, phase marks and trace spans.

Kernels drive a `MeshSim` phase by phase; each phase is a few vectorised calls over the whole grid
(no loop over PEs), and time jumps from event to event, so idle stretches cost nothing. `mark`
closes a phase: the breakdown is the growth of the latest finish cycle per phase, so its parts
add up to the total. `finish` turns the state into a frozen `MeshResult`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from wafersim.mesh.core import Core
from wafersim.mesh.fabric import Delivery, Fabric
from wafersim.mesh.machine import PEMachine
from wafersim.mesh.misuse import SramOverflow
from wafersim.mesh.result import MeshResult, Span
from wafersim.mesh.routes import RouteTable

TRACE_MAX_PES = 4096  # Chrome traces of bigger grids would be too large to open
_SRAM_FIX = "use a larger grid or a smaller problem"


class MeshSim:
    """State of every PE as NumPy arrays over the (rows, cols) grid."""

    def __init__(self, machine: PEMachine, trace: bool = False) -> None:
        shape = (machine.rows, machine.cols)
        self.machine = machine
        self.shape = shape
        self.routes = RouteTable(machine.rows, machine.cols, machine.colors)
        self.fabric = Fabric(machine, self.routes)
        self.core = Core(shape)
        self.sram = np.zeros(shape, dtype=np.int64)
        self.sram_parts: dict[str, np.ndarray] = {}
        self.marks: dict[str, int] = {}
        self._marked = 0
        self.spans: list[Span] | None = [] if trace else None
        self.scope = ""  # prefix of phase names while a composed kernel runs
        self.started = time.perf_counter()
        self.aside_s = 0.0  # wall seconds spent outside the simulation (`off_clock`)

    def alloc(self, name: str, bytes_per_pe: np.ndarray | int) -> None:
        """Reserve SRAM on every PE; a PE that overflows its SRAM makes the layout infeasible."""
        cap = self.machine.sram_per_pe_bytes
        if isinstance(bytes_per_pe, int) and bytes_per_pe > 2**62:  # past int64: every PE
            raise SramOverflow((0, 0), "SRAM", f"needs {bytes_per_pe:,} bytes ({name} "
                               f"{bytes_per_pe:,}) but has {cap:,}", _SRAM_FIX)
        need = np.broadcast_to(np.asarray(bytes_per_pe, dtype=np.int64), self.shape)
        self.sram = self.sram + need
        self.sram_parts[name] = self.sram_parts.get(name, 0) + need
        if (self.sram > cap).any():
            r, c = (int(i) for i in np.unravel_index(int(np.argmax(self.sram)), self.shape))
            parts = ", ".join(f"{k} {int(v[r, c]):,}" for k, v in self.sram_parts.items())
            raise SramOverflow((c, r), "SRAM", f"needs {int(self.sram[r, c]):,} bytes ({parts}) "
                               f"but has {cap:,}", _SRAM_FIX)

    @contextmanager
    def off_clock(self) -> Iterator[None]:
        """Wall time spent in the block (drawing a kernel's random inputs, its NumPy reference
        check) is not the simulation's: `sim_wall_s` and `pe_cycles_per_s` leave it out."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.aside_s += time.perf_counter() - start

    def now(self) -> float:
        return max(float(self.core.free.max()), self.fabric.horizon)

    def mark(self, phase: str) -> None:
        """Close a phase: its share is the growth of the latest finish cycle since the last mark."""
        t = int(np.ceil(self.now()))
        phase = f"{self.scope}.{phase}" if self.scope else phase
        self.marks[phase] = self.marks.get(phase, 0) + t - self._marked
        self._marked = t

    def span(self, name: str, start: np.ndarray, end: np.ndarray) -> None:
        """Record per-PE busy spans for the Chrome trace (only when tracing)."""
        if self.spans is not None:
            self.spans.append(Span(name, np.broadcast_to(start, self.shape).copy(),
                                   np.broadcast_to(end, self.shape).copy()))

    def compute(self, name: str, ready: np.ndarray | float, cycles: np.ndarray | float,
                where: np.ndarray | None = None, flops: np.ndarray | float = 0.0) -> np.ndarray:
        """A local op on every PE in `where` (see `Core.run`), traced as `name`."""
        start = np.maximum(self.core.free, ready) if self.spans is not None else None
        done = self.core.run(ready, cycles, where, flops)
        if start is not None:
            mask = np.ones(self.shape, bool) if where is None else where
            self.span(name, np.where(mask, start, np.nan), np.where(mask, done, np.nan))
        return done

    def consume(self, name: str, delivery: Delivery, work_full: np.ndarray | float,
                work_last: np.ndarray | float, flops: np.ndarray | float = 0.0) -> np.ndarray:
        """Process a delivered stream wavelet by wavelet (see `Core.consume`), traced as `name`."""
        got = delivery.wavelets > 0
        start = np.where(got, np.maximum(self.core.free, delivery.first), np.nan)
        done = self.core.consume(delivery.first, delivery.wavelets, delivery.spacing, work_full,
                                 work_last, flops)
        self.span(name, start, np.where(got, done, np.nan))
        return done

    def finish(self, kernel: str, precision: str, useful_flops: float, output: np.ndarray,
               error: float, params: dict[str, object]) -> MeshResult:
        """The frozen result: cycles, time range, rates, utilisation and SRAM per PE."""
        self.scope = ""
        self.mark("tail")
        cycles = max(int(np.ceil(self.now())), 1)  # an empty kernel still takes a cycle
        self.marks["tail"] += cycles - sum(self.marks.values())
        if self.marks["tail"] == 0:
            del self.marks["tail"]
        wall = max(time.perf_counter() - self.started - self.aside_s, 1e-9)
        m = self.machine
        return MeshResult(
            kernel=kernel, pe=m.pe, grid=(m.cols, m.rows), precision=precision, cycles=cycles,
            time_s=cycles / m.clock_hz, time_s_lo=cycles / m.clock_hz_hi,
            time_s_hi=cycles / m.clock_hz_lo, flops=useful_flops,
            flops_per_s=useful_flops * m.clock_hz / cycles, max_abs_error=float(error),
            breakdown=dict(self.marks), sim_wall_s=wall, pe_cycles_per_s=m.pes * cycles / wall,
            peak_sram_bytes_per_pe=int(self.sram.max()), sram_bytes=self.sram.copy(),
            compute_util=self.core.busy / cycles,
            link_util=self.fabric.link_cycles_per_pe() / cycles,
            wavelets_sent=self.fabric.wavelets_sent(),
            wavelets_received=self.fabric.wavelets_received(),
            colors_used=self.routes.used_colors(), output=output, params=params,
            spans=tuple(self.spans) if self.spans is not None else None,
            clock_hz=m.clock_hz,
        )
