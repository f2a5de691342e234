"""Cross-level agreement: the analytical wafer kernels against the PE mesh simulator over random
small shapes, and the event-driven serving run against layer 1's steady state.

(Fixed shapes of every kernel, and the fitted coefficient: tests/test_wafer_kernels.py.)
"""

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from wafersim import api
from wafersim.catalog import load_catalog
from wafersim.cost.kernels.wafer_gemm import stream_gemm_cycles
from wafersim.cost.kernels.wafer_gemv import gemv_time_s, mesh_of
from wafersim.mesh import gemv, stream_gemm

CATALOG = load_catalog()
WAFERS = st.sampled_from(["wse-2", "wse-3"])
REDUCTIONS = st.sampled_from(["chain", "tree"])


@st.composite
def gemv_shapes(draw):
    """A grid and an m x n matrix whose tiles (up to 100 x 100 values) fit a PE's SRAM."""
    cols, rows = draw(st.integers(2, 12)), draw(st.integers(2, 12))
    m = draw(st.integers(rows * 8, rows * 100))
    n = draw(st.integers(cols * 8, cols * 100))
    return m, n, cols, rows


@settings(max_examples=8, deadline=None)
@given(pe=WAFERS, reduction=REDUCTIONS, shape=gemv_shapes())
def test_gemv_model_within_10_percent_of_the_mesh(pe, reduction, shape):
    m, n, cols, rows = shape
    simulated = gemv(m, n, (cols, rows), pe=pe, reduction=reduction).time_s
    modelled = gemv_time_s(m, n, mesh_of(CATALOG.get(pe)), reduction, cols, rows)
    assert modelled == pytest.approx(simulated, rel=0.1)


@settings(max_examples=6, deadline=None)
@given(pe=WAFERS, reduction=REDUCTIONS, precision=st.sampled_from(["fp16", "fp32"]),
       t=st.integers(16, 96), k=st.integers(64, 320), n=st.integers(16, 64),
       cols=st.integers(2, 8), rows=st.integers(2, 8))
def test_stream_gemm_model_within_10_percent_of_the_mesh(pe, reduction, precision, t, k, n, cols,
                                                         rows):
    simulated = stream_gemm(t, k, n, (cols, rows), pe, reduction, precision).cycles
    modelled = stream_gemm_cycles(t, k, n, mesh_of(CATALOG.get(pe)), precision, reduction, cols, rows)
    assert modelled == pytest.approx(simulated, rel=0.1)


@settings(max_examples=10, deadline=None)
@given(case=st.sampled_from([("llama-3.1-8b", "h100-sxm"), ("llama-3.1-70b", "dgx-h100"),
                             ("mixtral-8x7b", "dgx-h100"), ("llama-3.1-8b", "cs-3"),
                             ("llama-3.1-70b", "cs-3")]),
       batch=st.integers(1, 48), prompt=st.integers(32, 2048), output=st.integers(64, 512))
def test_a_long_closed_loop_run_settles_at_layer_1(case, batch, prompt, output):
    """Requests of one length, the concurrency cap at layer 1's batch, 30 rounds: the simulated
    output tokens/s is layer 1's steady state within 5%. (Disaggregated pools are left out: a
    closed loop capped at the decode batch leaves the prefill pool idle while the batch decodes,
    where layer 1 keeps a full decode batch and prefills the next requests alongside.)"""
    model, system = case
    r = api.simulate_serving(model, system, requests=30 * batch, concurrency=batch,
                             input_tokens=prompt, output_tokens=output, catalog=CATALOG)
    steady = r.steady_state
    assume(steady["batch"] == batch)  # else the plan holds fewer at full context and the rest queue
    assert math.isclose(r.throughput_tokens_per_s, steady["throughput_tokens_per_s"], rel_tol=0.05)
