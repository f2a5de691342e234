"""The Python API: one call per question, each returning a frozen result."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from wafersim.catalog import Catalog, MemoryService, load_catalog
from wafersim.catalog.system import System, resolve
from wafersim.cost.infer import devices_needed, serve
from wafersim.cost.infer_common import Serving
from wafersim.cost.infer_result import InferResult
from wafersim.cost.infer_wafer import Speculative
from wafersim.cost.result import TrainResult
from wafersim.cost.wafer_train import Workload, train_wafer
from wafersim.errors import ConfigError, InfeasiblePlan, one_line
from wafersim.models import ModelSpec, load_model

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
          catalog: Catalog | None = None) -> TrainResult:
    """Time, throughput, memory, energy and cost of training `model` for `tokens` on `system`."""
    cat = catalog or load_catalog()
    spec = load_model(model) if isinstance(model, str) else model
    target = system_for(cat, system, count)
    if memory_service is not None:
        target = replace(target, memory_service=cat.typed(memory_service, MemoryService))
    seq = seq_len or default_seq_len(spec)
    batch = global_batch or max(target.chips, round(DEFAULT_BATCH_TOKENS / seq))
    work = Workload(tokens=tokens, global_batch=batch, seq_len=seq, precision=precision)
    if target.chip.device_class != "wafer":
        raise ConfigError(f"training on {target.chip.device_class} clusters ({target.id}) is not "
                          "modelled yet; wafer-scale systems (cs-2, cs-3 and their clusters) are")
    result = train_wafer(spec, target, work, sparsity=sparsity, recompute=recompute)
    if global_batch is None:
        note = f"global batch {batch} sequences of {seq} tokens (default ~4M tokens per step)"
        result = _with_note(result, note)
    return result


def _with_note(result: TrainResult, note: str) -> TrainResult:
    return replace(result, assumptions=(note, *result.assumptions))


def _model(spec: str | ModelSpec) -> ModelSpec:
    return load_model(spec) if isinstance(spec, str) else spec


def infer(model: str | ModelSpec, system: str, batch: int = 1, input_tokens: int = 1024,
          output_tokens: int = 1024, precision: str = "bf16", kv_precision: str = "bf16",
          count: int | None = None, tp: int | None = None, pp: int | None = None,
          ep: int | None = None, draft: str | ModelSpec | None = None, acceptance: float = 0.8,
          lookahead: int = 4, max_throughput: bool = False, tpot_slo_s: float | None = None,
          catalog: Catalog | None = None) -> InferResult:
    """Latency, throughput, capacity, energy and cost of serving `model` on `system`.

    `batch` is the number of requests in flight on the whole system. With `max_throughput` the
    batch (and plan) giving the most output tokens/s under `tpot_slo_s` is searched instead.
    Raises InfeasiblePlan when the model does not fit (the message says how many devices it needs).
    """
    cat = catalog or load_catalog()
    spec = _model(model)
    serving = Serving(input_tokens, output_tokens, precision, kv_precision)
    target = resolve(cat, system)
    speculative = None if draft is None else Speculative(_model(draft), acceptance, lookahead)
    results = serve(spec, target, serving, [batch], {"tp": tp, "pp": pp, "ep": ep}, count,
                    speculative, tpot_slo_s, search=max_throughput)
    return results[0]


COMPARE_SYSTEMS = ("cs-3", "dgx-h100", "dgx-b200", "gb200-nvl72", "trn2-ultraserver", "atlas-800t-a2")
ColumnFn = Callable[[ModelSpec, str, Catalog], dict[str, Any]]


def _serving_columns(spec: ModelSpec, system: str, cat: Catalog) -> dict[str, Any]:
    """Speed per user at batch 1 and the max-throughput point, on the fewest devices that fit."""
    count = _count_that_fits(spec, system, cat)
    one = infer(spec, system, batch=1, count=count, catalog=cat)
    best = infer(spec, system, count=count, max_throughput=True, catalog=cat)
    return {"devices": best.devices, "user_tokens_per_s": one.user_tokens_per_s,
            "ttft_s": one.ttft_s, "max_throughput_tokens_per_s": best.throughput_tokens_per_s,
            "max_throughput_batch": best.batch,
            "user_tokens_per_s_at_max": best.user_tokens_per_s,
            "usd_per_million_tokens": best.usd_per_million_tokens,
            "energy_per_token_J": best.energy_per_token_J}


def _count_that_fits(spec: ModelSpec, system: str, cat: Catalog) -> int | None:
    """None when the system as catalogued holds the model, else whole nodes that hold it."""
    target = resolve(cat, system)
    if target.chip.device_class == "wafer":
        return None
    serving = Serving()
    need = devices_needed(spec, target, serving)
    if need <= target.chips:
        return None
    per_node = target.chips_per_node
    return max(target.chips, math.ceil(need / per_node) * per_node)


# Column groups of `compare`, by name: each takes (model, system id, catalog) and returns columns.
# Training time, energy and cost can join as another entry.
COMPARE_COLUMNS: dict[str, ColumnFn] = {"serving": _serving_columns}


@dataclass(frozen=True)
class CompareRow:
    """One system's columns in a comparison, or why it could not run the model."""

    system: str
    columns: dict[str, Any]
    error: str | None = None


def compare(model: str | ModelSpec, systems: Sequence[str] | None = None,
            groups: Sequence[str] = ("serving",), catalog: Catalog | None = None) -> list[CompareRow]:
    """One row per system with each column group of COMPARE_COLUMNS evaluated for `model`."""
    cat = catalog or load_catalog()
    spec = _model(model)
    rows = []
    for system in systems or COMPARE_SYSTEMS:
        resolve(cat, system)  # an unknown id is the user's mistake, not a row
        columns: dict[str, Any] = {}
        try:
            for group in groups:
                columns |= COMPARE_COLUMNS[group](spec, system, cat)
            rows.append(CompareRow(system, columns))
        except (InfeasiblePlan, ConfigError) as exc:  # this system cannot serve it: say why
            rows.append(CompareRow(system, columns, one_line(str(exc))))
    return rows
