"""Frozen results of the functional runs; every breakdown adds up to its total."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from wafersim.mesh.functional.config import GPTConfig
from wafersim.mesh.functional.kernels import KernelCall


@dataclass(frozen=True)
class UnitPass:
    """One unit streamed for one pass: bytes each wafer received and sent, its kernels, and the
    timeline of the (identical) wafers, in seconds from the start of the step."""

    unit: str
    direction: str  # forward or backward
    params: int
    weight_bytes: int  # streamed down to each wafer
    gradient_bytes: int  # sent up by each wafer (backward only)
    calls: tuple[KernelCall, ...]
    compute_cycles: int
    weights_arrive_s: float
    compute_start_s: float
    compute_done_s: float


@dataclass(frozen=True)
class StepAccount:
    """One training step: its loss, bytes and time; `breakdown_s` sums to `time_s`."""

    step: int
    loss: float
    weight_bytes_from_memoryx: int  # sent once per unit and pass; SwarmX replicates
    weight_bytes_per_wafer: int
    gradient_bytes_per_wafer: int
    gradient_bytes_to_memoryx: int  # after the tree's sums
    tree_link_bytes: int  # weights down and gradients up, over every tree link
    tree_hops: int  # tree levels between MemoryX and a wafer
    compute_cycles: int  # per wafer (all wafers run the same shapes)
    time_s: float
    breakdown_s: dict[str, float]

    def __post_init__(self) -> None:
        assert abs(sum(self.breakdown_s.values()) - self.time_s) <= 1e-12 * max(self.time_s, 1.0)


@dataclass(frozen=True)
class TrainingRun:
    """A streamed training run: losses, final weights, the per-step accounting and totals."""

    config: GPTConfig
    wafers: int
    steps: int
    seed: int
    pe: str
    node: str
    clock_hz: float
    stream_Bps: float
    losses: tuple[float, ...]
    accounts: tuple[StepAccount, ...]
    passes: tuple[UnitPass, ...]  # the step's unit passes (the same every step)
    peak_sram_bytes_per_wafer: int
    sram_capacity_bytes_per_wafer: int
    weights: dict[str, dict[str, np.ndarray]] = field(repr=False)

    @property
    def params(self) -> int:
        return sum(p.params for p in self.passes if p.direction == "forward")

    @property
    def time_s(self) -> float:
        return sum(a.time_s for a in self.accounts)

    @property
    def weight_bytes_per_wafer(self) -> int:
        return sum(a.weight_bytes_per_wafer for a in self.accounts)

    @property
    def gradient_bytes_to_memoryx(self) -> int:
        return sum(a.gradient_bytes_to_memoryx for a in self.accounts)

    @property
    def compute_cycles(self) -> int:
        return sum(a.compute_cycles for a in self.accounts)

    def to_json(self) -> dict[str, object]:
        """Machine output in SI units (no weights)."""
        c = self.config
        return {
            "wafers": self.wafers, "steps": self.steps, "seed": self.seed, "pe": self.pe,
            "node": self.node, "grid": list(c.grid), "precision": c.precision,
            "model": {"n_layers": c.n_layers, "d_model": c.d_model, "n_heads": c.n_heads,
                      "vocab": c.vocab, "seq_len": c.seq_len, "batch": c.batch,
                      "params": self.params},
            "losses": list(self.losses), "time_s": self.time_s,
            "weight_bytes_per_wafer": self.weight_bytes_per_wafer,
            "gradient_bytes_to_memoryx": self.gradient_bytes_to_memoryx,
            "compute_cycles": self.compute_cycles, "clock_hz": self.clock_hz,
            "stream_Bps": self.stream_Bps,
            "peak_sram_bytes_per_wafer": self.peak_sram_bytes_per_wafer,
            "sram_capacity_bytes_per_wafer": self.sram_capacity_bytes_per_wafer,
            "steps_detail": [
                {"step": a.step, "loss": a.loss, "time_s": a.time_s, "breakdown_s": a.breakdown_s,
                 "weight_bytes_from_memoryx": a.weight_bytes_from_memoryx,
                 "weight_bytes_per_wafer": a.weight_bytes_per_wafer,
                 "gradient_bytes_per_wafer": a.gradient_bytes_per_wafer,
                 "gradient_bytes_to_memoryx": a.gradient_bytes_to_memoryx,
                 "tree_link_bytes": a.tree_link_bytes, "tree_hops": a.tree_hops,
                 "compute_cycles": a.compute_cycles} for a in self.accounts],
        }
