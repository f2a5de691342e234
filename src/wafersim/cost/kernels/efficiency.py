"""A chip's calibrated end-to-end efficiency, or a stated default, with the note that says which.

Training (framework) and serving efficiencies are the share of the kernel-level estimate a real
software stack reaches; `wafersim calibrate` fits them per chip kind on published runs.
"""

from __future__ import annotations

from wafersim.catalog.schema import Chip


def calibrated_fraction(chip: Chip, field: str, default: float, default_range: str,
                        what: str) -> tuple[float, str]:
    """(value, note) of `chip.<field>`; `default` (with its range) when the chip has none."""
    q = getattr(chip, field)
    if q is None or q.value is None:
        return default, (f"{chip.id}: no calibrated {what} efficiency; {default} of the "
                         f"kernel-level estimate assumed (range {default_range})")
    return float(q.value), (f"{what} at {q.value:.2f} of the kernel-level estimate ({what} "
                            f"efficiency of {chip.id}, calibrated on published {what} runs)")
