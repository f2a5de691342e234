"""The Python API: one call per question, each returning a frozen result."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wafersim.catalog import Catalog, Stack, load_catalog
from wafersim.catalog.system import resolve
from wafersim.cost import backends
from wafersim.cost.backends import serve, serve_models, serving_backend
from wafersim.cost.infer.common import DEFAULT_ACCEPTANCE, SelfDraft, Serving
from wafersim.cost.infer.result import CoResidentResult, InferResult
from wafersim.cost.infer.scenario import InferScenario
from wafersim.cost.infer.wafer import Speculative
from wafersim.cost.kernels.economics import unknown_inputs
from wafersim.cost.sizing import Budget, Sizing
from wafersim.cost.sizing import size_training as _size
from wafersim.cost.train.evaluation import EvalSchedule
from wafersim.cost.train.recipe import Recipe
from wafersim.cost.train.result import TrainResult
from wafersim.cost.train.scenario import TrainScenario
from wafersim.errors import (
    ConfigError,
    InfeasiblePlan,
    ParameterError,
    SimError,
    one_line,
)
from wafersim.models import ModelSpec, load_model
from wafersim.plan import Constraints
from wafersim.plan.infer import InferConstraints, Split
from wafersim.serve.co_resident import CoResidentServeResult, simulate_models
from wafersim.serve.features import EngineOptions
from wafersim.serve.plan import CapacityPlan, plan_capacity
from wafersim.serve.result import ServeResult, Slo
from wafersim.serve.simulate import DEFAULT_PREFILL_TOKENS, simulate
from wafersim.serve.traffic import Synthetic, traffic
from wafersim.serve.workload import Traffic, Workload


def _model(spec: str | ModelSpec) -> ModelSpec:
    return load_model(spec) if isinstance(spec, str) else spec


def _stack(cat: Catalog, stack: str | None) -> Stack | None:
    """The catalog serving stack `stack` names; None: the chip's default stack."""
    return None if stack is None else cat.stack(stack)


def train(model: str | ModelSpec, system: str, tokens: float, count: int | None = None,
          global_batch: int | None = None, seq_len: int | None = None, precision: str = "bf16",
          recompute: str = "auto", sparsity: float = 0.0, memory_service: str | None = None,
          catalog: Catalog | None = None, plan: Constraints | None = None,
          attention: str = "flash", finetune: str | None = None,
          activations: str | None = None, beyond_context: bool = True,
          pricing: str = "tco", evaluation: EvalSchedule | None = None,
          framework: str | None = None, recipe: Recipe | None = None) -> TrainResult:
    """Time, throughput, memory, energy and cost of training `model` for `tokens` on `system`.

    On accelerator clusters the fastest feasible parallel plan is searched; `plan` fixes parts
    of it (tp, pp, dp, cp, ep, ZeRO stage, micro-batch, schedule); `recompute` "auto" searches
    none/selective/full. On wafer-scale systems training is weight streaming and `plan` must be
    empty; `activations` says where a micro-batch's activations live: "sram" (default, as
    Cerebras documents: it caps the sequences per weight pass), "offload" (activation servers over
    the system I/O, undocumented) or "auto" (the faster feasible); `recompute` "auto" takes the
    faster of none/full. `attention` is "flash" (fused, no s x s scores kept) or "eager"
    (pre-2022 Megatron). `finetune` "lora-rN" trains rank-N LoRA adapters on a frozen base
    (clusters only). A `seq_len` past the model's context is noted in the assumptions
    (context-extension training), or refused when `beyond_context` is False. `pricing` is the
    cost basis: "tco" (owning the hardware at the catalog's site) or "rental" (hourly prices).
    `evaluation` adds periodic forward passes over a held-out set to the run's time (as MLPerf
    times them): `EvalSchedule(every_tokens, tokens)`. `framework` names the training framework
    (a catalog `Framework`, "engine" or "engine:release"; None: the chip's default framework,
    whose runs its framework efficiency is fitted on); an unknown one raises, listing the known.
    `recipe` says how the framework ran the step (`Recipe(cuda_graphs, expert_gemm)`: whole
    iteration, partial or no CUDA graphs; grouped or per-expert expert GEMMs); None is whole-
    iteration graphs and grouped GEMMs. A recipe that launches kernels from the host needs a
    framework whose host launch cost the catalog gives (megatron-bridge).
    """
    return backends.train(_train_scenario(
        _model(model), system, tokens, count, catalog or load_catalog(), pricing, global_batch,
        seq_len, precision, recompute, sparsity, memory_service, plan, attention, finetune,
        activations, beyond_context, evaluation, framework, recipe))


