"""The simulation's own wall clock (`MeshSim.off_clock`)."""

import numpy as np
import pytest

from wafersim.mesh import engine as engine_module
from wafersim.mesh import machine_of
from wafersim.mesh.engine import MeshSim


def test_time_off_the_clock_is_not_the_simulations(monkeypatch: pytest.MonkeyPatch) -> None:
    """`sim_wall_s` leaves out what runs under `off_clock` (drawing inputs, the reference)."""
    clock = iter([10.0, 11.0, 14.0, 15.5])  # start; off_clock enters, leaves; finish
    monkeypatch.setattr(engine_module.time, "perf_counter", lambda: next(clock))
    sim = MeshSim(machine_of("wse-3", (2, 2)))
    with sim.off_clock():
        pass
    r = sim.finish("none", "fp32", 0.0, np.zeros(1), 0.0, {})
    assert r.sim_wall_s == 2.5  # 5.5 s in all, 3 of them off the clock
    assert r.pe_cycles_per_s == 4 * r.cycles / 2.5
