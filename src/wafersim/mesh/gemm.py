"""GEMM C = A @ B on the PE mesh by SUMMA (van de Geijn and Watts 1997; the SDK benchmark
`gemm-collectives_2d` uses the same scheme).

PE (r, c) owns the C tile C[r-block, c-block] (tm x tp). K is cut into P = max(rows, cols)
panels of kb = ceil(K / P); panel s of A lives on PE column s % cols and panel s of B on PE row
s % rows. Step s: the owners multicast their A panel (tm x kb) along their PE row both ways and
their B panel (kb x tp) along their PE column both ways (one color per direction); once both
panels have arrived, every PE runs kb * tp @fmach ops of length tm into its C tile. Panels are
double-buffered: the panel of step s is sent once its sender finished step s - 2, so
communication of one step overlaps computation of the previous one.
"""

from __future__ import annotations

import numpy as np

from wafersim.catalog import Catalog
from wafersim.mesh.budget import check_host_memory
from wafersim.mesh.core import simd_cycles
from wafersim.mesh.engine import TRACE_MAX_PES, MeshSim
from wafersim.mesh.exact import on_grid
from wafersim.mesh.kernel import PE
from wafersim.mesh.layout import (
    check_positive,
    dtype_of,
    from_tiles,
    max_abs_error,
    random_inputs,
    tile_of,
    to_tiles,
)
from wafersim.mesh.machine import machine_of
from wafersim.mesh.result import MeshResult
from wafersim.mesh.summa_runs import RunSteps

COLORS = {"E": 4, "W": 5, "S": 6, "N": 7}


def _panels(a: np.ndarray, b: np.ndarray, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray, int]:
    """A -> (rows, P, tm, kb) and B -> (cols, P, kb, tp) panel tiles, zero-padded."""
    steps = max(rows, cols)
    ap = to_tiles(a, rows, steps)  # (rows, P, tm, kb)
    bp = to_tiles(b, steps, cols).transpose(1, 0, 2, 3)  # (cols, P, kb, tp)
    return ap, bp, steps


def _send_panel(pe: PE, owners: np.ndarray, ways: tuple[str, str], wavelets: int,
                ready: np.ndarray) -> np.ndarray:
    """Multicast from `owners` (a whole PE column or row) both ways along their lines; returns
    the last arrival per PE (`ready` at the owners)."""
    got = [pe.multicast(COLORS[d], d, owners, wavelets=wavelets, ready=ready).delivery for d in ways]
    # every other PE of a line hears exactly one of the two streams (the other's first is inf)
    last = np.minimum(got[0].first, got[1].first)
    if wavelets > 1:
        last += (wavelets - 1) * got[0].spacing
    return np.where(owners, ready, last)


