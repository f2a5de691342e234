"""SUMMA's step timing in O(rows + cols) per step, exact where the lagged steps are (`on_grid`).

A SUMMA GEMM on a grid of L positions per line sends step s's panel from position p = s mod L of
every line, both ways. Between two wraps (a run: p = 0, 1, ..., L - 1; j = s - the run's first
step) the two directions of a line pair are simple in the normalised free cycles
F_k = free_k - k * hop of their links. A stream ready at t0 from position p has the normalised
seed sigma_j = t0 - p * hop, and each stream holds each link it crosses for `hold` cycles:

- forward (E, S): the stream of run step j covers links [j, L - 1). The run's first stream
  covers them all and enters link k at max(sigma_0, running maximum of F up to k), so F may
  be replaced by that running maximum, Ff, at the run's start (exact: every link is then
  rewritten). F then stays non-decreasing and link k enters at max(sigma_j, F_k). Unrolled
  over the run, with tau_j = sigma_j - j * hold and T_j = max over i < j of tau_i: link k
  enters at j * hold + max(Ff_k, T_(j+1));
- backward (W, N; positions reversed): the stream of run step j covers links [L - 1 - j, L - 1),
  growing by one a step. Its first link is new, so with Fb the run's starting F the stream
  enters link k at max(sigma'_j, F_k), sigma'_j = max(sigma_j, Fb_(L-1-j)); unrolled, with
  tau'_j = sigma'_j - j * hold: j * hold + the maximum of tau'_i over i in [L - 1 - k, j]
  (link k's own starting value is in the first of them, tau'_(L-1-k)).

The cores keep done cycles less the work of the steps so far (`gemm._Steps`): D' is the maximum
of their start and of every arrival less its step's shift s * work. An arrival is its link's
entry plus per-position offsets, so with kappa_j = j * hold - s * work a run's arrivals at a PE
are maxima over run steps of per-line tables (T; the running maximum of T_(j+1) + kappa_j;
tau'; the senders' own cycles) and per-position scalars. A step appends one row to each table;
the sends of step s + 2 read D' at one PE column and one PE row; a run's end (or the GEMM's)
writes the link and core grids once. Every value is -inf (no arrival) or a multiple of 2^-10
of magnitude below 2^38 (`_Steps._stays_exact` bounds the cycles by 2^35), so no sum rounds and
the order of the maxima and sums gives the same bits as the per-step path.
"""

from __future__ import annotations

import numpy as np

from wafersim.mesh.engine import MeshSim
from wafersim.mesh.fabric import BACK, Fabric

_NONE = -np.inf  # no arrival


def _suffix_max(v: np.ndarray) -> np.ndarray:
    """out[i] = max(v[i:]) along axis 0."""
    return np.maximum.accumulate(v[::-1], axis=0)[::-1]


