"""Row-wise softmax, layer norm and RMS norm on the mesh equal NumPy."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from wafersim.mesh import layernorm, softmax

cases = st.tuples(st.integers(1, 20), st.integers(1, 60), st.integers(1, 8), st.integers(1, 8),
                  st.sampled_from(["chain", "tree"]))


@settings(deadline=None, max_examples=20)
@given(cases)
def test_softmax_matches_numpy(case):
    m, n, cols, rows, reduction = case
    r = softmax(m, n, (cols, rows), reduction=reduction)
    assert r.max_abs_error < 1e-6
    np.testing.assert_allclose(r.output.sum(axis=1), 1.0, rtol=1e-5)


@settings(deadline=None, max_examples=20)
@given(cases, st.booleans())
def test_layernorm_matches_numpy(case, rms):
    m, n, cols, rows, reduction = case
    r = layernorm(m, n, (cols, rows), reduction=reduction, rms=rms)
    assert r.max_abs_error < 1e-4
    assert r.kernel == ("rmsnorm" if rms else "layernorm")


def test_row_statistics_cost_reductions_along_rows():
    r = softmax(16, 256, (8, 4))
    assert r.breakdown["reduce"] > 0 and r.breakdown["local"] > 0
    assert sum(r.breakdown.values()) == r.cycles