class _Steps:
    """The timing of SUMMA's steps. Untraced, with SUMMA's colors free, a step is two
    `Fabric.panel` calls into arrival grids and one `Core.run_all`, over reused grids;
    otherwise (or with `FAST = False`) the same step through `PE.multicast` and `PE.task`: the
    same arithmetic, op for op.

    Lagged (`LAGGED`, where every cycle of the steps stays on the exact grid of `on_grid`, so
    no sum rounds): done_s = max(arrivals, done_{s-1}) + work is kept as D_s = done_s - (s+1)
    work = max(arrivals - s work, D_{s-1}), the shift folded into the panels' arrival offsets,
    so a step makes no pass adding the work; the cores' free cycles are D + lag at the end."""

    FAST = True
    LAGGED = True
    RUNS = True  # lagged steps timed by runs (`summa_runs`), O(rows + cols) a step

    def __init__(self, pe: PE, wavelets: tuple[int, int], work: float, flops: float,
                 steps: int) -> None:
        self.pe, self.wavelets, self.work, self.flops = pe, wavelets, float(work), flops
        sim = pe.sim
        self.fast = (self.FAST and sim.spans is None
                     and all(sim.routes.blank[color] for color in COLORS.values()))
        self.uncounted = 0  # fast steps whose busy cycles and FLOPs are not yet added
        self.lagged = self.fast and self.LAGGED and self._stays_exact(steps)
        self.runs = (RunSteps(sim, wavelets, self.work, steps, COLORS)
                     if self.lagged and self.RUNS else None)
        if self.runs is None:  # the grids of the per-step paths
            self.done = [np.full(sim.shape, sim.now())] * 2  # the last two steps' done cycles
            self.lag = [0.0, 0.0]  # less these (lagged)
            self.grids = [np.empty(sim.shape), np.empty(sim.shape)] if self.fast else []
            self.core_free = sim.core.free  # D of the last step (lagged)

    def _stays_exact(self, steps: int) -> bool:
        """Whether every cycle of the steps is on the exact grid: the start's are (cores, links
        and the fabric's horizon, which `now` reads), the work and link timing are, and a bound
        on the latest cycle stays below 2^35 (a step adds at most the work, a hold, a tail and a
        line of hops to the latest cycle so far)."""
        sim, fabric = self.pe.sim, self.pe.sim.fabric
        top = fabric.exact_top()
        if top is None or not (on_grid(self.work) and on_grid(sim.core.free)
                               and on_grid(fabric.horizon)):
            return False
        step = self.work + 2 * max(self.wavelets) * fabric.spacing + (sum(sim.shape) + 1) * fabric.hop
        return max(top, sim.now()) + steps * step < 2.0**35

    def step(self, s: int) -> None:
        if self.runs is not None:
            self.runs.step(s)
            self.uncounted += 1
            return
        pe, ready = self.pe, self.done[0]
        if self.fast:
            got_a, got_b = self.grids
            fabric = pe.sim.fabric
            lag, shift = self.lag[0], self.lag[1] if self.lagged else 0.0
            a_at, b_at = s % pe.width, s % pe.height
            fabric.panel((COLORS["E"], COLORS["W"]), "E", a_at, self.wavelets[0],
                         ready[:, a_at] + lag, got_a, shift)
            fabric.panel((COLORS["S"], COLORS["N"]), "S", b_at, self.wavelets[1],
                         ready[b_at, :] + lag, got_b, shift)
            np.maximum(got_a, got_b, out=got_a)
            if self.lagged:
                done = np.maximum(got_a, self.core_free, out=got_a)
                self.core_free = done
                self.lag = [shift, shift + self.work]
            else:
                done = pe.sim.core.run_all(got_a, self.work, self.flops, count=False)
            self.uncounted += 1
            # step s - 2's grid is read for the last time now: step s + 1 writes into it
            spare = ready if ready is not self.done[1] else np.empty(pe.sim.shape)
            self.grids = [spare, got_b]
        else:
            got_a = _send_panel(pe, pe.x == s % pe.width, ("E", "W"), self.wavelets[0], ready)
            got_b = _send_panel(pe, pe.y == s % pe.height, ("S", "N"), self.wavelets[1], ready)
            np.maximum(got_a, got_b, out=got_a)
            done = pe.task("gemm", self.work, ready=got_a, flops=self.flops)
        self.done = [self.done[1], done]

    def finish(self) -> None:
        """Add the busy cycles and FLOPs of the fast steps; the cores' free cycles (lagged)."""
        core = self.pe.sim.core
        if self.runs is not None:
            self.runs.finish()
        elif self.lagged and self.uncounted:
            core.free = self.core_free + self.lag[1]
        core.count_all(self.work, self.flops, self.uncounted)
        self.uncounted = 0


def _panel_product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The panel product in fp32 (batched BLAS); with one K value per panel, a broadcast
    multiply: each entry is then one product, rounded once either way, added to +0 as the
    matmul's sum starts (so a -0 product is +0)."""
    if a.shape[-1] == 1 and PANEL_PRODUCT_BROADCAST:
        product = a.astype(np.float32) * b.astype(np.float32)
        product += np.float32(0.0)
        return product
    return a.astype(np.float32) @ b.astype(np.float32)


PANEL_PRODUCT_BROADCAST = True  # False: every panel product through matmul (tests compare)


