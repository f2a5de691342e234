"""`InferResult`: one serving point evaluated end to end, its breakdowns checked to add up."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from wafersim.catalog.system import System
from wafersim.cost.infer.common import Serving
from wafersim.cost.kernels.economics import serving_economics
from wafersim.models.padding import padded_heads_json, padding_note
from wafersim.models.spec import ModelSpec
from wafersim.plan.infer import CoResidentPlan, InferPlan


def _check(parts: dict[str, float], total: float, what: str) -> None:
    s = sum(parts.values())
    assert math.isclose(s, total, rel_tol=1e-9, abs_tol=1e-15), f"{what} breakdown {s} != {total}"


@dataclass(frozen=True)
class InferResult:
    """Latency, throughput, capacity, energy and cost of serving a model (SI units).

    `batch` is the number of requests in flight on the whole system (all replicas);
    `decode_breakdown` sums to `tpot_s`, `prefill_breakdown` to `ttft_s`.
    """

    model: str
    system: str
    devices: int
    batch: int
    ttft_s: float
    tpot_s: float
    throughput_tokens_per_s: float  # output tokens/s of the whole system
    max_batch: int  # requests in flight that fit (weights + KV cache at full context)
    memory_bytes_per_device: float
    energy_per_token_J: float | None  # None: the system's power is not in the catalog
    usd_per_million_tokens: float | None
    plan: InferPlan
    decode_breakdown: dict[str, float]
    prefill_breakdown: dict[str, float]
    assumptions: tuple[str, ...] = ()
    memory: dict[str, float] = field(default_factory=dict)  # per device, bytes
    cost_basis: str = "tco"  # what $ per million tokens pays for: owning ("tco") or renting
    padded_heads: dict[str, int] | None = None  # heads padded for the tensor degree (None: none)

    def __post_init__(self) -> None:
        _check(self.decode_breakdown, self.tpot_s, "decode")
        _check(self.prefill_breakdown, self.ttft_s, "prefill")
        assert self.batch >= 1 and self.devices >= 1

    @property
    def user_tokens_per_s(self) -> float:
        """Output tokens/s one user sees while decoding."""
        return 1.0 / self.tpot_s

    def to_json(self) -> dict[str, Any]:
        """The stable machine view (SI units)."""
        return {
            "model": self.model, "system": self.system, "batch": self.batch,
            "ttft_s": self.ttft_s, "tpot_s": self.tpot_s,
            "user_tokens_per_s": self.user_tokens_per_s,
            "throughput_tokens_per_s": self.throughput_tokens_per_s,
            "max_batch": self.max_batch, "devices": self.devices, "replicas": self.plan.replicas,
            "memory_bytes_per_device": self.memory_bytes_per_device,
            "energy_per_token_J": self.energy_per_token_J,
            "usd_per_million_tokens": self.usd_per_million_tokens, "cost_basis": self.cost_basis,
            "plan": self.plan.to_json(), "decode_breakdown": dict(self.decode_breakdown),
            "prefill_breakdown": dict(self.prefill_breakdown), "memory": dict(self.memory),
            "assumptions": list(self.assumptions),
        } | ({"padded_heads": dict(self.padded_heads)} if self.padded_heads else {})


def assemble(model: ModelSpec, system: System, serving: Serving, batch: int, devices: int,
             tpot: dict[str, float], ttft: dict[str, float], max_batch: int,
             memory: dict[str, float], plan: InferPlan, notes: tuple[str, ...]) -> InferResult:
    """Throughput, energy and cost of one point, as a frozen result."""
    tpot_s, ttft_s = sum(tpot.values()), sum(ttft.values())
    out = serving.output_tokens
    wall = serving.wall_s(ttft_s, tpot_s)
    eco = serving_economics(system, wall)
    tokens = batch * out
    energy, usd = eco.per_token(tokens)
    per_device = memory.get("weights", 0.0) + memory.get("kv_cache", 0.0)
    return InferResult(model=model.id, system=system.id, devices=devices, batch=batch,
                       ttft_s=ttft_s, tpot_s=tpot_s, throughput_tokens_per_s=tokens / wall,
                       max_batch=max_batch, memory_bytes_per_device=per_device,
                       energy_per_token_J=energy, usd_per_million_tokens=usd,
                       plan=plan, decode_breakdown=tpot, prefill_breakdown=ttft,
                       assumptions=tuple(notes) + padding_note(model) + eco.assumptions + (
                           f"{serving.input_tokens} prompt and {serving.output_tokens} output "
                           "tokens per request",) + DECODE_ONLY * serving.decode_only, memory=memory,
                       cost_basis=eco.basis, padded_heads=padded_heads_json(model))


DECODE_ONLY = ("decode pool of a disaggregated system: prompts are prefilled elsewhere, so "
               "throughput = requests in flight x output tokens / (output tokens x TPOT)",)


@dataclass(frozen=True)
class CoResidentResult:
    """Several models served resident together on one set of wafers: each model's own result
    (its share of the PEs, its queue and figures) and the shared totals (SI units).

    Each model's energy and cost per token carry its PE share of the wafers' power and cost, so
    the total energy rate is the sum of the models' (`energy_per_token_J` x tokens/s).
    """

    system: str
    devices: int  # wafers occupied, every replica of the set
    plan: CoResidentPlan
    models: tuple[InferResult, ...]
    memory: dict[str, float]  # per wafer: weights, kv_cache, usable (bytes)
    assumptions: tuple[str, ...] = ()

    @property
    def throughput_tokens_per_s(self) -> float:
        return sum(m.throughput_tokens_per_s for m in self.models)

    @property
    def energy_per_token_J(self) -> float | None:
        return self._per_token([m.energy_per_token_J for m in self.models])

    @property
    def usd_per_million_tokens(self) -> float | None:
        return self._per_token([m.usd_per_million_tokens for m in self.models])

    def _per_token(self, figures: list[float | None]) -> float | None:
        """The models' per-token figures weighted by their throughput; unknown if any is."""
        known = [f for f in figures if f is not None]
        if len(known) < len(figures):
            return None
        return sum(f * m.throughput_tokens_per_s for f, m in zip(known, self.models, strict=True)
                   ) / self.throughput_tokens_per_s

    def to_json(self) -> dict[str, Any]:
        return {"system": self.system, "devices": self.devices, "replicas": self.plan.replicas,
                "pipeline_wafers": self.plan.pipeline_wafers,
                "idle_wafers": self.plan.idle_wafers,
                "throughput_tokens_per_s": self.throughput_tokens_per_s,
                "energy_per_token_J": self.energy_per_token_J,
                "usd_per_million_tokens": self.usd_per_million_tokens,
                "cost_basis": self.models[0].cost_basis if self.models else None,
                "memory": dict(self.memory), "plan": self.plan.to_json(),
                "models": [m.to_json() for m in self.models],
                "assumptions": list(self.assumptions)}