class LinePair:
    """The forward and backward streams along one kind of line (rows: E and W; columns: S and
    N), over one run; `free_fwd` and `free_back` are the directions' link free cycles in line
    layout (`orient`), written back by `close`."""

    def __init__(self, free_fwd: np.ndarray, free_back: np.ndarray, hop: float, hold: float,
                 tail: float, work: float) -> None:
        self.free_fwd, self.free_back = free_fwd, free_back
        self.lines, self.length = free_fwd.shape
        self.hop, self.hold, self.tail, self.work = hop, hold, tail, work
        self.offsets = np.arange(self.length) * hop
        self.top = _NONE  # the latest arrival at a line's end (the fabric's horizon)
        n, size = self.lines, self.length
        self.t = np.empty((size + 1, n))  # T_j: row j, one value per line
        self.u = np.empty((size + 1, n))  # max over i < j of kappa_i + T_(i+1)
        self.kappa_max = np.empty(size + 1)  # max over i < j of kappa_i
        self.kappa = np.empty(size)
        self.sent = np.empty((size, n))  # the sender's own arrival, less its shift
        self.tau_back = np.empty((size, n))
        self._open(0)

    def _open(self, start: int) -> None:
        """A run from step `start`: the forward lines made non-decreasing (their running
        maximum: the run's first stream rewrites every link), the tables empty."""
        self.start, self.j = start, -1
        self.fb = self.free_fwd - self.offsets
        np.maximum.accumulate(self.fb[:, :-1], axis=1, out=self.fb[:, :-1])
        self.t[0], self.u[0], self.kappa_max[0] = _NONE, _NONE, _NONE
        self.back_max = np.full(self.lines, _NONE)  # max of tau' over the run (line ends)

    def step(self, s: int, t0: np.ndarray) -> None:
        """Run step j = s - start: both streams of every line from position j, ready at `t0`."""
        j, size, hold = s - self.start, self.length, self.hold
        self.j = j
        self.kappa[j] = j * hold - s * self.work
        self.sent[j] = t0 - s * self.work
        if j <= size - 2:  # forward: links j..
            np.maximum(self.t[j], t0 - j * self.hop - j * hold, out=self.t[j + 1])
            np.maximum(self.u[j], self.t[j + 1] + self.kappa[j], out=self.u[j + 1])
            self.kappa_max[j + 1] = max(self.kappa_max[j], self.kappa[j])
            end = max(float(self.fb[:, -2].max()), float(self.t[j + 1].max()))
            self._reach(j * hold + end)
        if j >= 1:  # backward: links L - 1 - j..
            q = size - 1 - j
            np.maximum(t0, self.free_back[:, q], out=self.tau_back[j])  # the new link's start
            self.tau_back[j] -= q * self.hop + j * hold
            np.maximum(self.back_max, self.tau_back[j], out=self.back_max)
            self._reach(j * hold + float(self.back_max.max()))

    def _reach(self, enter: float) -> None:
        """A stream entered the last link at `enter` (normalised, latest line)."""
        self.top = max(self.top, enter + (self.length - 1) * self.hop + self.tail)

    def at(self, c: int) -> np.ndarray:
        """Every line's latest arrival at position c in this run, less its shift."""
        j, out = self.j, np.full(self.lines, _NONE)
        if c <= j:
            out[...] = self.sent[c]
        if c >= 1 and j >= 0:
            n = min(c, j + 1)
            fwd = np.maximum(self.fb[:, c - 1] + self.kappa_max[n], self.u[n])
            np.maximum(out, fwd + (c * self.hop + self.tail), out=out)
        if c + 1 <= j:  # backward streams c + 1..j reached c
            ks = _suffix_max(self.kappa[c + 1:j + 1])
            back = (self.tau_back[c + 1:j + 1] + ks[:, None]).max(axis=0)
            np.maximum(out, back + ((self.length - 1 - c) * self.hop + self.tail), out=out)
        return out

    def along(self, line: int | None = None) -> np.ndarray:
        """The latest arrival at every position of `line` (None: of every line) in this run,
        less its shift: (lines, positions)."""
        j, size = self.j, self.length
        lines = slice(None) if line is None else slice(line, line + 1)
        fb = self.fb[lines]
        out = np.full(fb.shape, _NONE)
        if j < 0:
            return out
        out[:, :j + 1] = self.sent[:j + 1, lines].T
        if size > 1:
            n = np.minimum(np.arange(1, size), j + 1)
            u = self.u[n] if line is None else self.u[n, line][:, None]
            fwd = np.maximum(fb[:, :-1] + self.kappa_max[n], u.T)
            np.maximum(out[:, 1:], fwd + (self.offsets[1:] + self.tail), out=out[:, 1:])
        if j >= 1:  # position c < j heard the backward streams c + 1..j
            ks = _suffix_max(self.kappa[1:j + 1])
            x = _suffix_max(self.tau_back[1:j + 1, lines] + ks[:, None]).T
            back = x + (self.offsets[size - 1 - np.arange(j)] + self.tail)
            np.maximum(out[:, :j], back, out=out[:, :j])
        return out

    def close(self, reopen: bool = True) -> np.ndarray:
        """End the run: the links' free cycles written back, the next run opened (`reopen`);
        returns every PE's latest arrival in the run, less its shift (lines, positions)."""
        got = self.along()
        j, size, hold = self.j, self.length, self.hold
        if j >= 0 and size > 1:
            n = np.minimum(np.arange(size - 1), j) + 1  # forward streams over link k
            fwd = np.maximum(self.fb[:, :-1], self.t[n].T) + n * hold
            np.add(fwd, self.offsets[:-1], out=self.free_fwd[:, :-1])
        if j >= 1:  # backward links k >= L - 1 - j: streams L - 1 - k..j
            m = _suffix_max(self.tau_back[1:j + 1]).T  # m[:, l - 1] = max of tau' over l..j
            k = slice(size - 1 - j, size - 1)
            np.add(m[:, ::-1] + (j + 1) * hold, self.offsets[k], out=self.free_back[:, k])
        if reopen:
            self._open(self.start + size)
        return got


