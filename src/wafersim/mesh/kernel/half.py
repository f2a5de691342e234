"""Exact fp16 multiply-accumulate carried in float32 (NumPy's half arithmetic is software, about
20 times slower than float32).

NumPy rounds each half op as round16(float32 result). A product of two halves is exact in float32
(22 significant bits), and rounding a float32 sum to half equals rounding the exact sum, since
24 >= 2 * 11 + 2 (double rounding is innocuous: Figueroa, "When is double rounding
innocuous?", SIGNUM 1995). round16 is done with float32 adds: v + M - M with M = 1.5 * 2^(e + 13)
for v's exponent e rounds v to the half's 11 bits, ties to even, and M >= 0.75 keeps the half's
subnormal step 2^-24. Values stay finite and below the half's largest, 65504 (checked up front).
The rounding gives +0 where NumPy gives -0; that changes no sum as long as y never holds -0
(a sum of halves is 0 only exactly, and then +0), so a y holding -0 takes NumPy's path.
"""

from __future__ import annotations

import numpy as np

HALF_MAX = 65504.0
_MAGIC_BITS = np.int32((13 << 23) | (1 << 22))  # exponent + 13, significand 1.5
BLOCK_PES = 2048  # PEs per block of `fmac_columns`: its float32 temporaries fit a core's L2


def to_float32(h: np.ndarray) -> np.ndarray:
    """Finite halves widened to float32 exactly: the half's exponent and significand bits, shifted
    into a float32's, read as 2^-112 times the value (normal and subnormal alike), so one scaling
    by 2^112 and the sign bit finish it (IEEE 754 binary16 and binary32 layouts)."""
    bits = np.ascontiguousarray(h).view(np.int16).astype(np.int32)
    sign = bits & np.int32(-(1 << 15))
    bits &= np.int32(0x7FFF)
    bits <<= 13
    out = bits.view(np.float32)
    out *= np.float32(2.0**112)
    sign <<= 16
    bits |= sign
    return out


def largest(h: np.ndarray) -> float:
    """max |h| of a half array (inf where it holds inf or NaN). Read as int16, positive halves
    are ordered by value and a negative one is its magnitude's bits - 2^15."""
    if not h.size:
        return 0.0
    bits = np.ascontiguousarray(h).view(np.int16)
    low = int(bits.min())
    top = max(int(bits.max()), low + (1 << 15) if low < 0 else 0)
    return float(np.uint16(top).view(np.float16)) if top < 0x7C00 else float("inf")


def round_half(v: np.ndarray, magic: np.ndarray) -> None:
    """Round float32 `v` in place to the nearest half (ties to even); `magic` is scratch."""
    np.bitwise_and(v.view(np.int32), np.int32(0x7F800000), out=magic.view(np.int32))
    magic.view(np.int32)[...] += _MAGIC_BITS
    np.maximum(magic, np.float32(0.75), out=magic)
    v += magic
    v -= magic


def fmac_columns(y: np.ndarray, a: np.ndarray, s: np.ndarray, block: int = BLOCK_PES) -> bool:
    """y += a[..., j] * s[..., j] for j in order, each op rounded as NumPy's half rounds it, in
    place on half `y` (..., n); a is (..., n, k), s (..., k). False (y untouched) where a value
    could leave the finite half range: the caller then takes NumPy's half path. Runs `block`
    PEs at a time so every float32 temporary stays in cache (the PEs are independent)."""
    k = a.shape[-1]
    bound = largest(y) + 2.0 * k * largest(a) * largest(s)
    if not bound < HALF_MAX / 2 or (np.ascontiguousarray(y).view(np.uint16) == 0x8000).any():
        return False
    n = y.shape[-1]
    flat_y = y.reshape(-1, n) if y.flags.c_contiguous else np.ascontiguousarray(y).reshape(-1, n)
    flat_a = np.broadcast_to(a, (*y.shape, k)).reshape(-1, n, k)
    flat_s = np.broadcast_to(s, (*y.shape[:-1], k)).reshape(-1, k)
    _Blocks(min(block, len(flat_y)), n, k).run(flat_y, flat_a, flat_s)
    if not np.shares_memory(flat_y, y):
        y[...] = flat_y.reshape(y.shape)
    return True


class _Blocks:
    """Float32 scratch for `fmac_columns` over `size` PEs, reused block after block."""

    def __init__(self, size: int, n: int, k: int) -> None:
        self.size = size
        self.s = np.empty((k, size), np.float32)
        self.products = np.empty((k, size, n), np.float32)  # column j contiguous: products[j]
        self.magic = np.empty_like(self.products)
        self.acc = np.empty((size, n), np.float32)
        self.acc_magic = np.empty_like(self.acc)

    def run(self, y: np.ndarray, a: np.ndarray, s: np.ndarray) -> None:
        for i in range(0, len(y), self.size):
            m = min(self.size, len(y) - i)
            self.block(y[i:i + m], a[i:i + m], s[i:i + m])

    def block(self, y: np.ndarray, a: np.ndarray, s: np.ndarray) -> None:
        m = len(y)
        s32, products, acc = self.s[:, :m], self.products[:, :m], self.acc[:m]
        np.copyto(products, a.transpose(2, 0, 1))  # halves widen to float32 exactly
        np.copyto(s32, s.T)
        products *= s32[:, :, None]  # exact: 22 significant bits at most
        round_half(products, self.magic[:, :m])
        np.copyto(acc, y)
        magic = self.acc_magic[:m]
        for column in products:  # the @fmach order: one column after the other
            acc += column
            round_half(acc, magic)
        np.copyto(y, acc)  # every value is a half already: the cast is exact
