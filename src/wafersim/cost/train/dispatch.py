"""Training from ids to result: resolve model and system, pick weight streaming or a parallel plan."""

from __future__ import annotations

from dataclasses import replace

from wafersim.catalog import Catalog, MemoryService, load_catalog
from wafersim.catalog.system import System, resolve
from wafersim.cost.train.cluster import train_cluster
from wafersim.cost.train.lora import lora_rank
from wafersim.cost.train.result import TrainResult
from wafersim.cost.train.wafer import Workload, train_wafer
from wafersim.errors import ConfigError, ParameterError, literal
from wafersim.models import ModelSpec, load_model
from wafersim.plan import Constraints

DEFAULT_BATCH_TOKENS = 4 * 2**20  # assumption: ~4M tokens per step, as Llama 2 and GPT-3 used


def default_seq_len(model: ModelSpec) -> int:
    """The model's context, capped at 8,192 (long contexts are a later training stage)."""
    return min(model.max_seq_len, 8192)


def system_for(catalog: Catalog, system_id: str, count: int | None) -> System:
    system = resolve(catalog, system_id)
    return system if count is None else system.with_chips(count)


def train(model: str | ModelSpec, system: str, tokens: float, count: int | None = None,
          global_batch: int | None = None, seq_len: int | None = None, precision: str = "bf16",
          recompute: str = "auto", sparsity: float = 0.0, memory_service: str | None = None,
          catalog: Catalog | None = None, plan: Constraints | None = None,
          attention: str = "flash", finetune: str | None = None) -> TrainResult:
    """Time, throughput, memory, energy and cost of training `model` for `tokens` on `system`.

    On accelerator clusters the fastest feasible parallel plan is searched; `plan` fixes parts
    of it (tp, pp, dp, cp, ep, ZeRO stage, micro-batch, schedule); `recompute` "auto" searches
    none/selective/full. On wafer-scale systems training is weight streaming and `plan` must be
    empty. `attention` is "flash" (fused, no s x s scores kept) or "eager" (pre-2022 Megatron).
    `finetune` "lora-rN" trains rank-N LoRA adapters on a frozen base (clusters only).
    """
    cat = catalog or load_catalog()
    spec = load_model(model) if isinstance(model, str) else model
    target = system_for(cat, system, count)
    if memory_service is not None:
        target = replace(target, memory_service=cat.typed(memory_service, MemoryService))
    seq = seq_len or default_seq_len(spec)
    batch = global_batch or max(target.chips, round(DEFAULT_BATCH_TOKENS / seq))
    work = Workload(tokens=tokens, global_batch=batch, seq_len=seq, precision=precision,
                    lora_rank=lora_rank(finetune))
    if target.chip.device_class == "wafer":
        if work.lora_rank:
            raise ConfigError(f"fine-tuning {finetune!r} is modelled on accelerator clusters only")
        if plan is not None and plan != Constraints():
            raise ParameterError("plan", plan, f"{literal(target.id)} trains by weight streaming; "
                                 "{tp.flag}/{pp.flag}/{dp.flag}/{cp.flag}/{ep.flag}/{zero.flag}/"
                                 "{micro_batch.flag}/{schedule.flag} apply to accelerator "
                                 "clusters only", allowed="no fixed parts on wafer-scale systems")
        result = train_wafer(spec, target, work, sparsity=sparsity, recompute=recompute)
    else:
        if sparsity:
            raise ParameterError("sparsity", sparsity, "{sparsity} applies to wafer-scale systems "
                                 "only", allowed="0 on accelerator clusters")
        fixed = replace(plan or Constraints(), recompute=None if recompute == "auto" else recompute)
        result = train_cluster(spec, target, work, fixed, attention)
    if global_batch is None:
        note = f"global batch {batch} sequences of {seq} tokens (default ~4M tokens per step)"
        result = _with_note(result, note)
    return result


def _with_note(result: TrainResult, note: str) -> TrainResult:
    return replace(result, assumptions=(note, *result.assumptions))