def reserve(sim: MeshSim, m: int, k: int, n: int, precision: str) -> None:
    """Declare SUMMA's buffers on every PE (fails before any data is made if they cannot fit):
    the A and B panels a PE owns, two receive buffers per operand, the C tile."""
    pe = PE(sim)
    steps = max(pe.height, pe.width)
    tm, kb, tp = tile_of(m, pe.height), tile_of(k, steps), tile_of(n, pe.width)
    pe.buffer("A panels", (-(-steps // pe.width), tm, kb), precision)
    pe.buffer("B panels", (-(-steps // pe.height), kb, tp), precision)
    pe.buffer("panel buffers", (2, tm * kb + kb * tp), precision)
    pe.buffer("C", (tm, tp), precision)


def gemm_on(sim: MeshSim, a: np.ndarray, b: np.ndarray, precision: str = "fp16",
            allocate: bool = True) -> np.ndarray:
    """Run C = A @ B by SUMMA on `sim`; returns C in fp32 (accumulated in `precision`).

    Step s: the owners of panel s multicast it (the panels are double-buffered, so a step's
    panels leave once their senders finished step s - 2) and every PE runs a task of kb * tp
    @fmach ops of length tm once both have arrived."""
    m, p = a.shape[0], b.shape[1]
    if allocate:
        reserve(sim, m, a.shape[1], p, precision)
    pe = PE(sim)
    ap, bp, steps = _panels(a, b, pe.height, pe.width)
    tm, kb, tp = ap.shape[2], ap.shape[3], bp.shape[3]
    per = sim.machine.values_per_wavelet(precision)
    work = kb * tp * simd_cycles(tm, sim.machine.vector_width(precision, reads=2, writes=1))
    c = np.zeros((pe.height, pe.width, tm, tp), dtype=ap.dtype)
    wavelets = (-(-tm * kb // per), -(-kb * tp // per))
    steps_timed = _Steps(pe, wavelets, work, 2.0 * tm * kb * tp, steps)
    live = -(-a.shape[1] // kb)  # panels holding some of K
    # PEs past the rows of A or the columns of B hold zero padding of C: their tiles stay +0
    # and are not read back, so only the tiles holding C are computed
    held = c[:-(-m // tm), :-(-p // tp)]
    for s in range(steps):
        steps_timed.step(s)
        if s < live:  # panels past K are zero padding: their product adds nothing to C
            # the panel product in fp32 (batched BLAS), added to the C tile in its own precision
            held += _panel_product(ap[:held.shape[0], None, s],
                                   bp[None, :held.shape[1], s]).astype(c.dtype)
    steps_timed.finish()
    pe.mark("summa")
    return from_tiles(c.astype(np.float32), (m, p))


def gemm(m: int, k: int, n: int, grid: tuple[int, int] = (4, 4), pe: str = "wse-3",
         precision: str = "fp16", seed: int = 0, trace: bool = False,
         catalog: Catalog | None = None, hop_latency_cycles: float | None = None,
         link_wavelets_per_cycle: float | None = None) -> MeshResult:
    """Simulate C[m, n] = A[m, k] @ B[k, n] with random inputs on a (cols, rows) grid."""
    check_positive(m=m, k=k, n=n)
    dtype_of(precision)
    machine = machine_of(pe, grid, catalog, hop_latency_cycles, link_wavelets_per_cycle)
    sim = MeshSim(machine, trace=trace and machine.pes <= TRACE_MAX_PES)
    reserve(sim, m, k, n, precision)
    check_host_memory("gemm", m * k + k * n + m * n, machine.pes, m=m, k=k, n=n)
    with sim.off_clock():
        a, b = random_inputs(seed, precision, (m, k), (k, n))
        b = (b / np.sqrt(k)).astype(b.dtype)
    c = gemm_on(sim, a, b, precision, allocate=False)
    with sim.off_clock():
        wide = np.float64 if a.size + b.size <= 1 << 24 else np.float32
        error = max_abs_error(c, a.astype(wide) @ b.astype(wide))
    return sim.finish("gemm", precision, 2.0 * m * k * n, c, error,
                      {"m": m, "k": k, "n": n, "algorithm": "summa", "seed": seed})