def size_training(model: str | ModelSpec, system: str, tokens: float,
                  budget_usd: float | None = None, power_W: float | None = None,
                  deadline_s: float | None = None, pricing: str = "tco",
                  catalog: Catalog | None = None, **options: Any) -> Sizing:
    """`system` sized to one budget for training `model` on `tokens`: with `deadline_s` (wall
    time, failures included) the fewest devices that meet it; with `budget_usd` (on basis
    `pricing`) or `power_W` (facility power from the wall) the fastest run within it. Counts are
    whole nodes up to the largest cluster the catalog allows; `options` are `train`'s keywords
    (global_batch, seq_len, precision, plan, ...). Raises a ParameterError for a budget that is
    not one positive finite number; a system that no count fits says why in `Sizing.reason`."""
    return _sized(_model(model), system, tokens, Budget(budget_usd, power_W, deadline_s),
                  catalog or load_catalog(), pricing, **options)


def _sized(model: ModelSpec, system: str, tokens: float, budget: Budget, cat: Catalog,
           pricing: str, **options: Any) -> Sizing:
    def scenario_at(count: int) -> TrainScenario:
        return _train_scenario(model, system, tokens, count, cat, pricing, **options)
    return _size(scenario_at, resolve(cat, system).priced(pricing), budget)


def _train_scenario(model: ModelSpec, system: str, tokens: float, count: int | None, cat: Catalog,
                    pricing: str, global_batch: int | None = None, seq_len: int | None = None,
                    precision: str = "bf16", recompute: str = "auto", sparsity: float = 0.0,
                    memory_service: str | None = None, plan: Constraints | None = None,
                    attention: str = "flash", finetune: str | None = None,
                    activations: str | None = None, beyond_context: bool = True,
                    evaluation: EvalSchedule | None = None,
                    framework: str | None = None, recipe: Recipe | None = None) -> TrainScenario:
    """`train`'s question on `count` devices (None: the system as catalogued)."""
    return TrainScenario.of(cat, model, system, tokens, count, global_batch, seq_len, precision,
                            memory_service, constraints=plan or Constraints(),
                            recompute=recompute, sparsity=sparsity, attention=attention,
                            finetune=finetune, activations=activations,
                            beyond_context=beyond_context, pricing=pricing, evaluation=evaluation,
                            framework=framework, recipe=recipe)


