"""A named per-PE buffer: a fixed shape and dtype on every PE, its SRAM accounted, its values held
as one (rows, cols, *shape) array, and a mask of the PEs that have written it."""

from __future__ import annotations

import math

import numpy as np

from wafersim.mesh.layout import dtype_of
from wafersim.mesh.machine import PRECISION_BYTES
from wafersim.mesh.misuse import KernelError, first_pe


class Buffer:
    """`values[y, x]` is the buffer on PE (x, y); `written[y, x]` says whether it holds data."""

    def __init__(self, name: str, grid: tuple[int, int], shape: tuple[int, ...],
                 precision: str) -> None:
        self.name, self.shape, self.precision = name, shape, precision
        self.values = np.zeros((*grid, *shape), dtype=dtype_of(precision))
        self.written = np.zeros(grid, dtype=bool)

    @property
    def length(self) -> int:
        """Elements per PE (a SIMD op over the whole buffer runs over this many)."""
        return math.prod(self.shape)

    @property
    def bytes_per_pe(self) -> int:
        return self.length * PRECISION_BYTES[self.precision]

    def write(self, values: np.ndarray | float, where: np.ndarray | None = None) -> None:
        """Store `values` ((rows, cols, *shape), or broadcastable) on the PEs in `where` (all)."""
        if where is None:
            if values is not self.values:
                self.values[...] = values
            self.written[...] = True
            return
        _masked_copy(self.values, np.asarray(values, dtype=self.values.dtype), where)
        self.written |= where

    def adopt(self, values: np.ndarray) -> None:
        """Hold `values` (exactly the buffer's array shape and dtype) without copying them; the
        caller hands the array over and must not change it afterwards."""
        if values.shape != self.values.shape or values.dtype != self.values.dtype:
            raise KernelError((0, 0), f"buffer {self.name!r}", f"cannot adopt a {values.shape} "
                              f"{values.dtype} array", f"give one of {self.values.shape} "
                              f"{self.values.dtype}")
        self.values = values
        self.written[...] = True

    def read(self, where: np.ndarray | None = None) -> np.ndarray:
        """The values; every PE in `where` (all) must have written the buffer."""
        missing = ~self.written if where is None else where & ~self.written
        if missing.any():
            raise KernelError(first_pe(missing), f"buffer {self.name!r}", "is read but was never "
                              "written", "write it (or receive data into it) first")
        return self.values


def _masked_copy(dst: np.ndarray, src: np.ndarray, where: np.ndarray) -> None:
    """dst[where] = src[where] for a (rows, cols) mask over dst's leading axes: rows of PEs the
    mask takes whole are copied as blocks (a masked copy costs several times a plain one)."""
    src = np.broadcast_to(src, dst.shape)
    whole = where.all(axis=1)
    if whole.all():
        np.copyto(dst, src)
        return
    if whole.any():
        dst[whole] = src[whole]
    part = where.any(axis=1) & ~whole
    if part.any():
        rows = np.flatnonzero(part)
        mask = where[rows].reshape(len(rows), -1, *([1] * (dst.ndim - 2)))
        block = dst[rows]
        np.copyto(block, src[rows], where=mask)
        dst[rows] = block
