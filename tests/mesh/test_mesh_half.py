"""The float32-carried fp16 arithmetic of the kernel API equals NumPy's half arithmetic bit for bit."""

from __future__ import annotations

import numpy as np

from wafersim.mesh.kernel import half
from wafersim.mesh.layout import padded, tile_view

FINITE = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(np.float16)
FINITE = FINITE[np.isfinite(FINITE)]


def _bits(a: np.ndarray) -> np.ndarray:
    return a.view(np.uint32 if a.dtype == np.float32 else np.uint16)


def test_every_finite_half_widens_exactly() -> None:
    assert np.array_equal(_bits(half.to_float32(FINITE)), _bits(FINITE.astype(np.float32)))


def test_every_finite_half_widens_scaled_through_any_strides() -> None:
    strided = np.repeat(FINITE, 2)[::2]
    got = half.widen_scaled(strided, np.empty(strided.shape, np.float32))
    assert np.array_equal(got.astype(np.float64) * 2.0**112, FINITE.astype(np.float64))


def test_every_finite_half_narrows_back_exactly() -> None:
    values = FINITE[_bits(FINITE) != 0x8000]  # -0 is never narrowed (y never holds it)
    out = np.zeros((len(values), 2), np.float16)[:, 0]  # strided: written through
    half.narrow(values.astype(np.float32), out, np.empty(len(values), np.float32))
    assert np.array_equal(_bits(out), _bits(values))


def test_rounding_matches_numpy_on_ties_and_random_values() -> None:
    h = np.sort(FINITE[FINITE >= 0].astype(np.float64))
    ties = ((h[:-1] + h[1:]) / 2).astype(np.float32)
    rng = np.random.default_rng(3)
    spread = rng.standard_normal(200_000) * 2.0 ** rng.integers(-30, 15, 200_000)
    values = np.concatenate([ties, -ties, spread[np.abs(spread) < 60000].astype(np.float32)])
    want = values.astype(np.float16).astype(np.float32)
    got = values.copy()
    half.round_half(got, np.empty_like(got))
    assert np.array_equal(got, want)  # equal values; only the sign of a zero may differ
    assert np.array_equal(_bits(got)[want != 0], _bits(want)[want != 0])


def test_largest_magnitude() -> None:
    for values, want in (([0.0], 0.0), ([0.0, 2.0], 2.0), ([1.0, -3.0], 3.0), ([-0.0], 0.0),
                         ([65504.0, -1.0], 65504.0), ([np.inf, 1.0], np.inf), ([np.nan], np.inf)):
        assert half.largest(np.array(values, np.float16)) == want


def _numpy_loop(y: np.ndarray, a: np.ndarray, s: np.ndarray) -> np.ndarray:
    y = y.copy()
    for j in range(a.shape[-1]):
        np.add(y, a[..., j] * s[..., j, None], out=y, casting="unsafe")
    return y


def test_fmac_columns_equals_numpy_half_loop() -> None:
    rng = np.random.default_rng(4)
    for scale in (1e-4, 1 / 90, 3.0):
        a = (rng.uniform(-1, 1, (30, 20, 7, 11)) * scale).astype(np.float16)
        s = rng.uniform(-1, 1, (30, 20, 11)).astype(np.float16)
        for y in (rng.uniform(-1, 1, (30, 20, 7)).astype(np.float16), np.zeros((30, 20, 7), np.float16)):
            want = _numpy_loop(y, a, s)
            ragged = y.copy()
            assert half.fmac_columns(y, a, s)
            assert np.array_equal(_bits(y), _bits(want))
            assert half.fmac_columns(ragged, a, s, block=7)  # 600 PEs: 85 blocks and a ragged one
            assert np.array_equal(_bits(ragged), _bits(want))


def test_fmac_columns_on_views_and_broadcast_operands() -> None:
    rng = np.random.default_rng(5)
    a = rng.uniform(-1, 1, (6, 5, 3, 4)).astype(np.float16)
    s = rng.uniform(-1, 1, (5, 4)).astype(np.float16)  # one slice per column, as GEMV's x
    y = np.zeros((6, 10, 3), np.float16)[:, ::2]  # not contiguous: written through
    want = _numpy_loop(np.zeros((6, 5, 3), np.float16), a, np.broadcast_to(s, (6, 5, 4)))
    assert half.fmac_columns(y, a, s, block=4)
    assert np.array_equal(_bits(y), _bits(want))


def test_fmac_columns_on_ragged_blocks_of_rows() -> None:
    rng = np.random.default_rng(6)
    for lead, block in (((7, 5), 10), ((7, 5), 1), ((13,), 4), ((3, 4, 5), 41), ((1, 9), 2)):
        a = (rng.uniform(-1, 1, (*lead, 3, 5)) / 8).astype(np.float16)
        s = rng.uniform(-1, 1, (*lead, 5)).astype(np.float16)
        for y in (np.zeros((*lead, 3), np.float16), rng.uniform(-1, 1, (*lead, 3)).astype(np.float16)):
            want = _numpy_loop(y, a, s)
            assert half.fmac_columns(y, a, s, block=block)  # 2 rows of 5 PEs: the last block 1
            assert np.array_equal(_bits(y), _bits(want))
    y = rng.uniform(-1, 1, 4).astype(np.float16)  # one PE
    a, s = rng.uniform(-1, 1, (4, 6)).astype(np.float16), rng.uniform(-1, 1, 6).astype(np.float16)
    want = _numpy_loop(y, a, s)
    assert half.fmac_columns(y, a, s)
    assert np.array_equal(_bits(y), _bits(want))


def test_fmac_columns_reads_a_tile_view_as_its_copy() -> None:
    rng = np.random.default_rng(7)
    rows, cols, m, n = 5, 4, 23, 30  # 5 x 8 tiles, the last row and column of them ragged
    w = padded(m, n, rows, cols, np.float16)
    w[...] = (rng.uniform(-1, 1, (m, n)) / 6).astype(np.float16)
    view = tile_view(w, rows, cols)
    assert view is not None and not view.flags.c_contiguous
    s = rng.uniform(-1, 1, (rows, cols, 8)).astype(np.float16)
    y, copied = np.zeros((rows, cols, 5), np.float16), np.zeros((rows, cols, 5), np.float16)
    assert half.fmac_columns(y, view, s, block=6)
    assert half.fmac_columns(copied, np.ascontiguousarray(view), s, block=6)
    assert np.array_equal(_bits(y), _bits(copied))
    assert np.array_equal(_bits(y), _bits(_numpy_loop(np.zeros_like(y), view, s)))


def test_fmac_columns_declines_what_it_cannot_carry() -> None:
    a, s = np.ones((2, 2, 3, 4), np.float16), np.ones((2, 2, 4), np.float16)
    for y in (np.full((2, 2, 3), -0.0, np.float16), np.full((2, 2, 3), 40000, np.float16)):
        before = y.copy()
        assert not half.fmac_columns(y, a, s)
        assert np.array_equal(_bits(y), _bits(before))