def infer(model: str | ModelSpec, system: str, batch: int = 1, input_tokens: int = 1024,
          output_tokens: int = 1024, precision: str = "bf16", kv_precision: str = "bf16",
          count: int | None = None, tp: int | None = None, pp: int | None = None,
          ep: int | None = None, draft: str | ModelSpec | None = None, acceptance: float = DEFAULT_ACCEPTANCE,
          lookahead: int = 4, max_throughput: bool = False, tpot_slo_s: float | None = None,
          catalog: Catalog | None = None, attention_dp: int | None = None,
          decode_only: bool = False, disaggregate: str | Split | None = None,
          stack: str | None = None, pipeline_wafers: int | None = None,
          pricing: str = "tco") -> InferResult:
    """Latency, throughput, capacity, energy and cost of serving `model` on `system`.

    `batch` is the number of requests in flight on the whole system. With `max_throughput` the
    batch (and plan) giving the most output tokens/s under `tpot_slo_s` is searched instead.
    `attention_dp` runs a MoE model's attention as that many data-parallel replicas inside each
    tensor group (1: plain tensor parallel; None: searched). `decode_only` serves a disaggregated
    decode pool: prompts arrive prefilled, so throughput leaves out TTFT. `disaggregate`
    ("PREFILL:DECODE" devices, e.g. "16:16") serves prompts and decoding on separate pools, each
    with its own plan; `batch` is then the requests decoding. `stack` names a serving stack from
    the catalog (its parts of kind stack) in place of the chip's calibrated one. On wafer systems
    `count` wafers run floor(count / P) replicas of a pipeline of P wafers, P the fewest holding
    the weights and a replica's KV cache, or `pipeline_wafers`. Raises InfeasiblePlan when the
    model does not fit (the message says how many devices it needs). `pricing` is the cost
    basis of $ per million tokens: "tco" (owned hardware) or "rental" (hourly prices).
    """
    cat = catalog or load_catalog()
    if disaggregate is not None and decode_only:
        raise ParameterError("decode_only", True, "{decode_only.flag} and {disaggregate}: a "
                             "disaggregated system already has its decode pool; drop "
                             "{decode_only.flag}", allowed="False with disaggregate",
                             disaggregate=disaggregate)
    serving = Serving(input_tokens, output_tokens, precision, kv_precision, decode_only,
                      _stack(cat, stack))
    sc = InferScenario.of(_model(model), resolve(cat, system).priced(pricing), serving, count,
                     InferConstraints(tp, pp, ep, attention_dp),
                     _speculative(draft, acceptance, lookahead), tpot_slo_s, disaggregate,
                     pipeline_wafers)
    return serve(sc, [batch], search=max_throughput)[0]


def model_list(models: str | Sequence[str | ModelSpec]) -> list[ModelSpec]:
    """'a,b' or [a, b] -> the models, each loaded once; an empty item is an error naming it."""
    items = models.split(",") if isinstance(models, str) else list(models)
    for i, item in enumerate(items, 1):
        if isinstance(item, str) and not item.strip():
            raise ParameterError("model", ",".join(map(str, items)), f"{{model!r}}: item {i} is "
                                 "empty; separate model ids with single commas",
                                 allowed="model ids separated by commas")
    return [_model(m.strip() if isinstance(m, str) else m) for m in items]


def infer_models(models: str | Sequence[str | ModelSpec], system: str, batch: int = 1,
                 input_tokens: int = 1024, output_tokens: int = 1024, precision: str = "bf16",
                 kv_precision: str = "bf16", count: int | None = None,
                 pipeline_wafers: int | None = None, stack: str | None = None,
                 catalog: Catalog | None = None, pricing: str = "tco") -> CoResidentResult:
    """Serve several models resident together on one set of wafers, `batch` requests in flight
    each: per model TTFT, TPOT, tokens/s (its own share of the PEs, by its bytes), and the
    shared wafers, replicas, SRAM, energy and cost. `count` wafers run floor(count / P) replicas
    of the set on P wafers, P the fewest holding every model's weights and KV cache, or
    `pipeline_wafers`. Raises a ParameterError for a repeated or empty item and on systems that
    are not wafers, InfeasiblePlan when the set does not fit (the message says how many wafers).
    """
    cat = catalog or load_catalog()
    target = resolve(cat, system).priced(pricing)
    serving = Serving(input_tokens, output_tokens, precision, kv_precision,
                      stack=_stack(cat, stack))
    scs = [InferScenario.of(m, target, serving, count, pipeline_wafers=pipeline_wafers)
           for m in model_list(models)]
    return serve_models(scs, batch)


def _speculative(draft: str | ModelSpec | None, acceptance: float,
                 lookahead: int) -> Speculative | SelfDraft | None:
    """A draft model (wafers), the model's own MTP module ("mtp", HBM systems), or none."""
    if draft == "mtp":
        return SelfDraft(acceptance, lookahead)
    return None if draft is None else Speculative(_model(draft), acceptance, lookahead)