def _pair(fabric: Fabric, fwd: str, wavelets: int, work: float) -> LinePair:
    """A `LinePair` on the fabric's plain free cycles of `fwd` and its opposite."""
    spacing = fabric.spacing
    return LinePair(fabric.free_cycles(fwd), fabric.free_cycles(BACK[fwd]), fabric.hop,
                    wavelets * spacing, (wavelets - 1) * spacing, work)


class RunSteps:
    """SUMMA's step timing by runs (the module docstring): step s sends the A panels from PE
    column s mod cols along the rows (E, W) and the B panels from PE row s mod rows along the
    columns (S, N), each ready when its sender finished step s - 2; every PE then works `work`
    cycles once both have arrived and its core is free. `finish` leaves the cores' free cycles,
    the links and the fabric's counters as the per-step path does; the caller counts the busy
    cycles and FLOPs."""

    def __init__(self, sim: MeshSim, wavelets: tuple[int, int], work: float, steps: int,
                 colors: dict[str, int]) -> None:
        self.sim, self.work, self.steps, self.colors = sim, work, steps, colors
        self.wavelets = wavelets
        self.rows = _pair(sim.fabric, "E", wavelets[0], work)  # lines: PE rows
        self.cols = _pair(sim.fabric, "S", wavelets[1], work)  # lines: PE columns
        self.base = sim.core.free.copy()  # done cycles less the steps' work, folded runs
        height, width = sim.shape
        now = sim.now()
        self.ready = {0: (np.full(height, now), np.full(width, now))}
        self.ready[1] = self.ready[0]

    def step(self, s: int) -> None:
        height, width = self.sim.shape
        a_at, b_at = s % width, s % height
        col_ready, row_ready = self.ready.pop(s)
        self.rows.step(s, col_ready)
        self.cols.step(s, row_ready)
        if a_at == width - 1:
            np.maximum(self.base, self.rows.close(), out=self.base)
        if b_at == height - 1:
            np.maximum(self.base, self.cols.close().T, out=self.base)
        if s + 2 < self.steps:
            self.ready[s + 2] = self._done_at((s + 2) % width, (s + 2) % height, s)

    def _done_at(self, col: int, row: int, s: int) -> tuple[np.ndarray, np.ndarray]:
        """The done cycles after step s of PE column `col` and PE row `row`."""
        shift = (s + 1) * self.work
        at_col = np.maximum(self.base[:, col], self.rows.at(col))
        np.maximum(at_col, self.cols.along(col)[0], out=at_col)
        at_row = np.maximum(self.base[row], self.rows.along(row)[0])
        np.maximum(at_row, self.cols.at(row), out=at_row)
        return at_col + shift, at_row + shift

    def finish(self) -> None:
        """Close the last runs; the cores' free cycles, horizon, counters and routes."""
        sim, fabric = self.sim, self.sim.fabric
        if self.rows.j >= 0:
            np.maximum(self.base, self.rows.close(reopen=False), out=self.base)
        if self.cols.j >= 0:
            np.maximum(self.base, self.cols.close(reopen=False).T, out=self.base)
        sim.core.free = self.base + self.steps * self.work
        fabric.horizon = max(fabric.horizon, self.rows.top, self.cols.top)
        for fwd, size, wavelets in (("E", sim.shape[1], self.wavelets[0]),
                                    ("S", sim.shape[0], self.wavelets[1])):
            sent = np.bincount(np.arange(self.steps) % size, minlength=size) * wavelets
            fabric.note_panels(fwd, sent[:-1], self.colors[fwd])
            fabric.note_panels(BACK[fwd], sent[1:][::-1], self.colors[BACK[fwd]])
