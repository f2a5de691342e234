"""SIMD operations on buffers, each one vectorised over the PEs of a mask (all by default).

Every op computes its values with NumPy, writes the destination buffer on those PEs and runs a
local task of the op's cycles (`elementwise`: the SIMD width capped by the SRAM ports, ceil for
the tail; exp, reciprocal and rsqrt in software). Operands are buffers (read only where written)
or scalars per PE ((rows, cols) arrays or numbers).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from wafersim.mesh.core import simd_cycles
from wafersim.mesh.elementwise import binary_cycles, transcendental_cycles, unary_cycles
from wafersim.mesh.kernel import half
from wafersim.mesh.kernel.buffer import Buffer

if TYPE_CHECKING:
    from wafersim.mesh.engine import MeshSim
    from wafersim.mesh.machine import PEMachine

Operand = Buffer | np.ndarray | float
BINARY: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "max": np.maximum}
UNARY: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "exp": np.exp, "recip": lambda a: np.float32(1.0) / a, "rsqrt": lambda a: np.float32(1.0) / np.sqrt(a)}


class SimdOps:
    """The SIMD instruction set of a `PE` (mixed into it)."""

    sim: MeshSim
    machine: PEMachine

    def _value(self, a: Operand, where: np.ndarray | None, ndim: int) -> np.ndarray:
        if isinstance(a, Buffer):
            return a.read(where)
        arr = np.asarray(a)
        return arr.reshape(*arr.shape, *([1] * (ndim - arr.ndim))) if arr.ndim >= 2 else arr

    def _store(self, name: str, dst: Buffer, values: np.ndarray, cycles: np.ndarray | float,
               where: np.ndarray | None, flops: float = 0.0, charge: bool = True) -> np.ndarray:
        # a whole-grid write casts as it copies; a masked one takes the buffer's dtype first
        dst.write(values if where is None else values.astype(dst.values.dtype, copy=False), where)
        if not charge:  # inside a data task: its cycles are the task's (`PE.on_data`)
            return self.sim.core.free
        return self.sim.compute(name, self.sim.core.free, cycles, where, flops)

    def fmac_cycles(self, dst: Buffer) -> np.ndarray:
        """Cycles of one @fmach over `dst` (reads the vector and dst, writes dst)."""
        return simd_cycles(dst.length, self.machine.vector_width(dst.precision, reads=2, writes=1))

    def binary(self, op: str, dst: Buffer, a: Operand, b: Operand,
               where: np.ndarray | None = None) -> np.ndarray:
        """dst = a (op) b element-wise (add, sub, mul, max); one SIMD pass over dst."""
        nd = dst.values.ndim
        out = BINARY[op](self._value(a, where, nd), self._value(b, where, nd))
        cycles = binary_cycles(self.machine, dst.length, dst.precision)
        return self._store(op, dst, np.broadcast_to(out, dst.values.shape), cycles, where)

    def add(self, dst: Buffer, a: Operand, b: Operand, where: np.ndarray | None = None) -> np.ndarray:
        return self.binary("add", dst, a, b, where)

    def mul(self, dst: Buffer, a: Operand, b: Operand, where: np.ndarray | None = None) -> np.ndarray:
        return self.binary("mul", dst, a, b, where)

    def max(self, dst: Buffer, a: Operand, b: Operand, where: np.ndarray | None = None) -> np.ndarray:
        return self.binary("max", dst, a, b, where)

    def fmac(self, dst: Buffer, a: Operand, s: Operand, where: np.ndarray | None = None,
             charge: bool = True) -> np.ndarray:
        """dst += a * s (an @fmach: reads a and dst, writes dst); `charge=False` inside a data
        task, whose cycles `PE.on_data` charges. Rounded as NumPy rounds dst's precision."""
        nd = dst.values.ndim
        product = self._value(a, where, nd) * self._value(s, where, nd)
        if where is None:  # in place, rounded as dst's precision rounds
            out = np.add(dst.read(), product, out=dst.values, casting="unsafe")
        else:
            out = dst.read(where) + product
        return self._store("fmac", dst, out, self.fmac_cycles(dst), where, 2.0 * dst.length, charge)

    def fmac_columns(self, dst: Buffer, a: Buffer | np.ndarray, s: Buffer | np.ndarray) -> None:
        """dst += a[..., j] * s[..., j] for every column j in order: the @fmach loop of a data
        task (its cycles are the task's), each op rounded as `fmac` rounds it (fp16 exactly,
        carried in float32: `half`)."""
        av = a.read() if isinstance(a, Buffer) else a
        sv = s.read() if isinstance(s, Buffer) else s
        y = dst.read()
        if dst.precision == "fp16" and av.dtype == sv.dtype == y.dtype and half.fmac_columns(y, av, sv):
            dst.write(y)
            return
        for j in range(av.shape[-1]):
            self.fmac(dst, av[..., j], sv[..., j], charge=False)

    def unary(self, op: str, dst: Buffer, a: Operand, where: np.ndarray | None = None) -> np.ndarray:
        """dst = op(a) for exp, recip, rsqrt (software: `TRANSCENDENTAL_PASSES` passes)."""
        out = UNARY[op](self._value(a, where, dst.values.ndim))
        cycles = transcendental_cycles(self.machine, dst.length, dst.precision)
        return self._store(op, dst, np.broadcast_to(out, dst.values.shape), cycles, where)

    def exp(self, dst: Buffer, a: Operand, where: np.ndarray | None = None) -> np.ndarray:
        return self.unary("exp", dst, a, where)

    def reduce_local(self, op: str, dst: Buffer, a: Buffer, where: np.ndarray | None = None,
                     charge: bool = True) -> np.ndarray:
        """dst = the sum or max of a over its last axis: one pass over a (`charge=False`: fused
        into the pass that wrote a, so it costs nothing more)."""
        values = a.read(where)
        out = values.sum(axis=-1, dtype=values.dtype) if op == "sum" else values.max(axis=-1)
        cycles = unary_cycles(self.machine, a.length, a.precision)
        return self._store(f"{op} reduce", dst, out, cycles, where, charge=charge)

    def copy(self, dst: Buffer, a: Operand, where: np.ndarray | None = None) -> np.ndarray:
        """dst = a (a move, or a cast between precisions): one pass."""
        out = np.broadcast_to(self._value(a, where, dst.values.ndim), dst.values.shape)
        return self._store("copy", dst, out, unary_cycles(self.machine, dst.length, "fp32"), where)
