"""Distributing arrays over the grid and gathering them back (zero padding to whole tiles).

A matrix A[M, N] on `rows` x `cols` PEs: PE (r, c) holds the tile A[r*tm:(r+1)*tm, c*tn:(c+1)*tn]
with tm = ceil(M / rows), tn = ceil(N / cols) (the layout of the Cerebras SDK GEMV tutorials and
WaferLLM's MeshGEMV). Tiles live in one (rows, cols, tm, tn) array so every PE's work is one
vectorised NumPy operation.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from wafersim.errors import ConfigError, ParameterError

DTYPES: dict[str, type[np.floating[Any]]] = {"fp16": np.float16, "fp32": np.float32}


def tile_of(size: int, parts: int) -> int:
    return max(1, -(-size // parts))


def to_tiles(a: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """A[M, N] -> (rows, cols, tm, tn), zero-padded."""
    (m, n), tm, tn = a.shape, tile_of(a.shape[0], rows), tile_of(a.shape[1], cols)
    out = np.zeros((rows, cols, tm, tn), dtype=a.dtype)
    view = out.transpose(0, 2, 1, 3)  # A's index (i, j) at (i // tm, i % tm, j // tn, j % tn)
    fr, rr, fc, rc = m // tm, m % tm, n // tn, n % tn  # whole tiles and the rest
    view[:fr, :, :fc] = a[: fr * tm, : fc * tn].reshape(fr, tm, fc, tn)
    if rc:
        view[:fr, :, fc, :rc] = a[: fr * tm, fc * tn:].reshape(fr, tm, rc)
    if rr:
        view[fr, :rr, :fc] = a[fr * tm:, : fc * tn].reshape(rr, fc, tn)
    if rr and rc:
        view[fr, :rr, fc, :rc] = a[fr * tm:, fc * tn:]
    return out


def padded(m: int, n: int, rows: int, cols: int, dtype: type[np.floating[Any]]) -> np.ndarray:
    """A zero A[M, N] whose storage is padded to whole tiles of the grid: `tile_view` then
    reads its tiles without copying them."""
    tm, tn = tile_of(m, rows), tile_of(n, cols)
    return np.zeros((rows * tm, cols * tn), dtype=dtype)[:m, :n]


def tile_view(a: np.ndarray, rows: int, cols: int) -> np.ndarray | None:
    """`to_tiles(a, rows, cols)` as a view, where a fills its C-contiguous storage to whole
    tiles (exactly, or as the corner of `padded` storage whose rest is +0); else None."""
    (m, n), tm, tn = a.shape, tile_of(a.shape[0], rows), tile_of(a.shape[1], cols)
    store = a if a.shape == (rows * tm, cols * tn) else a.base
    if not isinstance(store, np.ndarray) or store.shape != (rows * tm, cols * tn):
        return None
    if not store.flags.c_contiguous or store.dtype != a.dtype or a.strides != store.strides:
        return None
    if a.__array_interface__["data"][0] != store.__array_interface__["data"][0]:
        return None
    bits = store.view(np.uint8 if a.dtype.itemsize == 1 else f"u{a.dtype.itemsize}")
    if bits[m:].any() or bits[:m, n:].any():
        return None
    return store.reshape(rows, tm, cols, tn).transpose(0, 2, 1, 3)


def from_tiles(t: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """(rows, cols, tm, tn) -> A[M, N] (padding dropped)."""
    rows, cols, tm, tn = t.shape
    return t.transpose(0, 2, 1, 3).reshape(rows * tm, cols * tn)[: shape[0], : shape[1]]


def to_slices(v: np.ndarray, parts: int) -> np.ndarray:
    """v[N] -> (parts, ceil(N / parts)), zero-padded."""
    t = tile_of(v.shape[0], parts)
    padded = np.zeros(parts * t, dtype=v.dtype)
    padded[: v.shape[0]] = v
    return padded.reshape(parts, t)


def check_positive(**sizes: int) -> None:
    """Every named size must be a positive integer."""
    for name, value in sizes.items():
        if not isinstance(value, int | np.integer) or value < 1:
            raise ParameterError(name, value, f"{{{name}}} must be a positive integer",
                                 allowed="a positive integer")


def dtype_of(precision: str) -> type[np.floating[Any]]:
    if precision not in DTYPES:
        raise ConfigError(f"precision {precision!r} is not one of {', '.join(DTYPES)}")
    return DTYPES[precision]


def random_inputs(seed: int, precision: str, *shapes: tuple[int, ...]) -> list[np.ndarray]:
    """Uniform(-1, 1) arrays with an explicit seed, cast to the kernel precision."""
    rng = np.random.default_rng(seed)
    dt = dtype_of(precision)
    return [rng.uniform(-1.0, 1.0, size=s).astype(dt) for s in shapes]


def max_abs_error(got: np.ndarray, want: np.ndarray) -> float:
    if got.size == 0:
        return 0.0
    return float(np.max(np.abs(got.astype(np.float64) - want.astype(np.float64))))
