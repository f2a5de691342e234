"""One training question, resolved once: what model, on which devices, for how many tokens.

The Python API and the validation rows build a `TrainScenario` (`TrainScenario.of` resolves ids,
the device count, the memory service and the default batch) and hand it to the one dispatch
(`cost/backends.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from wafersim.catalog import Catalog, MemoryService
from wafersim.catalog.system import System, resolve
from wafersim.cost.train.lora import lora_rank
from wafersim.errors import ParameterError
from wafersim.models import ModelSpec, load_model
from wafersim.plan import Constraints

DEFAULT_BATCH_TOKENS = 4 * 2**20  # assumption: ~4M tokens per step, as Llama 2 and GPT-3 used


@dataclass(frozen=True)
class TrainWorkload:
    """What to train: tokens in total, sequences per optimizer step, sequence length."""

    tokens: float
    global_batch: int
    seq_len: int
    precision: str = "bf16"
    lora_rank: int = 0  # 0: full training; r: LoRA fine-tuning with rank-r adapters

    def __post_init__(self) -> None:
        for name, value in (("tokens", self.tokens), ("global_batch", self.global_batch),
                            ("seq_len", self.seq_len)):
            if not value > 0:
                raise ParameterError(name, value, f"{{{name}:g}} must be positive", allowed="> 0")


@dataclass(frozen=True)
class TrainScenario:
    """A model trained on a system: the workload, the plan parts fixed, and the options."""

    model: ModelSpec
    system: System
    work: TrainWorkload
    constraints: Constraints = field(default_factory=Constraints)
    recompute: str = "auto"  # none, selective, full, or auto (searched)
    sparsity: float = 0.0  # weight sparsity (wafer-scale systems)
    attention: str = "flash"  # flash (fused) or eager (scores kept)
    finetune: str | None = None  # "lora-rN" or None
    default_batch: bool = False  # the global batch is the ~4M-token default
    activations: str | None = None  # wafers: sram (default, documented), offload, auto (faster)

    @classmethod
    def of(cls, catalog: Catalog, model: str | ModelSpec, system: str, tokens: float,
           count: int | None = None, global_batch: int | None = None, seq_len: int | None = None,
           precision: str = "bf16", memory_service: str | None = None, *,
           constraints: Constraints | None = None, recompute: str = "auto", sparsity: float = 0.0,
           attention: str = "flash", finetune: str | None = None,
           activations: str | None = None) -> TrainScenario:
        """Resolve ids, the device count, the memory service and the default batch once; the
        keywords are the scenario's remaining fields."""
        spec = load_model(model) if isinstance(model, str) else model
        target = resolve(catalog, system)
        target = target if count is None else target.with_devices(count)
        if memory_service is not None:
            target = replace(target, memory_service=catalog.typed(memory_service, MemoryService))
        seq = seq_len or default_seq_len(spec)
        batch = global_batch or max(target.devices, round(DEFAULT_BATCH_TOKENS / seq))
        work = TrainWorkload(tokens, batch, seq, precision, lora_rank(finetune))
        return cls(spec, target, work, constraints or Constraints(), recompute, sparsity, attention,
                   finetune, default_batch=global_batch is None, activations=activations)

    def batch_note(self) -> tuple[str, ...]:
        """The default batch as an assumption, when it was not given."""
        if not self.default_batch:
            return ()
        return (f"global batch {self.work.global_batch} sequences of {self.work.seq_len} tokens "
                "(default ~4M tokens per step)",)


def default_seq_len(model: ModelSpec) -> int:
    """The model's context, capped at 8,192 (long contexts are a later training stage)."""
    return min(model.max_seq_len, 8192)
