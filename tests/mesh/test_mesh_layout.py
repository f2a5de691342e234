"""Tiling a matrix over the grid: the view of tile-padded storage equals the padded copy."""

from __future__ import annotations

import numpy as np
import pytest

from wafersim.mesh.layout import padded, tile_view, to_tiles


@pytest.mark.parametrize(("m", "n", "rows", "cols"),
                         [(10, 13, 3, 4), (9, 12, 3, 4), (1, 1, 5, 2), (7, 30, 7, 1), (8, 5, 2, 5)])
def test_tile_view_of_padded_storage_equals_the_copy(m, n, rows, cols):
    w = padded(m, n, rows, cols, np.float16)
    w[...] = np.random.default_rng(m * n).uniform(-1, 1, (m, n)).astype(np.float16)
    view = tile_view(w, rows, cols)
    assert view is not None and np.shares_memory(view, w)
    want = to_tiles(w, rows, cols)
    assert view.shape == want.shape and np.array_equal(view.view(np.uint16), want.view(np.uint16))


def test_tile_view_declines_what_it_cannot_view():
    rng = np.random.default_rng(1)
    plain = rng.uniform(-1, 1, (10, 13)).astype(np.float16)
    assert tile_view(plain, 3, 4) is None  # ragged tiles need padding it does not have
    dirty = padded(10, 13, 3, 4, np.float16)
    dirty.base[-1, -1] = 1.0
    assert tile_view(dirty, 3, 4) is None  # padding that is not +0
    negative_zero = padded(10, 13, 3, 4, np.float16)
    negative_zero.base[10, 0] = -0.0
    assert tile_view(negative_zero, 3, 4) is None
    inner = padded(10, 13, 3, 4, np.float16).base[1:11, :13]
    assert tile_view(inner, 3, 4) is None  # not the storage's corner
    assert tile_view(padded(10, 13, 3, 4, np.float16), 4, 3) is None  # another grid's tiles


def test_exact_tiles_of_a_contiguous_matrix_are_a_view():
    w = np.arange(12 * 8, dtype=np.float32).reshape(12, 8)
    view = tile_view(w, 3, 2)
    assert view is not None and np.shares_memory(view, w)
    assert np.array_equal(view, to_tiles(w, 3, 2))
    assert tile_view(w[:, ::2], 3, 2) is None  # strided: not its storage's layout
