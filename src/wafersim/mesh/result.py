"""`MeshResult`: what one simulated kernel produced, frozen; its breakdown adds up to its cycles."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Span:
    """One traced activity: per-PE start and end cycles (NaN where a PE took no part)."""

    name: str
    start: np.ndarray
    end: np.ndarray


@dataclass(frozen=True)
class MeshResult:
    """Cycles, time at the catalog clock (and its range), rates, utilisation and SRAM per PE."""

    kernel: str
    pe: str
    grid: tuple[int, int]  # (cols, rows)
    precision: str
    cycles: int
    time_s: float
    time_s_lo: float  # at the top of the catalog clock range
    time_s_hi: float  # at the bottom
    flops: float  # useful FLOPs of the problem (2 per multiply-add, padding excluded)
    flops_per_s: float
    max_abs_error: float  # against the NumPy reference
    breakdown: dict[str, int]  # cycles per phase; sums to `cycles`
    sim_wall_s: float  # wall seconds simulating (not drawing inputs or checking the reference)
    pe_cycles_per_s: float  # simulated PE-cycles per second of `sim_wall_s`
    peak_sram_bytes_per_pe: int
    sram_bytes: np.ndarray = field(repr=False)  # (rows, cols)
    compute_util: np.ndarray = field(repr=False)  # busy share of each core
    link_util: np.ndarray = field(repr=False)  # busy share of each PE's busiest outgoing link
    wavelets_sent: int = 0  # onto links, all routers
    wavelets_received: int = 0  # from links, all routers
    colors_used: int = 0
    output: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    params: dict[str, object] = field(default_factory=dict)
    spans: tuple[Span, ...] | None = field(default=None, repr=False)
    clock_hz: float = 1.0

    def __post_init__(self) -> None:
        assert sum(self.breakdown.values()) == self.cycles, (self.breakdown, self.cycles)

    @property
    def pes(self) -> int:
        return self.grid[0] * self.grid[1]

    def to_json(self, host: bool = False) -> dict[str, object]:
        """Machine output in SI units; the first five keys are the stable interface. The host's
        timings (wall seconds, PE-cycles per second) vary run to run, so they come only with
        `host`, under a "host" key: the default view is the same bytes on every run."""
        out: dict[str, object] = {
            "cycles": self.cycles, "time_s": self.time_s, "flops_per_s": self.flops_per_s,
            "max_abs_error": self.max_abs_error,
            "peak_sram_bytes_per_pe": self.peak_sram_bytes_per_pe,
            "kernel": self.kernel, "pe": self.pe, "grid": list(self.grid),
            "precision": self.precision, "time_s_range": [self.time_s_lo, self.time_s_hi],
            "flops": self.flops, "breakdown_cycles": self.breakdown,
            "mean_compute_util": float(self.compute_util.mean()),
            "max_compute_util": float(self.compute_util.max()),
            "mean_link_util": float(self.link_util.mean()),
            "max_link_util": float(self.link_util.max()),
            "wavelets_sent": self.wavelets_sent, "wavelets_received": self.wavelets_received,
            "colors_used": self.colors_used, "params": self.params,
        }
        if host:
            out["host"] = {"sim_wall_s": self.sim_wall_s, "pe_cycles_per_s": self.pe_cycles_per_s}
        return out
