"""One training question, resolved once: what model, on which devices, for how many tokens.

The Python API and the validation rows build a `TrainScenario` (`TrainScenario.of` resolves ids,
the device count, the memory service and the default batch) and hand it to the one dispatch
(`cost/backends.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from wafersim.catalog import Catalog, Framework, MemoryService
from wafersim.catalog.system import System, resolve
from wafersim.cost.train.evaluation import EvalSchedule
from wafersim.cost.train.lora import lora_rank
from wafersim.cost.train.recipe import Recipe
from wafersim.errors import ParameterError
from wafersim.models import ModelSpec, load_model
from wafersim.models.padding import pad_heads
from wafersim.plan import Constraints

DEFAULT_BATCH_TOKENS = 4 * 2**20  # assumption: ~4M tokens per step, as Llama 2 and GPT-3 used


@dataclass(frozen=True)
class DataParallelWire:
    """Bytes per parameter the data-parallel collectives move: gradients reduced, weights gathered
    (ZeRO 1-3); the defaults are Megatron-LM's."""

    grad_reduce_bytes: float = 4.0  # fp32 main gradients (Megatron-LM forces fp32 reduction in bf16)
    param_gather_bytes: float = 2.0  # 16-bit weights (ZeRO all-gather)

    def __post_init__(self) -> None:
        for name in ("grad_reduce_bytes", "param_gather_bytes"):
            if not getattr(self, name) > 0:
                raise ParameterError(name, getattr(self, name), f"{{{name}:g}} must be positive",
                                     allowed="> 0")


@dataclass(frozen=True)
class TrainWorkload:
    """What to train: tokens in total, sequences per optimizer step, sequence length."""

    tokens: float
    global_batch: int
    seq_len: int
    precision: str = "bf16"
    lora_rank: int = 0  # 0: full training; r: LoRA fine-tuning with rank-r adapters
    evaluation: EvalSchedule | None = None  # periodic forward passes over a held-out set
    wire: DataParallelWire = DataParallelWire()  # formats of the data-parallel collectives
    framework: Framework | None = None  # None: the chip's default framework
    recipe: Recipe = Recipe()  # CUDA graphs and expert GEMM path (default: no host launches)

    @property
    def framework_speed(self) -> float:
        """The framework's speed over the chip's default framework (1 for the default)."""
        return 1.0 if self.framework is None else self.framework.speed

    @property
    def host_launch(self) -> tuple[float, float]:
        """(seconds per host kernel launch, launches per per-expert GEMM) of the framework;
        zeros where the recipe launches nothing from the host."""
        if not self.recipe.launches_from_host or self.framework is None:
            return 0.0, 0.0
        return (self.framework.quantity("kernel_launch_s") or 0.0,
                self.framework.quantity("expert_gemm_launches_count") or 0.0)

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
    beyond_context: bool = False  # a sequence past the model's context is allowed (and noted)

    @classmethod
    def of(cls, catalog: Catalog, model: str | ModelSpec, system: str, tokens: float,
           count: int | None = None, global_batch: int | None = None, seq_len: int | None = None,
           precision: str = "bf16", memory_service: str | None = None, *,
           constraints: Constraints | None = None, recompute: str = "auto", sparsity: float = 0.0,
           attention: str = "flash", finetune: str | None = None,
           activations: str | None = None, beyond_context: bool = True,
           pricing: str = "tco", evaluation: EvalSchedule | None = None,
           wire: DataParallelWire | None = None,
           framework: str | None = None, recipe: Recipe | None = None) -> TrainScenario:
        """Resolve ids, the device count, the memory service and the default batch once; the
        keywords are the scenario's remaining fields. A sequence past the model's context is
        noted in the result's assumptions (published runs train past a catalogued context), or
        refused when `beyond_context` is False, as the API and the command line default to.
        `pricing` is the cost basis ("tco" or "rental", `System.priced`); `evaluation` the
        periodic evaluations the run's time includes; `wire` the data-parallel formats (None:
        Megatron-LM's); `framework` the training framework (`engine` or `engine:release`, a
        catalog `Framework`; None: the chip's default framework); `recipe` its CUDA graphs
        and expert GEMM path (None: whole-iteration graphs, grouped expert GEMMs)."""
        spec = load_model(model) if isinstance(model, str) else model
        if constraints is not None and constraints.tp is not None:
            spec = pad_heads(spec, constraints.tp)  # a fixed tp that does not split the heads
        target = resolve(catalog, system).priced(pricing)
        target = target if count is None else target.with_devices(count)
        if memory_service is not None:
            target = replace(target, memory_service=_memory_service(catalog, memory_service,
                                                                    target))
        seq = seq_len or default_seq_len(spec)
        if seq > spec.max_seq_len and not beyond_context:
            raise ParameterError("seq_len", seq, f"{{seq_len}} is past the {spec.max_seq_len:,}-"
                                 f"token context of {spec.id}; lower {{seq_len.flag}} or allow "
                                 "context-extension training with {beyond_context.flag}",
                                 allowed=f"<= {spec.max_seq_len}")
        batch = global_batch or max(target.devices, round(DEFAULT_BATCH_TOKENS / seq))
        fw = _framework(catalog, framework, target)
        work = TrainWorkload(tokens, batch, seq, precision, lora_rank(finetune), evaluation,
                             wire or DataParallelWire(), fw, _recipe(recipe or Recipe(), fw, target))
        _check_one_step(work)
        return cls(spec, target, work, constraints or Constraints(), recompute, sparsity, attention,
                   finetune, default_batch=global_batch is None, activations=activations,
                   beyond_context=seq > spec.max_seq_len)

    def batch_note(self) -> tuple[str, ...]:
        """The default batch, when it was not given, and a sequence past the model's context,
        as assumptions."""
        beyond = (f"sequence of {self.work.seq_len:,} tokens past the {self.model.max_seq_len:,}-"
                  f"token context of {self.model.id}, allowed as context-extension training "
                  "(beyond_context)",) if self.beyond_context else ()
        if not self.default_batch:
            return beyond
        return (f"global batch {self.work.global_batch} sequences of {self.work.seq_len} tokens "
                "(default ~4M tokens per step)", *beyond)


