"""Streams on the fabric: pipeline fill, link contention, multicast routes, conservation."""

import numpy as np
import pytest

from wafersim.errors import ConfigError
from wafersim.mesh import machine_of
from wafersim.mesh.engine import MeshSim
from wafersim.mesh.lines import multicast
from wafersim.mesh.routes import EAST, NONE, RAMP, WEST, RouteTable


def _sim(cols=6, rows=3, **kw):
    return MeshSim(machine_of("wse-3", (cols, rows), **kw))


def _west_edge(sim):
    mask = np.zeros(sim.shape, dtype=bool)
    mask[:, 0] = True
    return mask


def test_first_wavelet_arrives_one_hop_per_cycle():
    sim = _sim()
    got = multicast(sim, 0, "E", _west_edge(sim), 5, 10.0)
    assert np.isinf(got.first[:, 0]).all()
    np.testing.assert_array_equal(got.first[0, 1:], 10 + np.arange(1, 6))
    np.testing.assert_array_equal(got.last[0, 1:], 10 + np.arange(1, 6) + 4)
    assert (got.wavelets[:, 1:] == 5).all()


def test_hop_latency_and_link_rate_shape_the_stream():
    sim = _sim(hop_latency_cycles=3, link_wavelets_per_cycle=0.5)
    got = multicast(sim, 0, "E", _west_edge(sim), 4, 0.0)
    assert got.first[0, 5] == 15 and got.last[0, 5] == 15 + 3 * 2


def test_second_stream_waits_for_the_link():
    sim = _sim()
    first = multicast(sim, 0, "E", _west_edge(sim), 8, 0.0)
    second = multicast(sim, 1, "E", _west_edge(sim), 8, 0.0)
    assert second.first[0, 1] == first.last[0, 1] + 1  # link 0 busy for 8 cycles
    assert (second.first[:, 1:] > first.last[:, 1:]).all()


def test_opposite_directions_do_not_contend():
    sim = _sim()
    east_edge = np.zeros(sim.shape, dtype=bool)
    east_edge[:, -1] = True
    multicast(sim, 0, "E", _west_edge(sim), 8, 0.0)
    back = multicast(sim, 1, "W", east_edge, 8, 0.0)
    assert back.first[0, -2] == 1


def test_wavelets_sent_equal_received():
    sim = _sim(5, 4)
    multicast(sim, 0, "E", _west_edge(sim), 3, 0.0)
    north = np.zeros(sim.shape, dtype=bool)
    north[0] = True
    multicast(sim, 0, "S", north, 7, 0.0)
    assert sim.fabric.wavelets_sent() == sim.fabric.wavelets_received() == 4 * 4 * 3 + 5 * 3 * 7
    assert sim.fabric.ramp_in.sum() == sim.fabric.wavelets_received()  # every hop delivers


def test_conflicting_routes_are_an_error():
    sim = _sim()
    everywhere = np.ones(sim.shape, dtype=bool)
    sim.routes.set(3, everywhere, RAMP, (EAST,))
    with pytest.raises(ConfigError, match="already routed"):
        sim.routes.set(3, everywhere, WEST, (RAMP,))
    with pytest.raises(ConfigError, match="colors"):
        sim.routes.set(24, everywhere, RAMP, (EAST,))


def test_unrouted_sender_sends_nothing():
    sim = _sim()
    got = sim.fabric.send(0, "E", _west_edge(sim), 4, 0.0)
    assert got.wavelets.sum() == 0 and sim.fabric.wavelets_sent() == 0


def test_whole_line_multicasts_match_the_general_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """SUMMA's panel multicasts and GEMV's x broadcast (one sender per line) take the short paths
    of the fabric and of the data copy; with them turned off the general paths must give the
    same cycles, counters and output."""
    from wafersim.mesh import fabric as fabric_module
    from wafersim.mesh import gemm, gemv
    from wafersim.mesh.kernel import arrival as arrival_module

    def run(rate: float) -> list[object]:
        out: list[object] = []
        for r in (gemm(24, 40, 16, (5, 7), link_wavelets_per_cycle=rate),
                  gemv(37, 29, (5, 7), link_wavelets_per_cycle=rate)):
            out += [r.cycles, r.breakdown, r.wavelets_sent, r.wavelets_received,
                    r.link_util.tolist(), r.compute_util.tolist(), r.output.tobytes()]
        return out

    fast = [run(rate) for rate in (1.0, 0.75)]
    monkeypatch.setattr(fabric_module, "common_sender", lambda so: None)
    monkeypatch.setattr(arrival_module, "common_sender", lambda so: None)
    assert [run(rate) for rate in (1.0, 0.75)] == fast


def test_route_grids_are_made_on_first_read_and_dropped_when_cleared() -> None:
    table = RouteTable(3, 4, colors=24)
    assert table.rx[5].shape == (3, 4) and (table.rx[5] == NONE).all()
    assert 5 in table.rx and 6 not in table.rx
    table.clear(5)
    assert 5 not in table.rx
    with pytest.raises(IndexError):
        table.rx[24]
