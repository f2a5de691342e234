"""MeshGEMV: equals NumPy for random shapes and grids; cycles respond to the machine as they should."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wafersim.errors import ConfigError, InfeasiblePlan
from wafersim.mesh import gemv, machine_of
from wafersim.mesh.engine import MeshSim
from wafersim.mesh.gemv import gemv_on, inputs
from wafersim.mesh.layout import random_inputs

shapes = st.tuples(st.integers(1, 90), st.integers(1, 90), st.integers(1, 9), st.integers(1, 9),
                   st.sampled_from(["chain", "tree"]))


@settings(deadline=None, max_examples=25)
@given(shapes)
def test_fp16_gemv_matches_numpy(shape):
    m, n, cols, rows, reduction = shape
    r = gemv(m, n, (cols, rows), reduction=reduction, seed=m + n)
    assert r.output.shape == (m,)
    assert r.max_abs_error < 2e-2  # |y| is O(1): W is scaled by 1/sqrt(n)
    assert sum(r.breakdown.values()) == r.cycles
    assert r.wavelets_sent == r.wavelets_received


@settings(deadline=None, max_examples=15)
@given(shapes)
def test_fp32_chain_gemv_is_exact_in_its_summation_order(shape):
    m, n, cols, rows, _ = shape
    sim = MeshSim(machine_of("wse-3", (cols, rows)))
    w, x = random_inputs(7, "fp32", (m, n), (n,))
    y = gemv_on(sim, w, x, "chain", "fp32")
    np.testing.assert_array_equal(y, _ordered_reference(w, x, cols, rows))


def _ordered_reference(w, x, cols, rows):
    """Column-by-column per PE tile, then the row of PEs added west to east, all in fp32."""
    m, n = w.shape
    tm, tn = -(-m // rows), -(-n // cols)
    wp = np.zeros((rows * tm, cols * tn), np.float32)
    wp[:m, :n] = w
    xp = np.zeros(cols * tn, np.float32)
    xp[:n] = x
    y = np.zeros(rows * tm, np.float32)
    for i in range(rows * tm):
        total = None
        for c in range(cols):
            acc = np.float32(0)
            for j in range(c * tn, (c + 1) * tn):
                acc = np.float32(acc + np.float32(wp[i, j] * xp[j]))
            total = acc if total is None else np.float32(total + acc)
        y[i] = total
    return y[:m]


def test_simd_tail_costs_a_cycle():
    # tm = 4 fits one 4-wide @fmach; tm = 5 needs two (x is a single wavelet per column here)
    four = gemv(16, 2, (1, 4), pe="wse-3").breakdown["compute"]
    five = gemv(20, 2, (1, 4), pe="wse-3").breakdown["compute"]
    assert five > four


@pytest.mark.parametrize("reduction", ["chain", "tree"])
def test_slower_links_never_reduce_cycles(reduction):
    kw = {"m": 300, "n": 500, "grid": (12, 7), "reduction": reduction}
    base = gemv(**kw).cycles
    assert gemv(**kw, link_wavelets_per_cycle=0.5).cycles >= base
    assert gemv(**kw, hop_latency_cycles=2).cycles > base


@settings(deadline=None, max_examples=15)
@given(st.integers(1, 120), st.integers(1, 120), st.integers(1, 12), st.integers(1, 12),
       st.sampled_from([0.25, 0.5, 1.0]), st.sampled_from([1, 2, 4]))
def test_cycles_monotone_in_link_speed(m, n, cols, rows, rate, hop):
    fast = gemv(m, n, (cols, rows), hop_latency_cycles=1).cycles
    slow = gemv(m, n, (cols, rows), hop_latency_cycles=hop, link_wavelets_per_cycle=rate).cycles
    assert slow >= fast


def test_time_and_rates_follow_the_catalog_clock():
    r = gemv(256, 256, (8, 8))
    assert r.time_s == pytest.approx(r.cycles / 1.1e9)
    assert r.time_s_lo == pytest.approx(r.cycles / 1.1e9)
    assert r.time_s_hi == pytest.approx(r.cycles / 0.85e9)
    assert r.flops_per_s == pytest.approx(2 * 256 * 256 / r.time_s)
    assert 0 < r.compute_util.max() <= 1 and 0 < r.link_util.max() <= 1


def test_sram_overflow_names_the_pe_and_bytes():
    with pytest.raises(InfeasiblePlan, match=r"PE \(x=0, y=0\): SRAM needs 50,000,000 bytes .* 49,152"):
        gemv(10_000, 10_000, (2, 2), precision="fp16")


def test_sram_use_is_reported():
    r = gemv(64, 64, (4, 4))
    assert r.peak_sram_bytes_per_pe == 16 * 16 * 2 + 16 * 2 + 16 * 6


@pytest.mark.parametrize("kwargs, word", [({"m": 0}, "m=0"), ({"n": -1}, "n=-1"),
                                          ({"reduction": "ring"}, "reduction=.ring."),
                                          ({"precision": "fp8"}, "fp8")])
def test_bad_inputs(kwargs, word):
    args = {"m": 8, "n": 8, "grid": (2, 2), **kwargs}
    with pytest.raises(ConfigError, match=word):
        gemv(**args)


def test_deterministic():
    a, b = gemv(100, 50, (5, 5), seed=3), gemv(100, 50, (5, 5), seed=3)
    assert a.cycles == b.cycles and np.array_equal(a.output, b.output)


@pytest.mark.parametrize("precision", ["fp16", "fp32"])
@pytest.mark.parametrize(("m", "n", "cols", "rows"), [(23, 30, 4, 5), (20, 32, 4, 5), (7, 3, 6, 2)])
def test_tile_padded_w_runs_as_a_plain_copy(precision, m, n, cols, rows):
    """W drawn into tile-padded storage is tiled by a view: same output bits and cycles."""
    padded_w, x = inputs(3, precision, m, n, (rows, cols))
    plain_w = np.array(padded_w)
    runs = []
    for w in (padded_w, plain_w):
        sim = MeshSim(machine_of("wse-3", (cols, rows)))
        y = gemv_on(sim, w, x, "chain", precision)
        runs.append((y.view(np.uint32).copy(), sim.now()))
    assert np.array_equal(runs[0][0], runs[1][0]) and runs[0][1] == runs[1][1]
    assert np.array_equal(padded_w, inputs(3, precision, m, n)[0])  # the same draw
