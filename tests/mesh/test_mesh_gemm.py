"""SUMMA GEMM on the mesh equals NumPy; bigger grids are faster; SRAM limits hold."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wafersim.errors import InfeasiblePlan
from wafersim.mesh import gemm


@settings(deadline=None, max_examples=20)
@given(st.integers(1, 40), st.integers(1, 40), st.integers(1, 40), st.integers(1, 6),
       st.integers(1, 6), st.sampled_from(["fp16", "fp32"]))
def test_gemm_matches_numpy(m, k, n, cols, rows, precision):
    r = gemm(m, k, n, (cols, rows), precision=precision)
    assert r.output.shape == (m, n)
    assert r.max_abs_error < (2e-2 if precision == "fp16" else 1e-5)
    assert r.wavelets_sent == r.wavelets_received


def test_more_pes_fewer_cycles():
    assert gemm(128, 128, 128, (8, 8)).cycles < gemm(128, 128, 128, (4, 4)).cycles


def test_large_tiles_run_near_the_sram_bound_simd_rate():
    r = gemm(256, 256, 256, (8, 8))
    assert r.compute_util.mean() > 0.9
    # 4 fp16 FMAC per cycle per PE (SRAM ports), 2 FLOP each
    assert r.flops / r.cycles / 64 == pytest.approx(8 * r.compute_util.mean(), rel=0.05)


def test_sram_overflow():
    with pytest.raises(InfeasiblePlan, match="PE"):
        gemm(4096, 4096, 4096, (2, 2))


def test_summa_fast_steps_equal_the_kernel_api_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    """SUMMA's untraced steps (`Fabric.panel`, `Core.run_all`) give the cycles, counters and
    output of the same steps through `PE.multicast` and `PE.task`, on odd shapes, link rates that
    are not whole and grids with more rows or more columns."""
    import importlib

    gemm_module = importlib.import_module("wafersim.mesh.gemm")  # the package exports the function

    def run() -> list[object]:
        out: list[object] = []
        for shape, grid, rate in (((19, 23, 17), (3, 5), 1.0), ((7, 40, 9), (6, 2), 0.75),
                                  ((4, 128, 128), (9, 13), 1.0), ((5, 3, 2), (1, 1), 1.0)):
            r = gemm_module.gemm(*shape, grid, link_wavelets_per_cycle=rate)
            out += [r.cycles, r.breakdown, r.wavelets_sent, r.wavelets_received,
                    r.link_util.tobytes(), r.compute_util.tobytes(), r.output.tobytes()]
        return out

    fast = run()
    monkeypatch.setattr(gemm_module._Steps, "FAST", False)
    assert run() == fast