def simulate_serving(model: str | ModelSpec, system: str, requests: int | None = None,
                     concurrency: int | None = None, rate_per_s: float | None = None,
                     input_tokens: int | None = None, output_tokens: int | None = None,
                     range_ratio: float = 1.0, seed: int = 0, precision: str = "bf16",
                     kv_precision: str = "bf16", count: int | None = None, tp: int | None = None,
                     pp: int | None = None, ep: int | None = None,
                     attention_dp: int | None = None, draft: str | ModelSpec | None = None,
                     acceptance: float = DEFAULT_ACCEPTANCE, lookahead: int = 4,
                     disaggregate: str | Split | None = None,
                     prefill_tokens: int = DEFAULT_PREFILL_TOKENS,
                     catalog: Catalog | None = None, stack: str | None = None,
                     pipeline_wafers: int | None = None, pricing: str = "tco", *,
                     chunked_prefill: int | None = None, preemption: str | None = None,
                     prefix_caching: bool = False,
                     workload: str | Path | Traffic | None = None, arrivals: str | None = None,
                     burstiness: float | None = None, rates: Sequence[float] | None = None,
                     period_s: float | None = None, dataset: str | None = None,
                     replicas: int = 1, router: str = "round-robin",
                     slo_ttft_s: float | None = None, slo_tpot_s: float | None = None,
                     trace: str | Path | None = None) -> ServeResult:
    """Play a benchmark run request by request: duration, throughput, TTFT/TPOT/latency statistics.

    `requests` prompts are sent all at once (or as a Poisson process of `rate_per_s`), at most
    `concurrency` in flight; lengths are uniform in [range_ratio x L, L] from `seed`. The plan is
    the one `infer` picks for the run's most requests in flight, on the devices `infer` picks (on
    wafers its pipeline: more requests fill the replicas, then queue); `disaggregate` ("PREFILL:DECODE")
    runs prompts and decoding on separate pools; `prefill_tokens` is the prompt-token budget per
    scheduler and iteration; `stack` names a catalog serving stack, as in `infer`. Defaults:
    1,000 requests of 1,024 + 1,024 tokens. Engine switches (`serve/engine.py`):
    `chunked_prefill` tokens per iteration, `preemption` ("recompute" or "swap": a paged KV
    cache that preempts when blocks run out), `prefix_caching`.

    `workload` replays a CSV or JSONL trace (a path; `requests` then takes its first rows) or
    plays a workload object, instead of the synthetic knobs. `arrivals` "gamma" (bursty,
    `burstiness` the gaps' coefficient of variation, mean rate `rate_per_s`) or "piecewise"
    (diurnal: `rates` requests/s per `period_s`, cycling); `dataset` ("sharegpt", "lmsys",
    "arxiv") draws lengths from a public dataset's published statistics, capped at
    `input_tokens`/`output_tokens` or the model's context (docs/serving-workloads.md).

    `replicas` copies of the plan serve the run behind `router` ("round-robin", "least-tokens"
    or "session"); `slo_ttft_s` / `slo_tpot_s` are the SLO the run is judged by (attainment and
    goodput); `trace` is a path that gets the run's timeline as a Chrome / Perfetto trace.
    """
    engine = EngineOptions(chunked_prefill, preemption, prefix_caching)
    cat = catalog or load_catalog()
    spec = _model(model)
    knobs = Synthetic(concurrency, rate_per_s, input_tokens, output_tokens, range_ratio,
                      arrivals, burstiness, rates, period_s, dataset)
    sent = traffic(workload, requests, seed, knobs, spec.max_seq_len)
    serving = Serving(*sent.mean_tokens(), precision, kv_precision,
                      stack=_stack(cat, stack))
    sc = InferScenario.of(spec, resolve(cat, system).priced(pricing), serving, count,
                     InferConstraints(tp, pp, ep, attention_dp),
                     _speculative(draft, acceptance, lookahead), disaggregate=disaggregate,
                     pipeline_wafers=pipeline_wafers)
    slo = None if slo_ttft_s is None and slo_tpot_s is None else Slo(slo_ttft_s, slo_tpot_s)
    return simulate(sc, sent, prefill_tokens, engine=engine, replicas=replicas, router=router,
                    slo=slo, trace_path=trace)


