"""SUMMA's per-step paths: lagged done cycles (`_Steps.LAGGED`, on the exact grid) and counting
once (`Core.count_all`) give the same cycles, counters and outputs as the work added per step,
per-step counting and the general path through `PE.multicast` (`_Steps.FAST` off). Lagged steps
are timed by runs unless `_Steps.RUNS` is off: `test_mesh_summa_runs.py` compares the two."""

import importlib
from collections.abc import Callable

import numpy as np
import pytest

from wafersim.mesh import machine_of
from wafersim.mesh.core import Core
from wafersim.mesh.engine import MeshSim
from wafersim.mesh.exact import on_grid

gemm_module = importlib.import_module("wafersim.mesh.gemm")  # the package exports the function

CASES = (  # (m, k, n), (cols, rows), link wavelets per cycle
    ((19, 23, 17), (3, 5), 1.0), ((7, 40, 9), (6, 2), 0.75), ((7, 40, 9), (6, 2), 0.8),
    ((4, 128, 128), (9, 13), 1.0), ((5, 3, 2), (1, 1), 1.0), ((3, 2, 5), (17, 11), 0.8),
    ((4, 3, 4), (23, 7), 0.5), ((9, 5, 31), (5, 29), 1.0), ((2, 1, 2), (13, 13), 0.25),
    ((6, 2, 6), (12, 10), 0.6),
)


def _run(shape: tuple[int, int, int], grid: tuple[int, int], rate: float) -> list[object]:
    r = gemm_module.gemm(*shape, grid, link_wavelets_per_cycle=rate)
    return [r.cycles, r.breakdown, r.wavelets_sent, r.wavelets_received, r.link_util.tobytes(),
            r.compute_util.tobytes(), r.output.tobytes()]


def _twice(grid: tuple[int, int], rate: float, unit: float) -> list[object]:
    """Two GEMMs on one simulation from link and core state that is neither zero nor
    non-decreasing, in steps of `unit` cycles."""
    sim = MeshSim(machine_of("wse-3", grid, link_wavelets_per_cycle=rate))
    rng = np.random.default_rng(1)
    sim.core.free[...] = rng.integers(0, 50, sim.shape) * unit
    for d in "EWSN":
        free = sim.fabric._views(d)[0]
        free[...] = rng.integers(0, 60, free.shape) * unit
    out: list[object] = []
    for m, k, n in ((5, 3, 7), (4, 9, 2)):
        a = rng.standard_normal((m, k)).astype(np.float16)
        b = rng.standard_normal((k, n)).astype(np.float16)
        out.append(gemm_module.gemm_on(sim, a, b).tobytes())
    out += [sim.now(), sim.core.free.tobytes(), sim.core.busy.tobytes(), sim.core.flops.tobytes(),
            sim.fabric.link_cycles_per_pe().tobytes(), sim.fabric.wavelets_sent(),
            sim.fabric.ramp_in.tobytes(), sim.fabric.router_in.tobytes(), sim.marks]
    for d in "EWSN":
        out.append(sim.fabric._views(d)[0].tobytes())
    return out


def _paths_agree(monkeypatch: pytest.MonkeyPatch, run: Callable[[], list[object]]) -> None:
    """The lagged per-step path, the work added per step and the general path give the same."""
    monkeypatch.setattr(gemm_module._Steps, "RUNS", False)
    lagged = run()
    monkeypatch.setattr(gemm_module._Steps, "LAGGED", False)
    assert run() == lagged
    monkeypatch.setattr(gemm_module._Steps, "FAST", False)
    assert run() == lagged


@pytest.mark.parametrize(("shape", "grid", "rate"), CASES)
def test_lagged_steps_equal_the_general_path(monkeypatch: pytest.MonkeyPatch,
                                             shape: tuple[int, int, int], grid: tuple[int, int],
                                             rate: float) -> None:
    _paths_agree(monkeypatch, lambda: _run(shape, grid, rate))


@pytest.mark.parametrize(("grid", "rate", "unit"), (
    ((7, 5), 1.0, 1.0), ((4, 9), 0.8, 0.25), ((6, 6), 0.75, 1.0), ((5, 8), 1.0, 1 / 3),
    ((9, 4), 0.5, 0.5)))
def test_lagged_steps_from_skewed_state(monkeypatch: pytest.MonkeyPatch,
                                        grid: tuple[int, int], rate: float, unit: float) -> None:
    _paths_agree(monkeypatch, lambda: _twice(grid, rate, unit))


def test_lagged_steps_run_where_cycles_stay_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    lagged = []
    stays_exact = gemm_module._Steps._stays_exact

    def seen(self: object, steps: int) -> bool:
        lagged.append(stays_exact(self, steps))  # type: ignore[arg-type]
        return lagged[-1]

    monkeypatch.setattr(gemm_module._Steps, "_stays_exact", seen)
    for rate in (1.0, 0.8, 0.75):
        gemm_module.gemm(3, 4, 5, (4, 3), link_wavelets_per_cycle=rate)
    assert lagged == [True, True, False]


def test_the_exact_grid() -> None:
    assert on_grid(np.array([0.0, 1.5, 2.0**-10, 2.0**37]))
    assert not on_grid(np.array([1.0 / 3.0]))
    assert not on_grid(np.array([-1.0]))
    assert not on_grid(2.0**38)


def test_count_all_adds_like_one_call_at_a_time() -> None:
    for start, add, times in ((0.25, 3.0, 7), (1.0 / 3.0, 1.0, 5), (0.0, 0.1, 9), (2.0**41, 1.0, 3)):
        many, once = Core((2, 3)), Core((2, 3))
        for core in (many, once):
            core.busy[...] = start
            core.flops[...] = start
        for _ in range(times):
            many.run_all(np.zeros((2, 3)), add, add)
        once.count_all(add, add, times)
        assert many.busy.tobytes() == once.busy.tobytes()
        assert many.flops.tobytes() == once.flops.tobytes()


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_one_k_panel_product_is_matmul(monkeypatch: pytest.MonkeyPatch, dtype: type) -> None:
    """With one K value per panel the product is a broadcast multiply: the same bits as matmul,
    extreme, tiny and signed-zero values included."""
    rng = np.random.default_rng(3)
    special = np.array([0.0, -0.0, 65504.0, -65504.0, 6e-8, 1e-4, 3.0, -7.5])
    a = np.concatenate([rng.standard_normal(40) * 100, special]).astype(dtype)
    b = np.concatenate([rng.standard_normal(40), special[::-1]]).astype(dtype)
    ap, bp = a.reshape(6, 1, 8, 1), b.reshape(1, 6, 1, 8)
    fast = gemm_module._panel_product(ap, bp)
    monkeypatch.setattr(gemm_module, "PANEL_PRODUCT_BROADCAST", False)
    assert fast.shape == (6, 6, 8, 8)
    assert fast.tobytes() == gemm_module._panel_product(ap, bp).tobytes()
    for shape, grid in (((5, 3, 7), (9, 4)), ((4, 2, 6), (3, 11))):
        monkeypatch.setattr(gemm_module, "PANEL_PRODUCT_BROADCAST", True)
        once = gemm_module.gemm(*shape, grid).output.tobytes()
        monkeypatch.setattr(gemm_module, "PANEL_PRODUCT_BROADCAST", False)
        assert gemm_module.gemm(*shape, grid).output.tobytes() == once
