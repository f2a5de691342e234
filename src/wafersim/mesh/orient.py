"""Views of grid arrays with a direction of travel along axis 1, so one code path serves all four.

Grid arrays are indexed [row, col, ...]; row 0 is the north edge and column 0 the west edge. The
view for a direction puts the lines of travel on axis 0 and positions in travel order on axis 1;
every view is a NumPy view, so writing into it writes the grid array.
"""

from __future__ import annotations

import numpy as np

DIRECTIONS = ("E", "W", "S", "N")


def orient(a: np.ndarray, d: str) -> np.ndarray:
    """`a` seen so that travel in direction `d` runs along increasing axis-1 index."""
    if d == "E":
        return a
    if d == "W":
        return a[:, ::-1]
    if d == "S":
        return np.swapaxes(a, 0, 1)
    if d == "N":
        return np.swapaxes(a, 0, 1)[:, ::-1]
    raise ValueError(f"direction {d!r} is not one of {DIRECTIONS}")


def axis_of(d: str) -> str:
    """'row' for east/west travel (along a row of PEs), 'col' for north/south."""
    return "row" if d in ("E", "W") else "col"
