"""One value or many: the few operations the cost formulas need beyond arithmetic, for Python
numbers and numpy arrays alike.

The cost models are written once and evaluated two ways: over numpy arrays (many plans or
batches at once: a search) or over Python numbers (one plan at one batch: a single call, where
numpy's cost per operation would outweigh the arithmetic). Both are IEEE double arithmetic in
the same order, so both give the same bits; these helpers pick the numpy function for arrays
and its exact scalar equivalent otherwise (numpy's NaN rules kept: the first NaN wins).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Sequence
from functools import reduce
from typing import Any, overload

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
Real = float | npt.NDArray[np.floating[Any]]  # one value, or one per point
Whole = int | IntArray  # one degree, or one per plan
Flag = bool | BoolArray
_NUMBER = (int, float, np.integer, np.floating, np.bool_)
_ND = np.ndarray
_PLAIN = frozenset((int, float))


@overload
def real(x: float) -> float: ...
@overload
def real(x: npt.ArrayLike) -> Real: ...
def real(x: npt.ArrayLike) -> Real:
    """`x` as a Python float when it is one number, else as a float array."""
    if isinstance(x, float):
        return x  # type: ignore[unreachable]  # numpy scalars reach it at run time
    if isinstance(x, _NUMBER):
        return float(x)
    return np.asarray(x, dtype=float)


def maximum(a: Any, b: Any) -> Any:
    """Elementwise maximum (np.maximum)."""
    if isinstance(a, _ND) or isinstance(b, _ND):
        return np.maximum(a, b)
    return a if a >= b or a != a else b


def minimum(a: Any, b: Any) -> Any:
    """Elementwise minimum (np.minimum)."""
    if isinstance(a, _ND) or isinstance(b, _ND):
        return np.minimum(a, b)
    return a if a <= b or a != a else b


def where(condition: Any, a: Any, b: Any) -> Any:
    """`a` where `condition` holds, else `b` (np.where)."""
    if condition.__class__ is bool and a.__class__ in _PLAIN and b.__class__ in _PLAIN:
        return a if condition else b
    if isinstance(condition, _ND) or isinstance(a, _ND) or isinstance(b, _ND):
        return np.where(condition, a, b)
    return a if condition else b


def choose(condition: Any, if_true: Callable[[], Any], if_false: Callable[[], Any]) -> Any:
    """where(condition, if_true(), if_false()), calling only the branch one plan takes."""
    if isinstance(condition, _ND):
        return np.where(condition, if_true(), if_false())
    return if_true() if condition else if_false()


def ceil(x: Any) -> Any:
    """Smallest whole number >= x, as a float (np.ceil)."""
    if isinstance(x, _ND):
        return np.ceil(x)
    return float(math.ceil(x)) if math.isfinite(x) else float(x)


def floor(x: Any) -> Any:
    """Largest whole number <= x, as a float (np.floor)."""
    if isinstance(x, _ND):
        return np.floor(x)
    return float(math.floor(x)) if math.isfinite(x) else float(x)


def power(base: Any, exponent: Any) -> Any:
    """base ** exponent by numpy's own routine for one number too (libm's pow may round
    differently from numpy's vectorised one)."""
    out = np.power(base, exponent)
    return out if isinstance(out, _ND) and out.ndim else float(out)


def pick(values: Sequence[float], index: Any) -> Any:
    """values[index] for an index or an array of them (numpy fancy indexing)."""
    if isinstance(index, _ND):
        return np.asarray(values)[index]
    return values[index]


def ratio(a: Any, b: Any) -> Any:
    """a / b where b > 0, else 0 (np.divide with `where`)."""
    if isinstance(a, _ND) or isinstance(b, _ND):
        return np.divide(a, b, out=np.zeros_like(b), where=b > 0)
    return a / b if b > 0 else 0.0


def item(values: Any, i: int) -> float:
    """Point `i` of an array of points, or the one point's number, as a float."""
    return float(values[i]) if isinstance(values, _ND) else float(values)


def total(values: Iterable[Any]) -> Any:
    """The values added left to right, as numpy adds arrays (Python's `sum` of floats may
    compensate rounding, as 3.12 does: not the same bits)."""
    return reduce(operator.add, values, 0)
