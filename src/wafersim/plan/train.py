"""A parallel training plan, one at a time (`Plan`) or many at once (`PlanSpace`).

The devices of a cluster are factored as tp x cp x dp x pp (Megatron-LM rank order: tensor
parallel innermost, then context parallel, then data parallel, pipeline outermost); expert
parallelism (ep) splits the experts of MoE layers across ep of the dp x cp ranks. ZeRO stages
follow Rajbhandari et al. 2020: 1 shards optimizer state, 2 also gradients, 3 also weights.
Schedules: 1F1B (Narayanan et al. 2021, PipeDream-Flush) and interleaved 1F1B with `v` model
chunks per stage (Narayanan et al. 2021, Sec. 2.2.2). MoE plans may overlap the expert all-to-all
of one micro-batch with the compute of another (`overlap`: DualPipe, DeepSeek-AI 2024, Sec. 3.2).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from wafersim.models.spec import RECOMPUTE
from wafersim.xp import Whole

IntArray = npt.NDArray[np.int64]
SCHEDULES = ("1f1b", "interleaved")
# where a weight-streaming micro-batch keeps the activations its backward pass needs: the wafer's
# SRAM (documented), or off-wafer memory reached over the system I/O (activation servers)
ACTIVATIONS = ("sram", "offload")


@dataclass(frozen=True)
class Plan:
    """One way to lay a training step out on a cluster."""

    tp: int = 1  # tensor parallel (Megatron, with sequence parallelism when tp > 1)
    pp: int = 1  # pipeline stages
    dp: int = 1  # data parallel replicas
    cp: int = 1  # context parallel (sequence split across ranks, ring attention)
    ep: int = 1  # expert parallel (MoE experts split across data-parallel ranks)
    zero: int = 0  # ZeRO / FSDP stage 0-3
    recompute: str = "none"  # activation recompute: none, selective, full
    micro_batch: int = 1  # sequences per micro-batch per data-parallel rank
    v: int = 1  # model chunks per pipeline stage (1: 1F1B; > 1: interleaved)
    overlap: int = 0  # MoE: 1 hides expert all-to-all behind another micro-batch's compute

    @property
    def devices(self) -> int:
        return self.tp * self.pp * self.dp * self.cp

    @property
    def schedule(self) -> str:
        return "interleaved" if self.v > 1 else "1f1b"

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)} | {"schedule": self.schedule}

    def __str__(self) -> str:
        parts = [f"tp{self.tp}", f"pp{self.pp}", f"dp{self.dp}"]
        parts += [f"cp{self.cp}"] if self.cp > 1 else []
        parts += [f"ep{self.ep}"] if self.ep > 1 else []
        parts += [f"zero{self.zero}", f"mb{self.micro_batch}", f"rc:{self.recompute}"]
        parts += [f"v{self.v}"] if self.v > 1 else []
        return " ".join(parts + (["ovl1"] if self.overlap else []))


@dataclass(frozen=True)
class Constraints:
    """Parts of a plan the user fixed (None: search over it)."""

    tp: int | None = None
    pp: int | None = None
    dp: int | None = None
    cp: int | None = None
    ep: int | None = None
    zero: int | None = None
    recompute: str | None = None
    micro_batch: int | None = None
    schedule: str | None = None  # 1f1b or interleaved
    v: int | None = None
    overlap: int | None = None  # 0 or 1 (MoE with ep > 1)


@dataclass(frozen=True)
class PlanSpace:
    """Many plans as parallel integer arrays (recompute as an index into RECOMPUTE), or one plan
    as Python ints (`one`): the cost formulas take either."""

    tp: Whole
    pp: Whole
    dp: Whole
    cp: Whole
    ep: Whole
    zero: Whole
    recompute: Whole
    micro_batch: Whole
    v: Whole
    overlap: Whole

    def __len__(self) -> int:
        return int(np.size(self.tp))

    def take(self, index: IntArray | npt.NDArray[np.bool_]) -> PlanSpace:
        """The plans at `index` (integer positions or a boolean mask)."""
        return PlanSpace(**{f.name: np.asarray(getattr(self, f.name))[index] for f in fields(self)})

    def _row(self, i: int) -> list[int]:
        """Plan number `i` as ints, in field order."""
        return [_at(v, i) for v in (self.tp, self.pp, self.dp, self.cp, self.ep, self.zero,
                                    self.recompute, self.micro_batch, self.v, self.overlap)]

    def one(self, i: int) -> PlanSpace:
        """Plan number `i` alone, its parts as Python ints (costed without numpy arrays)."""
        return PlanSpace(*self._row(i))

    def plan(self, i: int) -> Plan:
        """Plan number `i` as a `Plan`."""
        tp, pp, dp, cp, ep, zero, recompute, micro_batch, v, overlap = self._row(i)
        return Plan(tp, pp, dp, cp, ep, zero, RECOMPUTE[recompute], micro_batch, v, overlap)


def _at(v: Whole, i: int) -> int:
    return v if isinstance(v, int) else int(v[i])


@dataclass(frozen=True)
class ParallelPlan:
    """The plan a cluster trains with: its layout, micro-batches per step, formats and attention."""

    kind: ClassVar[str] = "parallel"
    layout: Plan
    micro_batches: int  # per step and pipeline
    precision: str
    attention: str  # flash or eager

    @property
    def recompute(self) -> str:
        return self.layout.recompute

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, **self.layout.to_json(), "micro_batches": self.micro_batches,
                "precision": self.precision, "attention": self.attention}


@dataclass(frozen=True)
class StreamingPlan:
    """Weight streaming: every system takes its share of the batch in micro-batches sized by
    where their activations live (`activations`: one of ACTIVATIONS)."""

    kind: ClassVar[str] = "weight_streaming"
    systems: int
    sequences_per_system: int
    micro_batch: float  # sequences per micro-batch, per system (an even share: may be fractional)
    micro_batches: int
    recompute: str
    weight_sparsity: float
    precision: str
    memory_service: str | None  # MemoryX part id
    activations: str = "sram"
    micro_batch_cap: int = 0  # most sequences the activations' home admits per micro-batch

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "systems": self.systems,
                "sequences_per_system": self.sequences_per_system, "micro_batch": self.micro_batch,
                "micro_batches": self.micro_batches, "recompute": self.recompute,
                "activations": self.activations, "micro_batch_cap": self.micro_batch_cap,
                "weight_sparsity": self.weight_sparsity, "precision": self.precision,
                "memory_service": self.memory_service}


TrainPlan = ParallelPlan | StreamingPlan