def _framework(catalog: Catalog, framework: str | None, target: System) -> Framework | None:
    """The catalog framework `framework` names; only accelerator clusters run one."""
    if framework is None:
        return None
    if target.chip.wafer is not None:
        raise ParameterError("framework", framework, f"{{framework!r}}: {target.id} trains by "
                             "weight streaming, whose efficiencies are its architecture's; a "
                             "training framework applies to accelerator clusters only (drop "
                             "{framework.flag})", allowed="None on wafer-scale systems")
    return catalog.framework(framework)


def _recipe(recipe: Recipe, fw: Framework | None, target: System) -> Recipe:
    """The recipe, where the framework says what its host launches cost."""
    if not recipe.launches_from_host:
        return recipe
    if target.chip.wafer is not None:
        raise ParameterError("cuda_graphs", recipe.cuda_graphs, f"{{cuda_graphs!r}}: {target.id} "
                             "trains by weight streaming, launching no kernels per layer from a "
                             "host; drop {cuda_graphs.flag}", allowed="full on wafer-scale systems")
    needs = ("kernel_launch_s", *(("expert_gemm_launches_count",)
                                  if recipe.expert_gemm == "per_expert" else ()))
    missing = [n for n in needs if fw is None or fw.quantity(n) is None]
    if missing:
        name = "the chip's default framework" if fw is None else f"framework {fw.id}"
        raise ParameterError("cuda_graphs", recipe.cuda_graphs, f"{{cuda_graphs!r}} needs the "
                             f"host launch cost of {name}, which the catalog does not give "
                             f"({', '.join(missing)}); name a framework that has it (megatron-"
                             "bridge) with {framework.flag}, or leave {cuda_graphs.flag} full",
                             allowed="full", framework=None if fw is None else fw.id)
    return recipe


def _memory_service(catalog: Catalog, memory_service: str, target: System) -> MemoryService:
    """The memory service `memory_service` names; only wafer-scale systems stream from one."""
    if target.chip.wafer is None:
        raise ParameterError("memory_service", memory_service, f"{{memory_service!r}}: "
                             f"{target.id} keeps its weights in device memory; a memory service "
                             "streams weights to wafer-scale systems only (drop "
                             "{memory_service.flag})", allowed="None on accelerator clusters")
    return catalog.typed(memory_service, MemoryService)


def _check_one_step(work: TrainWorkload) -> None:
    """Training covers at least one optimizer step."""
    step = work.global_batch * work.seq_len
    if work.tokens < step:
        raise ParameterError("tokens", work.tokens, f"{{tokens:g}} is fewer than one optimizer "
                             f"step ({work.global_batch:,} sequences x {work.seq_len:,} tokens = "
                             f"{step:,}); train on at least {step:,} tokens or lower "
                             "{global_batch.flag}", allowed=f">= {step}")


def default_seq_len(model: ModelSpec) -> int:
    """The model's context, capped at 8,192 (long contexts are a later training stage)."""
    return min(model.max_seq_len, 8192)
