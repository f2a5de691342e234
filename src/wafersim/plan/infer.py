"""A serving plan, one at a time: typed, frozen, with the JSON view results print.

Three kinds, one per way a system serves: `HbmPlan` (tensor/pipeline/expert parallel replicas
on accelerators with HBM), `WaferPlan` (an SRAM-resident layer pipeline over wafers) and
`DisaggregatedPlan` (prompts on one pool of devices, decoding on another). `InferConstraints`
are the degrees a user fixed; the plan grid (`plan/infer_grid.py`) searches the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from wafersim.errors import ParameterError


@dataclass(frozen=True)
class InferConstraints:
    """Parallel degrees of an HBM serving plan the user fixed (None: search over it)."""

    tp: int | None = None
    pp: int | None = None
    ep: int | None = None
    attention_dp: int | None = None  # data-parallel attention replicas per tensor group

    def given(self) -> dict[str, int]:
        """The degrees that are fixed, by parameter name."""
        return {k: v for k, v in vars(self).items() if v is not None}


@dataclass(frozen=True)
class Speculation:
    """Speculative decoding as planned: the draft, its acceptance rate and tokens per step."""

    draft: str  # a model id, or "mtp" (the model's own multi-token-prediction module)
    acceptance: float
    lookahead: int
    tokens_per_step: float

    def to_json(self) -> dict[str, Any]:
        return {"draft": self.draft, "acceptance": self.acceptance, "lookahead": self.lookahead,
                "tokens_per_step": self.tokens_per_step}


@dataclass(frozen=True)
class Formats:
    """Number formats of the weights and the KV cache."""

    precision: str
    kv_precision: str


@dataclass(frozen=True)
class Degrees:
    """Parallel degrees of one HBM replica and the replicas filling the devices."""

    tp: int
    pp: int
    ep: int
    replicas: int
    attention_dp: int = 1

    @property
    def devices_per_replica(self) -> int:
        return self.tp * self.pp

    @property
    def schedulers(self) -> int:
        """Independent batch schedulers: replicas x data-parallel attention ranks."""
        return self.replicas * self.attention_dp

    def to_json(self) -> dict[str, Any]:
        out = {"tp": self.tp, "pp": self.pp, "ep": self.ep, "replicas": self.replicas}
        return out | ({"attention_dp": self.attention_dp} if self.attention_dp > 1 else {})


@dataclass(frozen=True)
class HbmPlan:
    """Replicas of a tensor/pipeline/expert parallel split, weights and KV cache in HBM."""

    kind: ClassVar[str] = "hbm"
    degrees: Degrees
    per_replica_batch: int
    formats: Formats
    speculation: Speculation | None = None

    @property
    def devices(self) -> int:
        return self.degrees.devices_per_replica * self.degrees.replicas

    @property
    def replicas(self) -> int:
        return self.degrees.replicas

    def to_json(self) -> dict[str, Any]:
        out = self.degrees.to_json() | {"kind": self.kind, "per_replica_batch": self.per_replica_batch,
                                        "precision": self.formats.precision,
                                        "kv_precision": self.formats.kv_precision}
        return out | _speculation(self.speculation)


class Replicated:
    """Replicas of a pipeline of wafers: the wafers (devices) they occupy."""

    pipeline_wafers: int
    replicas: int

    @property
    def wafers(self) -> int:
        """Wafers occupied: every replica's pipeline."""
        return self.pipeline_wafers * self.replicas

    @property
    def devices(self) -> int:
        return self.wafers


@dataclass(frozen=True)
class WaferPlan(Replicated):
    """Every layer a pipeline stage, the layers spread over `pipeline_wafers`, weights in SRAM;
    `replicas` copies of that pipeline serve side by side.

    `pe_share` < 1 when several models are resident together: this model's layers hold that
    share of each pipeline's PEs (and their SRAM).
    """

    kind: ClassVar[str] = "sram_resident"
    pipeline_wafers: int
    replicas: int
    per_replica_batch: int
    layers_per_wafer: float
    pipeline_stages: int
    micro_batches: int  # micro-batches in flight through one pipeline
    micro_batch: float  # requests per micro-batch
    copies_per_wafer: int  # model + one request's KV cache copies one wafer's SRAM holds
    formats: Formats
    speculation: Speculation | None = None
    idle_wafers: int = 0  # wafers given but left out: fewer than a whole pipeline
    pe_share: float = 1.0

    def __post_init__(self) -> None:
        assert self.pipeline_wafers >= 1 and self.replicas >= 1 and 0 < self.pe_share <= 1

    def to_json(self) -> dict[str, Any]:
        out = {"kind": self.kind, "wafers": self.wafers, "pipeline_wafers": self.pipeline_wafers,
               "replicas": self.replicas, "idle_wafers": self.idle_wafers,
               "per_replica_batch": self.per_replica_batch,
               "layers_per_wafer": self.layers_per_wafer,
               "pipeline_stages": self.pipeline_stages, "micro_batches": self.micro_batches,
               "micro_batch": self.micro_batch, "copies_per_wafer": self.copies_per_wafer,
               "precision": self.formats.precision, "kv_precision": self.formats.kv_precision}
        out |= {"pe_share": self.pe_share} if self.pe_share < 1 else {}
        return out | _speculation(self.speculation)


