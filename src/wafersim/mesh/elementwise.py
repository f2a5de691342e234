"""Cycle costs of element-wise and local-reduction work on one PE's core.

SIMD ops from SRAM run at `PEMachine.vector_width` (SIMD width capped by the SRAM ports). The
PE has no transcendental unit in the CSL instruction set (SDK CSL builtins list only add, sub,
mul, fma, max, moves and conversions), so exp, reciprocal and reciprocal square root are
evaluated in software; we charge `TRANSCENDENTAL_PASSES` vector passes per element (a range
reduction plus a short polynomial). That count is an assumption, not a published figure.
"""

from __future__ import annotations

import numpy as np

from wafersim.mesh.core import simd_cycles
from wafersim.mesh.machine import PEMachine

TRANSCENDENTAL_PASSES = 8  # assumption: vector passes per exp / reciprocal / rsqrt


def binary_cycles(m: PEMachine, elements: int, precision: str = "fp32") -> np.ndarray:
    """One two-operand op (add, mul, max, fma with a scalar) over `elements` values."""
    return simd_cycles(elements, m.vector_width(precision, reads=2, writes=1))


def unary_cycles(m: PEMachine, elements: int, precision: str = "fp32") -> np.ndarray:
    """One one-operand pass (scale, move, local running max or sum)."""
    return simd_cycles(elements, m.vector_width(precision, reads=1, writes=1))


def transcendental_cycles(m: PEMachine, elements: int, precision: str = "fp32") -> np.ndarray:
    """exp, reciprocal or rsqrt over `elements` values (see TRANSCENDENTAL_PASSES)."""
    return TRANSCENDENTAL_PASSES * binary_cycles(m, elements, precision)
