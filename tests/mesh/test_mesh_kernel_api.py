"""The kernel API: the stencil example equals NumPy and prints its figures; every misuse raises
one KernelError naming the PE (x, y) and the resource."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from wafersim.errors import ConfigError, InfeasiblePlan
from wafersim.mesh import machine_of
from wafersim.mesh.engine import MeshSim
from wafersim.mesh.kernel import PE, KernelError, SramOverflow

ROOT = Path(__file__).resolve().parents[2]


def _pe(cols=4, rows=3):
    return PE(MeshSim(machine_of("wse-3", (cols, rows))))


def test_stencil_example_prints_its_checked_figures():
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "mesh_stencil.py")],
                         capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(ROOT / "src")}).stdout.splitlines()
    assert out == ["stencil 8x6 PEs, 4x4 block, 5 iterations",
                   "cycles 600  exchange 280  update 320",
                   "max abs error vs NumPy 4.0e-08",
                   "peak SRAM per PE 208 bytes, colors 8"]


def test_a_multicast_carries_the_senders_data_east():
    pe = _pe()
    u = pe.buffer("u", 2)
    u.write(np.arange(24, dtype=np.float32).reshape(3, 4, 2))
    got = pe.multicast(pe.color("east"), "E", pe.x == 0, data=u)
    v = pe.buffer("v", 2)
    v.write(0.0)
    pe.on_data("store", got, per_wavelet=1, into=v)
    np.testing.assert_array_equal(v.values[:, 1:], np.broadcast_to(u.values[:, :1], (3, 3, 2)))
    assert (v.values[:, 0] == 0).all()
    assert got.delivery.first[0, 3] == 3  # three hops of one cycle from the west edge


def test_simd_ops_charge_the_ported_width():
    pe = _pe(1, 1)
    a = pe.buffer("a", 9, "fp16")
    a.write(1.0)
    done = pe.add(a, a, a)  # fp16 add on WSE-3: SIMD 8, but 16 B of reads / (2 x 2 B) -> 4 wide
    assert done[0, 0] == 3 and a.values[0, 0, 0] == 2.0
    b = pe.buffer("b", 9)
    b.write(1.0)
    assert pe.add(b, b, b)[0, 0] == 3 + 9  # fp32: one per cycle, after the first op


def test_route_clash_names_the_pe_and_the_color():
    pe = _pe()
    c = pe.color("c")
    pe.route(c, pe.x == 1, rx="R", tx="E")
    with pytest.raises(KernelError, match=r"PE \(x=1, y=0\): color 0 is already routed") as e:
        pe.route(c, pe.x >= 1, rx="W", tx="R")
    assert e.value.pe == (1, 0) and e.value.resource == "color 0"


def test_too_many_colors():
    pe = _pe()
    for i in range(24):
        pe.color(f"c{i}")
    with pytest.raises(KernelError, match=r"color 'one more' needs color 24 but the router has 24"):
        pe.color("one more")


def test_reading_a_buffer_never_written_names_the_pe():
    pe = _pe()
    a, b = pe.buffer("a", 3), pe.buffer("b", 3)
    a.write(1.0, where=pe.x < 2)
    with pytest.raises(KernelError, match=r"PE \(x=2, y=0\): buffer 'a' is read but was never"):
        pe.add(b, a, a)


def test_sram_overflow_names_the_pe_and_the_buffers():
    pe = _pe()
    pe.buffer("big", 10_000)
    with pytest.raises(SramOverflow, match=r"PE \(x=0, y=0\): SRAM needs 80,000 bytes "
                       r"\(big 40,000, more 40,000\) but has 49,152") as e:
        pe.buffer("more", 10_000)
    assert isinstance(e.value, InfeasiblePlan) and isinstance(e.value, ConfigError)


def test_sending_without_a_route_names_the_sender():
    pe = _pe()
    with pytest.raises(KernelError, match=r"PE \(x=0, y=2\): color 5 sends E but is not routed "
                       r"from its RAMP to E"):
        pe.send(5, "E", (pe.x == 0) & (pe.y == 2), wavelets=1)


def test_a_route_names_real_ports():
    pe = _pe()
    with pytest.raises(KernelError, match=r"PE \(x=0, y=1\): color 3 has no port 'Q'"):
        pe.route(3, pe.y == 1, rx="W", tx="EQ")