@dataclass(frozen=True)
class CoResidentPlan(Replicated):
    """Several models resident together on each pipeline of `pipeline_wafers` wafers, each on its
    own share of the PEs (by its bytes); `replicas` copies of the whole set."""

    kind: ClassVar[str] = "co_resident"
    pipeline_wafers: int
    replicas: int
    idle_wafers: int
    models: tuple[WaferPlan, ...]
    model_ids: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "wafers": self.wafers, "pipeline_wafers": self.pipeline_wafers,
                "replicas": self.replicas, "idle_wafers": self.idle_wafers,
                "pe_shares": {m: p.pe_share for m, p in zip(self.model_ids, self.models,
                                                           strict=True)}}


@dataclass(frozen=True)
class PrefillPlan:
    """The prefill pool's degrees and the prompt batch it runs at its rate."""

    degrees: Degrees
    prompt_batch: int  # prompts prefilled together, whole pool
    prompts_per_s: float

    def to_json(self) -> dict[str, Any]:
        return self.degrees.to_json() | {"prompt_batch": self.prompt_batch,
                                         "prompts_per_s": self.prompts_per_s}


@dataclass(frozen=True)
class DisaggregatedPlan:
    """Prompts prefilled on `prefill_devices`, decoded on `decode_devices`, KV cache shipped."""

    kind: ClassVar[str] = "disaggregated"
    prefill_devices: int
    decode_devices: int
    prefill: PrefillPlan
    decode: HbmPlan

    @property
    def devices(self) -> int:
        return self.prefill_devices + self.decode_devices

    @property
    def replicas(self) -> int:
        """Replicas of the decode pool (those whose requests a user sees decoding)."""
        return self.decode.replicas

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "prefill_devices": self.prefill_devices,
                "decode_devices": self.decode_devices, "prefill": self.prefill.to_json(),
                "decode": self.decode.to_json()}


@dataclass(frozen=True)
class Split:
    """Devices given to prompts (prefill) and to decoding."""

    prefill_devices: int
    decode_devices: int

    def __post_init__(self) -> None:
        if self.prefill_devices < 1 or self.decode_devices < 1:
            raise ParameterError("disaggregate", self, "{disaggregate}: each pool needs at least 1 "
                                 "device; write PREFILL:DECODE, e.g. 16:16",
                                 allowed="PREFILL:DECODE, each at least 1")

    def __str__(self) -> str:
        return f"{self.prefill_devices}:{self.decode_devices}"

    @property
    def devices(self) -> int:
        return self.prefill_devices + self.decode_devices

    @classmethod
    def parse(cls, text: str) -> Split:
        """'16:16' -> Split(16, 16)."""
        p, sep, d = text.partition(":")
        if not sep or not p.strip().isdigit() or not d.strip().isdigit():
            raise ParameterError("disaggregate", repr(text), "{disaggregate} is not PREFILL:DECODE "
                                 "device counts; write e.g. 16:16", allowed="PREFILL:DECODE")
        return cls(int(p), int(d))


def split_for(disaggregate: str | Split, count: int | None) -> Split:
    """The split `disaggregate` names, checked against a device `count` if one is given."""
    split = disaggregate if isinstance(disaggregate, Split) else Split.parse(disaggregate)
    if count is not None and count != split.devices:
        raise ParameterError("count", count, f"{{count}} differs from {{disaggregate}} "
                             f"({split.devices} devices); drop {{count.flag}} or make them agree",
                             allowed=f"{split.devices} or None", disaggregate=split)
    return split



InferPlan = HbmPlan | WaferPlan | DisaggregatedPlan


def _speculation(spec: Speculation | None) -> dict[str, Any]:
    return {} if spec is None else {"speculative": spec.to_json()}
