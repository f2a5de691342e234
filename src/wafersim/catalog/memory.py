"""The memory tiers a chip keeps a model in, fastest first, read from its catalog fields.

A chip's device memory is its HBM (or GDDR, carried in the same fields), or, where it has none,
its on-chip SRAM (a Groq LPU); a capacity tier of directly addressed DRAM (`ddr_*` with
`ddr_is_device_memory`, the SN40L's DDR5) follows it. Capacity is the sum of the tiers; what
spills past the fast tier is read at the slower tier's bandwidth (placement fastest first, as a
compiler that fills HBM before DDR).
"""

from __future__ import annotations

from dataclasses import dataclass

from wafersim.catalog.schema import Chip, Quantity
from wafersim.xp import Real, maximum, minimum


@dataclass(frozen=True)
class MemoryTier:
    name: str  # "hbm", "sram" or "ddr": the catalog fields it comes from
    capacity_bytes: float
    bandwidth_Bps: float | None  # None: unpublished


def _value(q: Quantity | None) -> float | None:
    return None if q is None else q.value


def memory_tiers(chip: Chip) -> tuple[MemoryTier, ...]:
    """The tiers holding weights and state, fastest first; empty when no size is known."""
    tiers: list[MemoryTier] = []
    for name in ("hbm", "sram", "ddr"):
        size = _value(getattr(chip, f"{name}_bytes"))
        if size is None or (name == "sram" and tiers):
            continue  # on-chip SRAM is device memory only on chips without HBM
        if name == "ddr" and not chip.ddr_is_device_memory:
            continue  # a host CPU's memory, not where the model is kept
        tiers.append(MemoryTier(name, size, _value(getattr(chip, f"{name}_bandwidth_Bps"))))
    return tuple(tiers)


def has_capacity_tier(chip: Chip) -> bool:
    """Whether the chip keeps a slower tier behind its device memory (SN40L DDR)."""
    return len(memory_tiers(chip)) > 1


def device_memory_bytes(chip: Chip) -> float | None:
    """Memory one device addresses for weights and state: every tier's capacity."""
    tiers = memory_tiers(chip)
    return sum(t.capacity_bytes for t in tiers) if tiers else None


def spill_read_s(chip: Chip, resident_bytes: Real, usable_fraction: float) -> Real:
    """Seconds a pass over `resident_bytes` takes beyond reading them all at the fast tier's
    rate: the bytes past the fast tier's usable capacity are read from the next tier (two-tier
    roofline: t = bytes_fast / bw_fast + bytes_slow / bw_slow). 0 for a one-tier chip."""
    tiers = memory_tiers(chip)
    fast = tiers[0] if tiers else None
    extra: Real = 0.0 * resident_bytes
    if fast is None or fast.bandwidth_Bps is None:
        return extra
    filled = fast.capacity_bytes * usable_fraction
    for slow in tiers[1:]:
        spilled = minimum(maximum(0.0, resident_bytes - filled), slow.capacity_bytes * usable_fraction)
        filled += slow.capacity_bytes * usable_fraction
        if slow.bandwidth_Bps is not None:
            extra = extra + spilled * (1.0 / slow.bandwidth_Bps - 1.0 / fast.bandwidth_Bps)
    return extra
