"""The weight-streaming matmul on the mesh equals NumPy; WSE-3 passes the GEMV port cap; SRAM
limits hold."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wafersim.errors import InfeasiblePlan, ParameterError
from wafersim.mesh import stream_gemm


@settings(deadline=None, max_examples=20)
@given(st.integers(1, 40), st.integers(1, 40), st.integers(1, 40), st.integers(1, 6),
       st.integers(1, 6), st.sampled_from(["fp16", "fp32"]), st.sampled_from(["chain", "tree"]))
def test_stream_gemm_matches_numpy(t, k, n, cols, rows, precision, reduction):
    r = stream_gemm(t, k, n, (cols, rows), precision=precision, reduction=reduction)
    assert r.output.shape == (t, n)
    assert r.max_abs_error < (2e-2 if precision == "fp16" else 1e-5)
    assert r.wavelets_sent == r.wavelets_received


def test_wse3_compute_beats_the_gemv_port_cap_and_wse2_runs_at_full_simd():
    # 8 tokens per PE: 16 FMACs per wavelet in 3 cycles on WSE-3 (reads bind), 4 on WSE-2 (SIMD)
    wse3 = stream_gemm(64, 256, 64, (8, 8), pe="wse-3").breakdown
    wse2 = stream_gemm(64, 256, 64, (8, 8), pe="wse-2").breakdown
    compute = {pe: b["stream"] + b["compute"] for pe, b in (("wse-3", wse3), ("wse-2", wse2))}
    assert compute["wse-2"] - compute["wse-3"] == 1024  # 1,024 wavelets, one cycle apart each


def test_sram_bound_and_positive_sizes():
    with pytest.raises(InfeasiblePlan, match="SRAM"):
        stream_gemm(64, 64, 4096, (2, 2))
    with pytest.raises(ParameterError, match="tokens"):
        stream_gemm(0, 64, 64, (2, 2))
