"""The one error a kernel's misuse of a PE resource raises: it names the PE (x, y) and the resource.

x is the PE's column (0 at the west edge) and y its row (0 at the north edge), as in the SDK's
layout coordinates. Route clashes, colors past the router's count, reading a buffer never written
and SRAM overflow all raise `KernelError` (an SRAM overflow also is an `InfeasiblePlan`).
"""

from __future__ import annotations

import numpy as np

from wafersim.errors import ConfigError, InfeasiblePlan


class KernelError(ConfigError):
    """Misuse of a mesh resource at one PE; `pe` is (x, y) and `resource` names what was misused."""

    def __init__(self, pe: tuple[int, int], resource: str, problem: str, fix: str) -> None:
        self.pe, self.resource, self.problem = pe, resource, problem
        super().__init__(f"PE (x={pe[0]}, y={pe[1]}): {resource} {problem}; {fix}")


class SramOverflow(KernelError, InfeasiblePlan):
    """A PE's buffers need more SRAM than it has."""


def first_pe(mask: np.ndarray) -> tuple[int, int]:
    """(x, y) of the first PE (row-major) where `mask` holds; `mask` is (rows, cols)."""
    y, x = (int(i) for i in np.argwhere(mask)[0])
    return x, y
