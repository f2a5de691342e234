"""One serving question, resolved once: what model, on which devices, under which constraints.

The Python API, the validation rows and the serving simulator all build a `InferScenario` and hand it
to the one dispatch (`cost/backends.py`); a backend reads it and never re-resolves ids or counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from wafersim.catalog.system import System
from wafersim.cost.infer.common import SelfDraft, Serving
from wafersim.cost.infer.wafer import Speculative
from wafersim.errors import ParameterError
from wafersim.models.padding import pad_heads
from wafersim.models.spec import ModelSpec
from wafersim.plan.infer import Formats, InferConstraints, Speculation, Split, split_for

Drafting = Speculative | SelfDraft | None


@dataclass(frozen=True)
class InferScenario:
    """A model served on a system: the request shape, the plan constraints, drafting and SLO.

    `system` carries the device count the user fixed (`count`), or the catalogued one when
    `count` is None; with `split` the devices are two pools (prefill, decode). On wafers
    `pipeline_wafers` fixes the length of one pipeline (`count` stays the total).
    """

    model: ModelSpec
    system: System
    serving: Serving = field(default_factory=Serving)
    count: int | None = None  # devices the user fixed; None: the backend chooses
    constraints: InferConstraints = field(default_factory=InferConstraints)
    drafting: Drafting = None
    tpot_slo_s: float | None = None
    split: Split | None = None
    pipeline_wafers: int | None = None  # wafers one pipeline spans, fixed; None: the fewest

    def __post_init__(self) -> None:
        if self.pipeline_wafers is not None and self.pipeline_wafers < 1:
            raise ParameterError("pipeline_wafers", self.pipeline_wafers, "{pipeline_wafers} must "
                                 "be at least 1 wafer", allowed=">= 1")
        if self.tpot_slo_s is not None and not self.tpot_slo_s > 0:
            raise ParameterError("tpot_slo_s", self.tpot_slo_s, "{tpot_slo_s:g} s must be positive",
                                 allowed="> 0")
        if isinstance(self.drafting, Speculative):
            check_draft(self.model, self.drafting.draft)

    @classmethod
    def of(cls, model: ModelSpec, system: System, serving: Serving | None = None,
           count: int | None = None, constraints: InferConstraints | None = None,
           drafting: Drafting = None, tpot_slo_s: float | None = None,
           disaggregate: str | Split | None = None,
           pipeline_wafers: int | None = None) -> InferScenario:
        """Resolve the device count once: `count`, or the devices of a `disaggregate` split."""
        split = None if disaggregate is None else split_for(disaggregate, count)
        devices = split.devices if split is not None else count
        target = system if devices is None else system.with_devices(devices)
        model = _padded(model, constraints)
        return cls(model, target, serving or Serving(), devices, constraints or InferConstraints(),
                   drafting, tpot_slo_s, split, pipeline_wafers)

    def with_serving(self, **changes: Any) -> InferScenario:
        """The same scenario with parts of the request shape changed (`Serving` fields)."""
        return replace(self, serving=replace(self.serving, **changes))

    @property
    def formats(self) -> Formats:
        """Number formats of the weights and the KV cache."""
        return Formats(self.serving.precision, self.serving.kv_precision)

    def on(self, devices: int) -> InferScenario:
        """The same scenario on `devices` devices of the same system, no split."""
        return replace(self, system=self.system.with_devices(devices), count=devices, split=None)


def _padded(model: ModelSpec, constraints: InferConstraints | None) -> ModelSpec:
    """The model with its heads padded for a fixed tensor degree that does not split them
    (per attention replica with data-parallel attention); the model itself otherwise."""
    tp, ad = (constraints.tp, constraints.attention_dp or 1) if constraints else (None, 1)
    if tp is None or ad < 1 or tp % ad:
        return model  # no fixed degree, or one the plan checks refuse with their own message
    return pad_heads(model, tp // ad)


def check_context(model: ModelSpec, input_tokens: int, output_tokens: int) -> None:
    """A request's prompt and output fit the model's context."""
    if input_tokens + output_tokens > model.max_seq_len:
        raise ParameterError("input_tokens", input_tokens, f"{{input_tokens}} plus "
                             f"{{output_tokens}} is past the {model.max_seq_len:,}-token context "
                             f"of {model.id}; lower them, or give a config.json whose "
                             "max_position_embeddings is longer",
                             allowed=f"<= {model.max_seq_len} - output_tokens",
                             output_tokens=output_tokens)


def check_draft(model: ModelSpec, draft: ModelSpec) -> None:
    """A draft model is smaller than the model it drafts for."""
    if draft.params_total >= model.params_total:
        raise ParameterError("draft", draft.id, f"{{draft!r}} ({draft.params_total / 1e9:.3g}B "
                             f"parameters) is not smaller than {model.id} "
                             f"({model.params_total / 1e9:.3g}B); a draft must be a smaller, "
                             "faster model", allowed=f"a model under {model.params_total} params")


def check_batches(batches: list[int]) -> None:
    """A batch is at least one request."""
    if any(b < 1 for b in batches):
        raise ParameterError("batch", min(batches), "{batch} must be at least 1 request",
                             allowed=">= 1")


def speculation_of(drafting: Drafting) -> Speculation | None:
    """Drafting as a plan states it: the draft (a model id, or mtp), acceptance, tokens per step."""
    if drafting is None:
        return None
    draft = drafting.draft.id if isinstance(drafting, Speculative) else "mtp"
    return Speculation(draft, drafting.acceptance, drafting.lookahead, drafting.tokens_per_step)
