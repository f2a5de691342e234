"""The exact grid of cycles: multiples of 2^-10 below 2^38.

On it every sum and difference of a SUMMA step, and every `fabric._SEGMENT` offset of the stream
recurrence, is exact (under 2^51 units of 2^-10), so arithmetic in another order gives the same
bits: what lets `gemm._Steps` keep lagged done cycles and `summa_runs` time steps by runs.
"""

from __future__ import annotations

import numpy as np

UNIT = 2.0**-10
BOUND = 2.0**38


def on_grid(values: np.ndarray | float) -> bool:
    """Whether every value is a multiple of `UNIT` in [0, `BOUND`) (the exact grid above)."""
    v = np.asarray(values)
    return bool(v.size == 0 or (v.min() >= 0 and v.max() < BOUND and not np.fmod(v, UNIT).any()))
