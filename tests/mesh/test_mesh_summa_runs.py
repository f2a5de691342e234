"""SUMMA's lagged steps timed by runs (`summa_runs.RunSteps`, O(rows + cols) a step) give the
same cycles, counters, link and core state and outputs as the per-step lagged path."""

import importlib

import numpy as np
import pytest

from wafersim.mesh import machine_of
from wafersim.mesh.engine import MeshSim
from wafersim.mesh.summa_runs import LinePair, RunSteps

gemm_module = importlib.import_module("wafersim.mesh.gemm")  # the package exports the function

CASES = (  # (m, k, n), (cols, rows), link wavelets per cycle: odd, flat and tall grids, wraps
    ((19, 23, 17), (3, 5), 1.0), ((7, 40, 9), (6, 2), 0.8), ((4, 128, 128), (9, 13), 1.0),
    ((4, 128, 128), (37, 11), 1.0), ((5, 3, 2), (1, 1), 1.0), ((8, 8, 8), (1, 6), 1.0),
    ((8, 8, 8), (6, 1), 0.5), ((1, 1, 1), (2, 2), 1.0), ((3, 2, 5), (17, 11), 0.8),
    ((40, 3, 33), (3, 31), 0.25), ((9, 5, 31), (5, 29), 1.0), ((64, 64, 8), (4, 4), 1.0),
)


def _state(sim: MeshSim) -> list[object]:
    fabric = sim.fabric
    out: list[object] = [sim.now(), sim.core.free.tobytes(), sim.core.busy.tobytes(),
                         sim.core.flops.tobytes(), fabric.link_cycles_per_pe().tobytes(),
                         fabric.wavelets_sent(), fabric.ramp_in.tobytes(),
                         fabric.router_in.tobytes(), fabric.ramp_out.tobytes(),
                         list(fabric.routes.touched), sim.marks]
    return out + [fabric.free_cycles(d).tobytes() for d in "EWSN"]


def _gemms(shape: tuple[int, int, int], grid: tuple[int, int], rate: float,
           skewed: bool) -> list[object]:
    """Two GEMMs on one simulation, from zero or from skewed link and core state (whole cycles,
    neither zero nor non-decreasing)."""
    sim = MeshSim(machine_of("wse-3", grid, link_wavelets_per_cycle=rate))
    rng = np.random.default_rng(7)
    if skewed:
        sim.core.free[...] = rng.integers(0, 90, sim.shape)
        for d in "EWSN":
            sim.fabric.free_cycles(d)[...] = rng.integers(0, 120, sim.fabric.free_cycles(d).shape)
    out: list[object] = []
    for m, k, n in (shape, shape[::-1]):
        a = rng.standard_normal((m, k)).astype(np.float16)
        b = rng.standard_normal((k, n)).astype(np.float16)
        out.append(gemm_module.gemm_on(sim, a, b).tobytes())
    return out + _state(sim)


@pytest.mark.parametrize("skewed", [False, True])
@pytest.mark.parametrize(("shape", "grid", "rate"), CASES)
def test_runs_equal_the_per_step_path(monkeypatch: pytest.MonkeyPatch, shape: tuple[int, int, int],
                                      grid: tuple[int, int], rate: float, skewed: bool) -> None:
    steps = []
    step = RunSteps.step

    def counted(self: RunSteps, s: int) -> None:
        steps.append(s)
        step(self, s)

    monkeypatch.setattr(RunSteps, "step", counted)
    runs = _gemms(shape, grid, rate, skewed)
    assert len(steps) == 2 * max(grid)  # both GEMMs were timed by runs
    monkeypatch.setattr(gemm_module._Steps, "RUNS", False)
    assert _gemms(shape, grid, rate, skewed) == runs


def test_runs_only_where_the_steps_are_lagged(monkeypatch: pytest.MonkeyPatch) -> None:
    made = []
    init = RunSteps.__init__

    def seen(self: RunSteps, *args: object) -> None:
        made.append(True)
        init(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(RunSteps, "__init__", seen)
    for rate in (1.0, 0.75):
        gemm_module.gemm(3, 4, 5, (4, 3), link_wavelets_per_cycle=rate)
    assert made == [True]  # 0.75 wavelets per cycle leaves the exact grid: per-step path
    gemm_module.gemm(3, 4, 5, (4, 3), trace=True)
    assert made == [True]  # traced steps keep their spans


def test_a_run_matches_the_stream_recurrence() -> None:
    """One line pair against the recurrence written out link by link: each stream from
    position j enters link k at max(entry at k - 1 + hop, free_k), both ways."""
    rng = np.random.default_rng(3)
    size, hop, hold, work = 6, 1.0, 2.0, 3.0
    fwd, back = rng.integers(0, 40, (2, size)).astype(float), rng.integers(0, 40, (2, size)) * 1.0
    pair = LinePair(fwd.copy(), back.copy(), hop, hold, 0.0, work)
    latest = np.full((2, size), -np.inf)
    for j in range(size):
        t0 = rng.integers(0, 60, 2).astype(float)
        pair.step(j, t0)
        latest[:, j] = np.maximum(latest[:, j], t0 - j * work)
        for free, first, order in ((fwd, j, slice(None)), (back, size - 1 - j, slice(None, None, -1))):
            seen = latest[:, order]
            enter = t0 - hop
            for k in range(first, size - 1):
                enter = np.maximum(enter + hop, free[:, k])
                free[:, k] = enter + hold
                np.maximum(seen[:, k + 1], enter + hop - j * work, out=seen[:, k + 1])
    assert pair.close().tolist() == latest.tolist()
    assert pair.free_fwd.tolist() == fwd.tolist()
    assert pair.free_back.tolist() == back.tolist()


def test_a_horizon_off_the_exact_grid_takes_the_general_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first steps start at `now`, which reads the fabric's horizon: off the exact grid
    (cores and links on it), the steps are neither lagged nor timed by runs."""

    def run() -> list[object]:
        sim = MeshSim(machine_of("wse-3", (2, 1)))
        sim.fabric.horizon = 100 + 1 / 3
        gemm_module.gemm_on(sim, np.ones((1, 2), np.float16), np.ones((2, 2), np.float16))
        return [sim.core.free.tobytes(), sim.fabric.free_cycles("E").tobytes(), sim.now()]

    made = []
    monkeypatch.setattr(RunSteps, "__init__", lambda *args: made.append(args))
    exact = run()
    assert not made
    monkeypatch.setattr(gemm_module._Steps, "FAST", False)
    assert run() == exact
