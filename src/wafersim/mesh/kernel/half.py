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

import math

import numpy as np

HALF_MAX = 65504.0
_MAGIC_BITS = np.int32((13 << 23) | (1 << 22))  # exponent + 13, significand 1.5
_EXPONENT = np.int32(0x7F800000)
_FLOOR = np.float32(0.75)
_NO_EXTENSION = np.int32(-0x70000001)  # 0x8FFFFFFF: clears bits 30..28
_SIGN_COPIES = np.int32(0x70000000)  # bits 30..28
_UP, _DOWN = np.float32(2.0**112), np.float32(2.0**-112)
BLOCK_PES = 2048  # PEs per block of `fmac_columns`: its float32 temporaries fit a core's L2


def widen_scaled(h: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out (float32, h's shape) = 2^-112 * h exactly, for finite halves h (any strides): the
    half's bits sign-extended to 32 and shifted left 13 are a float32's sign, exponent and
    significand bits of 2^-112 times the value (normal and subnormal alike), once the three
    copies of the sign the extension left in bits 30..28 are cleared (IEEE 754 binary16 and
    binary32 layouts)."""
    bits = out.view(np.int32)
    np.left_shift(h.view(np.int16), 13, out=bits, dtype=np.int32)
    np.bitwise_and(bits, _NO_EXTENSION, out=bits)
    return out


def narrow(v: np.ndarray, out: np.ndarray, scratch: np.ndarray) -> None:
    """out (half, any strides) = float32 `v`, which holds halves exactly (not -0); v and
    `scratch` are overwritten. 2^-112 v holds the half's bits shifted left 13, bits 30..28
    clear (`widen_scaled` backwards): filled with copies of the sign and shifted right 13, they
    are the half's bits sign-extended, which int16 holds."""
    v *= _DOWN
    bits, sign = v.view(np.int32), scratch.view(np.int32)
    np.right_shift(bits, 3, out=sign)
    np.bitwise_and(sign, _SIGN_COPIES, out=sign)
    np.bitwise_or(bits, sign, out=bits)
    np.right_shift(bits, 13, out=bits)
    np.copyto(out.view(np.int16), bits, casting="unsafe")  # in range: the cast keeps the value


def to_float32(h: np.ndarray) -> np.ndarray:
    """Finite halves widened to float32 exactly (`widen_scaled`, then one scaling by 2^112)."""
    out = widen_scaled(h, np.empty(h.shape, np.float32))
    out *= _UP
    return out


def largest(h: np.ndarray, chunk: int = 1 << 19) -> float:
    """max |h| of a half array (inf where it holds inf or NaN). Read as int16, positive halves
    are ordered by value and a negative one is its magnitude's bits - 2^15. Runs about `chunk`
    values at a time, so the second pass over each reads cache."""
    if not h.size:
        return 0.0
    bits = np.atleast_1d(h.view(np.int16))  # any strides
    step = max(1, chunk // bits[:1].size)
    low, high = 0, 0
    for r in range(0, len(bits), step):
        part = bits[r:r + step]
        low, high = min(low, int(part.min())), max(high, int(part.max()))
    top = max(high, low + (1 << 15) if low < 0 else 0)
    return float(np.uint16(top).view(np.float16)) if top < 0x7C00 else float("inf")


def round_half(v: np.ndarray, magic: np.ndarray) -> None:
    """Round float32 `v` in place to the nearest half (ties to even); `magic` is scratch."""
    _round(v, v.view(np.int32), magic, magic.view(np.int32))


def _round(v: np.ndarray, v_bits: np.ndarray, magic: np.ndarray, magic_bits: np.ndarray) -> None:
    """`round_half` given the int32 views of v and magic."""
    np.bitwise_and(v_bits, _EXPONENT, out=magic_bits)
    np.add(magic_bits, _MAGIC_BITS, out=magic_bits)
    np.maximum(magic, _FLOOR, out=magic)
    np.add(v, magic, out=v)
    np.subtract(v, magic, out=v)


def fmac_columns(y: np.ndarray, a: np.ndarray, s: np.ndarray, block: int = BLOCK_PES) -> bool:
    """y += a[..., j] * s[..., j] for j in order, each op rounded as NumPy's half rounds it, in
    place on half `y` (..., n); a is (..., n, k), s (..., k), both broadcast to y's PEs and read
    through any strides. False (y untouched) where a value could leave the finite half range:
    the caller then takes NumPy's half path. Runs whole slices of y's first axis, about `block`
    PEs at a time, so every float32 temporary stays in cache (the PEs are independent)."""
    k = a.shape[-1]
    bound = largest(y) + 2.0 * k * largest(a) * largest(s)
    if not bound < HALF_MAX / 2 or (y.view(np.uint16) == 0x8000).any():
        return False
    if not k or not y.size:
        return True
    grid = y if y.ndim > 1 else y[None]
    lead, n = grid.shape[:-1], grid.shape[-1]
    full_a = np.broadcast_to(a, (*lead, n, k))
    s_up = widen_scaled(s, np.empty(s.shape, np.float32))
    s_up *= _UP
    s_up *= _UP  # 2^112 s: its product with a 2^-112-scaled value of a is exact
    full_s = np.broadcast_to(s_up, (*lead, k))
    rows = max(1, block // max(1, math.prod(lead[1:])))
    blocks = _Blocks(min(rows, lead[0]) * math.prod(lead[1:]), n, k, not y.view(np.uint16).any())
    for r in range(0, lead[0], rows):
        blocks.block(grid[r:r + rows], full_a[r:r + rows], full_s[r:r + rows])
    return True


class _Blocks:
    """Float32 scratch for `fmac_columns` over `size` PEs, reused block after block."""

    def __init__(self, size: int, n: int, k: int, zero_y: bool) -> None:
        self.n, self.k, self.zero_y = n, k, zero_y
        self.products = np.empty(k * size * n, np.float32)  # column j contiguous: products[j]
        self.magic = np.empty_like(self.products)
        self.acc = np.empty(size * n, np.float32)
        self.acc_magic = np.empty_like(self.acc)

    def block(self, y: np.ndarray, a: np.ndarray, s_up: np.ndarray) -> None:
        """One block: y (..., n), a (..., n, k), s_up (..., k) = 2^112 s over the same PEs. A
        column of products is laid out (first PE axis, n, other PE axes): the order of W in
        memory when its tiles are a view of it (`layout.tile_view`), so widening reads W in
        order; the sums follow that layout."""
        lead, n, k = y.shape[:-1], self.n, self.k
        size, last = math.prod(lead), len(lead)
        rest = tuple(range(1, last))
        shape = (lead[0], n, *lead[1:])
        products = self.products[:k * size * n].reshape(k, *shape)
        widen_scaled(a.transpose(last + 1, 0, last, *rest), products)  # column j: products[j]
        np.multiply(products, s_up.transpose(last, 0, *rest)[:, :, None], out=products)
        round_half(products, self.magic[:k * size * n].reshape(products.shape))
        y_t = y.transpose(0, last, *rest)
        magic = self.acc_magic[:size * n].reshape(shape)
        if self.zero_y:  # +0 + p is p (a rounded product is never -0): the first sums are p
            acc, columns = products[0], products[1:]
        else:
            acc, columns = widen_scaled(y_t, self.acc[:size * n].reshape(shape)), products
            acc *= _UP
        acc_bits, magic_bits = acc.view(np.int32), magic.view(np.int32)
        for column in columns:  # the @fmach order: one column after the other
            np.add(acc, column, out=acc)
            _round(acc, acc_bits, magic, magic_bits)
        narrow(acc, y_t, magic)
