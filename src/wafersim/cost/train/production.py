"""A training run as it happens in production: its failure-free compute stretched by the
interruptions, checkpoints and restarts it suffers (`cost/kernels/failures.py`), and the power
and money of the whole wall time on the system's cost basis (`cost/kernels/economics.py`)."""

from __future__ import annotations

from wafersim.catalog.system import System
from wafersim.cost.kernels.economics import Economics, busy_share, economics
from wafersim.cost.kernels.failures import Interruptions, interruptions

SMALLEST_GOODPUT = 1e-9  # below this a run never finishes; its wall time is reported as such


def production(system: System, busy_s: float, breakdown: dict[str, float],
               state_params: float) -> tuple[Economics, Interruptions]:
    """Economics and interruptions of `busy_s` seconds of failure-free training on `system`
    whose checkpoint holds `state_params` trained parameters; lost work is redone at the same
    power, so energy and cost grow by 1 / goodput."""
    lost = interruptions(system, busy_s, state_params)
    run = economics(system, busy_s, busy_share(breakdown))
    return run.scaled(1.0 / max(lost.goodput, SMALLEST_GOODPUT)), lost