def plan_fleet(model: str | ModelSpec, systems: str | Sequence[str], rate_per_s: float,
               slo_ttft_s: float, slo_tpot_s: float, input_tokens: int = 1024,
               output_tokens: int = 1024, precision: str = "bf16", kv_precision: str = "bf16",
               seed: int = 0, pricing: str = "tco", stack: str | None = None,
               catalog: Catalog | None = None) -> CapacityPlan:
    """The cheapest fleet of `systems` (ids, or "a,b") that serves `rate_per_s` requests/s of
    `input_tokens` + `output_tokens` within a p99 TTFT of `slo_ttft_s` and a p99 TPOT of
    `slo_tpot_s`: layer 1 bounds each system's replicas, the serving simulator confirms them
    (`serve/plan.py`); fleets ranked by hourly cost on basis `pricing`."""
    cat = catalog or load_catalog()
    ids = systems.split(",") if isinstance(systems, str) else list(systems)
    targets = [resolve(cat, s.strip()).priced(pricing) for s in ids]
    serving = Serving(input_tokens, output_tokens, precision, kv_precision,
                      stack=_stack(cat, stack))
    return plan_capacity(_model(model), targets, rate_per_s, Slo(slo_ttft_s, slo_tpot_s), serving,
                         seed)


def simulate_serving_models(models: str | Sequence[str | ModelSpec], system: str,
                            requests: int = 1000, concurrency: int | None = None,
                            rate_per_s: float | None = None, input_tokens: int = 1024,
                            output_tokens: int = 1024, range_ratio: float = 1.0, seed: int = 0,
                            precision: str = "bf16", kv_precision: str = "bf16",
                            count: int | None = None, pipeline_wafers: int | None = None,
                            mix: Sequence[float] | None = None,
                            prefill_tokens: int = DEFAULT_PREFILL_TOKENS,
                            catalog: Catalog | None = None,
                            stack: str | None = None, pricing: str = "tco") -> CoResidentServeResult:
    """A benchmark run against several models resident together on one set of wafers (the set
    `infer_models` picks at one request each): the requests split by `mix` (weights, one per
    model; default even), each model with its own queue, share of `concurrency` and of
    `rate_per_s`; per-model figures and the shared totals."""
    cat = catalog or load_catalog()
    workload = Workload(requests, input_tokens, output_tokens, concurrency, rate_per_s,
                        range_ratio, seed)
    serving = Serving(*workload.mean_tokens(), precision, kv_precision,
                      stack=_stack(cat, stack))
    target = resolve(cat, system).priced(pricing)
    scs = [InferScenario.of(m, target, serving, count, pipeline_wafers=pipeline_wafers)
           for m in model_list(models)]
    return simulate_models(scs, workload, None if mix is None else list(mix), prefill_tokens)


COMPARE_SYSTEMS = ("cs-3", "dgx-h100", "dgx-b200", "gb200-nvl72", "trn2-ultraserver", "atlas-800t-a2")
ColumnFn = Callable[..., dict[str, Any]]


def _serving_columns(spec: ModelSpec, system: str, cat: Catalog, pricing: str = "tco"
                     ) -> dict[str, Any]:
    """Speed per user at batch 1 and the max-throughput point, on the fewest devices that fit."""
    count = _count_that_fits(spec, system, cat)
    one = infer(spec, system, batch=1, count=count, catalog=cat, pricing=pricing)
    best = infer(spec, system, count=count, max_throughput=True, catalog=cat, pricing=pricing)
    return {"devices": best.devices, "user_tokens_per_s": one.user_tokens_per_s,
            "ttft_s": one.ttft_s, "max_throughput_tokens_per_s": best.throughput_tokens_per_s,
            "max_throughput_batch": best.batch,
            "user_tokens_per_s_at_max": best.user_tokens_per_s,
            "usd_per_million_tokens": best.usd_per_million_tokens,
            "energy_per_token_J": best.energy_per_token_J, "cost_basis": best.cost_basis,
            "unknown": unknown_inputs(best.assumptions)}


def _count_that_fits(spec: ModelSpec, system: str, cat: Catalog) -> int | None:
    """None when the system as catalogued holds the model, else whole nodes that hold it."""
    sc = InferScenario.of(spec, resolve(cat, system))
    return serving_backend(sc.system).fitting_count(sc)


