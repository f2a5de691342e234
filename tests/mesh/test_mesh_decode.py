"""One decode step of a scaled-down catalog layer equals a NumPy layer."""

import pytest

from wafersim.errors import ConfigError
from wafersim.mesh import decode_layer
from wafersim.mesh.decode import scaled_layer


def test_scaled_layer_keeps_the_model_ratios():
    s = scaled_layer("llama-3.1-8b", 128, 4, 16)
    assert (s.n_heads, s.n_kv_heads, s.head_dim) == (4, 1, 32)  # 32 heads : 8 KV heads
    assert s.d_ff == 448  # 14336 / 4096 x 128


@pytest.mark.parametrize("precision, tol", [("fp32", 1e-5), ("fp16", 5e-3)])
def test_decode_step_matches_numpy(precision, tol):
    r = decode_layer(grid=(8, 8), precision=precision)
    assert r.output.shape == (128,)
    assert r.max_abs_error < tol
    assert sum(r.breakdown.values()) == r.cycles
    assert any(k.startswith("attn0.scores") for k in r.breakdown)


def test_decode_with_tree_reduction_and_grouped_heads():
    r = decode_layer(d_model=64, n_heads=8, seq_len=5, grid=(4, 6), reduction="tree")
    assert r.params["kv_heads"] == 2 and r.max_abs_error < 5e-3


def test_heads_must_divide_the_width():
    with pytest.raises(ConfigError, match="multiple"):
        decode_layer(d_model=100, n_heads=3)