def _training_columns(spec: ModelSpec, system: str, cat: Catalog, tokens: float = 1e12,
                      devices: int = 1024, pricing: str = "tco",
                      budget: Budget | None = None) -> dict[str, Any]:
    """Time, MFU, energy and cost of training on `tokens` with `devices` accelerators (or wafer
    systems), or on the count `budget` sizes (`size_training`); a system that cannot train it
    gets the reason instead."""
    if budget is not None:
        return _sized_columns(spec, system, cat, tokens, pricing, budget)
    try:
        r = train(spec, system, tokens, count=devices, catalog=cat, pricing=pricing)
    except SimError as exc:
        return {"train_error": exc}
    return _run_columns(r, pricing)


def _sized_columns(spec: ModelSpec, system: str, cat: Catalog, tokens: float, pricing: str,
                   budget: Budget) -> dict[str, Any]:
    """The training columns of the run `budget` sizes, with the budget, what bound the choice
    and the sizing itself; a system no count fits gets the reason as its error."""
    try:
        s = _sized(spec, system, tokens, budget, cat, pricing)
    except SimError as exc:
        return {"train_error": exc, "train_budget": budget.to_json()}
    sized = {"train_budget": budget.to_json(), "train_binding": s.binding,
             "train_sizing": s.to_json()}
    if s.chosen is None:
        return sized | {"train_error": InfeasiblePlan(s.reason)}
    return _run_columns(s.chosen, pricing) | sized


def _run_columns(r: TrainResult, pricing: str) -> dict[str, Any]:
    return {"train_devices": r.devices, "train_wall_time_s": r.wall_time_s, "train_mfu": r.mfu,
            "train_energy_J": r.energy_J, "train_cost_usd": r.cost_usd,
            "train_cost_basis": r.economy.basis if r.economy else pricing,
            "train_goodput": r.goodput,
            "train_interruptions": r.interruptions.expected if r.interruptions else None,
            "train_facility_power_W": r.economy.facility_power_W if r.economy else None,
            "train_plan": r.plan.to_json(), "train_unknown": unknown_inputs(r.assumptions)}


# Column groups of `compare`, by name: each takes (model, system id, catalog, **options) and
# returns columns.
COMPARE_COLUMNS: dict[str, ColumnFn] = {"serving": _serving_columns, "training": _training_columns}


@dataclass(frozen=True)
class CompareRow:
    """One system's columns in a comparison, or why it could not run the model.

    `failures` keeps the errors behind `error` and any `*_error` column, so a front end can
    spell their parameters its own way; the strings use the library's keyword names.
    """

    system: str
    columns: dict[str, Any]
    error: str | None = None
    failures: dict[str, SimError] = field(default_factory=dict, compare=False, repr=False)


def _row(system: str, columns: dict[str, Any], failure: SimError | None = None) -> CompareRow:
    """A row whose error columns hold one-line strings, the errors themselves in `failures`."""
    failures = {k: v for k, v in columns.items() if isinstance(v, SimError)}
    failures |= {"error": failure} if failure is not None else {}
    text = {k: one_line(str(v)) for k, v in failures.items()}
    return CompareRow(system, columns | {k: v for k, v in text.items() if k != "error"},
                      text.get("error"), failures)


def compare(model: str | ModelSpec, systems: Sequence[str] | None = None,
            groups: Sequence[str] = ("serving",), catalog: Catalog | None = None,
            options: dict[str, dict[str, Any]] | None = None) -> list[CompareRow]:
    """One row per system with each column group of COMPARE_COLUMNS evaluated for `model`;
    `options` passes keyword arguments per group (training: tokens, devices)."""
    cat = catalog or load_catalog()
    spec = _model(model)
    rows = []
    for system in systems or COMPARE_SYSTEMS:
        resolve(cat, system)  # an unknown id is the user's mistake, not a row
        columns: dict[str, Any] = {}
        try:
            for group in groups:
                columns |= COMPARE_COLUMNS[group](spec, system, cat, **(options or {}).get(group, {}))
            rows.append(_row(system, columns))
        except (InfeasiblePlan, ConfigError) as exc:  # this system cannot serve it: say why
            rows.append(_row(system, columns, exc))
    return rows
