"""Claims about training (C6-C10, C15 here; C21, C23, C31 in `training_clusters`): figures from
the training cost models.

Wafer claims train by weight streaming (`wafersim.api.train`, a few ms each). Where a GPU
cluster is compared, its parallel plan is the one a full search picks at the catalog's nominal
values, fixed here, so that sensitivity moves the catalog inputs instead of re-searching.
"""

from __future__ import annotations

from functools import cache

from wafersim.api import train
from wafersim.catalog import Catalog, MemoryService
from wafersim.catalog.system import resolve
from wafersim.claims.claim import ClaimText, Evaluation, Figure, Verdict, claim
from wafersim.claims.common import value_of
from wafersim.cost.train.result import TrainResult
from wafersim.errors import InfeasiblePlan
from wafersim.models import load_model
from wafersim.ops.memory import training_state
from wafersim.plan import Constraints
from wafersim.plan.train import ParallelPlan, TrainPlan
from wafersim.units import DAY_S, HOUR_S, fmt_time
from wafersim.validate.records import Record, read

# compute-optimal pre-training: about 20 tokens per parameter (Hoffmann et al. 2022, arXiv:2203.15556)
TOKENS_PER_PARAM = 20.0
# a model "trains" in useful time when a compute-optimal run ends within the longest run the
# seed claims cite (C21: 90 days)
RUN_LIMIT_S = 90 * DAY_S
PRECISION = "bf16"  # Cerebras trains in 16-bit formats; no CS-3 FP8 peak is published
# the plan a full search picks for megatron-1t on 1,024 H100 (dgx-h100), bf16, nominal catalog
H100_1T_PLAN = Constraints(tp=4, pp=32, dp=4, cp=2, zero=2, recompute="none", micro_batch=1,
                           schedule="interleaved", v=4)
C6_SEQ_LEN = 2048  # a common pre-training length (GPT-3, Llama 1); longer ones fit worse
# data parallel only (ZeRO-3 shards the state; no model split), the rest as a search picks it
DATA_PARALLEL_ONLY = Constraints(tp=1, pp=1, dp=1024, cp=1, zero=3, recompute="full",
                                 micro_batch=1, schedule="1f1b", v=1)
Run = TrainResult | str  # a run, or the one-line reason it cannot run


def model_parallel_ways(plan: TrainPlan) -> int:
    """How many ways one replica of the model is split (tensor x pipeline x context parallel);
    1 for weight streaming, which has no such choice."""
    if isinstance(plan, ParallelPlan):
        return plan.layout.tp * plan.layout.pp * plan.layout.cp
    return 1


def _wafer(cat: Catalog, model: str, system: str, tokens: float, **kw: object) -> Run:
    """A weight-streaming run, or why it cannot run."""
    try:
        return train(model, system, tokens, precision=PRECISION, catalog=cat, **kw)  # type: ignore[arg-type]
    except InfeasiblePlan as exc:
        return str(exc).splitlines()[0]


def _speed(name: str, run: Run) -> Figure:
    if isinstance(run, str):
        return Figure(name, None, "tokens/s", f"does not run: {run}")
    return Figure(name, run.tokens_per_s, "tokens/s", f"MFU {run.mfu:.1%}")


def _wall(name: str, run: Run, note: str) -> Figure:
    return Figure(name, None if isinstance(run, str) else run.wall_time_s, "s",
                  note if not isinstance(run, str) else f"does not run: {run}")


def _capacity_bytes(cat: Catalog, memory_service: str) -> float:
    return value_of(cat.typed(memory_service, MemoryService).capacity_bytes,
                    f"the {memory_service} capacity")


def _fits_verdict(run: Run, where: str) -> tuple[Verdict, str | None]:
    """A model that trains: `holds` when its compute-optimal run ends within RUN_LIMIT_S, else
    `holds-only-if` the claim means that training runs at all; one that cannot run: no."""
    if isinstance(run, str):
        return Verdict.does_not_hold, None
    if run.wall_time_s <= RUN_LIMIT_S:
        return Verdict.holds, None
    return Verdict.holds_only_if, (
        f"'trains' means that {where} holds the training state and runs training steps "
        f"({run.tokens_per_s:.3g} tokens/s); a compute-optimal run ({TOKENS_PER_PARAM:g} tokens "
        f"per parameter) takes {fmt_time(run.wall_time_s)}, past the {fmt_time(RUN_LIMIT_S)} "
        "of the longest run the claims cite")


def _state_note(params: float) -> str:
    per_param = training_state(PRECISION).total
    return (f"{PRECISION} weights and gradients with an fp32 Adam state: {per_param:g} bytes "
            f"per parameter in MemoryX ({params * per_param / 1e12:.3g} TB)")


@claim("C6", inputs=("cs-3", "memoryx-1200tb"))
def c6(cat: Catalog, text: ClaimText) -> Evaluation:
    """A 24 T dense model on one CS-3 with the 1.2 PB MemoryX: its training state against the
    MemoryX, then its speed with activations in SRAM (documented) or offloaded."""
    model, memoryx = load_model("dense-24t"), "memoryx-1200tb"
    per_param = training_state(PRECISION).total
    state, capacity = model.params_total * per_param, _capacity_bytes(cat, memoryx)
    tokens, seq = TOKENS_PER_PARAM * model.params_total, C6_SEQ_LEN
    sram, offload = (_wafer(cat, model.id, "cs-3", tokens, memory_service=memoryx, seq_len=seq,
                            activations=home) for home in ("sram", "offload"))
    run = offload if isinstance(sram, str) else sram
    verdict, condition = _fits_verdict(run, "one CS-3")
    if state > capacity:
        verdict, condition = Verdict.does_not_hold, None
    home = "offloaded to activation servers" if run is offload else "in SRAM"
    figures = (
        _wall("compute-optimal run on one CS-3", run, f"{tokens:.3g} tokens, activations {home}"),
        Figure("training state of a 24 T model", state, "bytes",
               f"{model.params_total:.3g} parameters x {per_param:g} bytes"),
        Figure("MemoryX capacity / training state", capacity / state, "x"),
        Figure("parameters the MemoryX holds", capacity / per_param, "count"),
        _speed("tokens/s on one CS-3, activations in SRAM", sram),
        _speed("tokens/s on one CS-3, activations offloaded", offload),
    )
    speed = (f"cannot hold one {seq:,}-token sequence's activations in SRAM"
             if isinstance(sram, str) else f"runs {sram.tokens_per_s:.3g} tokens/s")
    if isinstance(sram, str) and not isinstance(offload, str):
        speed += f"; with them offloaded it runs {offload.tokens_per_s:.3g} tokens/s"
    return Evaluation(figures, (
        f"dense-24t ({model.params_total:.4g} parameters, the model catalog's assumed shape), "
        f"{seq:,}-token sequences (its catalogued {model.max_seq_len:,} hold fewer still); "
        + _state_note(model.params_total),
        f"{memoryx} as catalogued ({capacity / 1e15:g} PB)",
        "activations in wafer SRAM as Cerebras documents; offloaded to activation servers "
        "(not documented as a training mechanism) where SRAM cannot hold them",
        f"compute-optimal budget {TOKENS_PER_PARAM:g} tokens per parameter (Chinchilla)",
    ), verdict, f"The training state ({state / 1e12:.0f} TB) fits the 1.2 PB MemoryX "
       f"{capacity / state:.1f} times over, but one CS-3 {speed}.", condition=condition)


@claim("C7", inputs=("cs-3", "dgx-h100"))
def c7(cat: Catalog, text: ClaimText) -> Evaluation:
    """The parallel plan a user must choose: 1 T and 1 B on one CS-3, 1 B on one H100, 1 T on
    1,024 H100 (the searched plan, fixed; and data parallel only)."""
    big, small = load_model("megatron-1t"), load_model("gpt3-1.3b")
    tokens = TOKENS_PER_PARAM * big.params_total
    wafer_big, wafer_small = (_wafer(cat, m.id, "cs-3", tokens) for m in (big, small))
    gpu_small = train(small.id, "h100-sxm", TOKENS_PER_PARAM * small.params_total, catalog=cat)
    gpu_big, gpu_dp = (train(big.id, "dgx-h100", tokens, count=1024, plan=p, catalog=cat)
                       for p in (H100_1T_PLAN, DATA_PARALLEL_ONLY))
    ways = [None if isinstance(r, str) else model_parallel_ways(r.plan)
            for r in (wafer_big, wafer_small, gpu_small, gpu_big)]
    simple = ways[:3] == [1, 1, 1]
    dp_share = gpu_dp.tokens_per_s / gpu_big.tokens_per_s
    figures = (
        Figure("model-parallel ways, 1 T on one CS-3", ways[0], "x",
               wafer_big if isinstance(wafer_big, str) else "weight streaming: no plan to choose"),
        Figure("model-parallel ways, 1 B on one H100", ways[2], "x", _layout(gpu_small)),
        Figure("model-parallel ways, 1 T on 1,024 H100", ways[3], "x", _layout(gpu_big)),
        Figure("1 T on 1,024 H100, data parallel only / searched plan", dp_share, "x",
               f"tokens/s; {_layout(gpu_dp)}"),
        _speed("tokens/s, 1 T on one CS-3", wafer_big),
        _speed("tokens/s, 1 B on one H100", gpu_small),
    )
    when = "" if isinstance(wafer_big, str) else (
        f" (at {wafer_big.tokens_per_s:.3g} tokens/s: {fmt_time(wafer_big.wall_time_s)} for "
        f"{tokens:.2g} tokens)")
    return Evaluation(figures, (
        f"megatron-1t ({big.params_total:.3g} parameters) and gpt3-1.3b, {PRECISION}, their "
        "catalogued sequence lengths; CS-3 with its default MemoryX; " + _state_note(big.params_total),
        f"H100: 1 B on one GPU, plan searched; 1 T on 1,024 H100 (128 DGX), the plan a full "
        f"search picks at nominal catalog values, fixed ({_layout(gpu_big)}); data parallel "
        "only: tensor, pipeline and context parallel 1 ({_layout(gpu_dp)})",
        "model-parallel ways: tensor x pipeline x context parallel degree of one model replica",
    ), Verdict.holds_only_if if simple else Verdict.does_not_hold,
        f"1 T on one CS-3 needs no parallel plan, as 1 B on one GPU needs none{when}; on 1,024 "
        f"H100 the searched 1 T plan splits each replica {ways[3]} ways, and data parallel "
        f"alone (ZeRO-3) runs at {dp_share:.0%} of its speed.",
        condition=None if not simple else (
            "'as simple as' is read as the parallel plan a user must choose: none for 1 T on "
            "CS-3, as for 1 B on one GPU; code size and tuning effort are not modelled"),
        reading="the plan a user must choose on each side, bf16 on both; speeds are given but "
                "not compared (different model sizes and system counts)")


def _layout(run: TrainResult) -> str:
    return str(run.plan.layout) if isinstance(run.plan, ParallelPlan) else "weight streaming"


LLAMA_2_AND_PEERS = ("llama-2-70b", "falcon-40b", "mpt-30b")


@claim("C8", inputs=("cs-2", "cs-3"))
def c8(cat: Catalog, text: ClaimText) -> Evaluation:
    """Training tokens/s of one CS-3 over one CS-2 on the same workloads (docs/wafer.md)."""
    stated, tolerance = text.figure("tokens per second ratio"), 0.1
    ratios = {}
    for m in LLAMA_2_AND_PEERS:
        old, new = (train(m, s, 1e9, precision=PRECISION, catalog=cat) for s in ("cs-2", "cs-3"))
        ratios[m] = new.tokens_per_s / old.tokens_per_s
    new_peak, old_peak = (resolve(cat, s).peak_flops_per_s(PRECISION) for s in ("cs-3", "cs-2"))
    low = min(ratios, key=lambda m: ratios[m])
    holds = ratios[low] >= stated * (1 - tolerance)
    figures = (Figure("smallest CS-3 / CS-2 training tokens/s", ratios[low], "x", low),
               *(Figure(f"{m} CS-3 / CS-2 tokens/s", r, "x") for m, r in ratios.items()),
               Figure("dense peak CS-3 / CS-2", None if not (new_peak and old_peak)
                      else new_peak / old_peak, "x"))
    return Evaluation(figures, (
        "one system each; the same model, tokens, sequence length and global batch (the "
        f"model's catalogued ones), {PRECISION}, each with its default MemoryX; weight streaming, "
        "activations in SRAM, the faster recompute mode",
        "Llama 2 read as Llama 2 70B; the multimodal models are not in the model catalog",
        f"tolerance {tolerance:.0%} below the stated 2x",
    ), Verdict.holds if holds else Verdict.does_not_hold,
        f"One CS-3 trains {ratios[low]:.2f}-{max(ratios.values()):.2f}x the tokens/s of one CS-2, "
        "following the dense peak ratio; the weight stream, 1.2 Tb/s on both, keeps the largest "
        "model a little lower.",
        reading="same model, batch, sequence length and bf16 on both; tokens/s read as training "
                "throughput (serving speed per user gains far less: docs/wafer.md)")


@cache
def _llama2_row() -> Record:
    """Meta's published Llama 2 70B pre-training (validation row T003: tokens, batch, GPU-hours)."""
    return next(r for r in read() if r.id == "T003")


@claim("C9", inputs=("cs-3-cluster-2048",))
def c9(cat: Catalog, text: ClaimText) -> Evaluation:
    """Llama 2 70B's pre-training on 2,048 CS-3: the smallest batch the cluster admits (one
    sequence per system), then larger ones until the stated day is reached."""
    row, cluster = _llama2_row(), resolve(cat, "cs-3-cluster-2048")
    stated, tolerance = text.figure("training time"), 0.25
    assert row.tokens and row.seq_len and row.global_batch and row.model
    runs = {b: _wafer(cat, row.model, cluster.id, row.tokens, seq_len=row.seq_len, global_batch=b)
            for b in [row.global_batch * 2**k for k in range(7)]}
    done = {b: r for b, r in runs.items() if not isinstance(r, str)}
    first, best = min(done), min(done, key=lambda b: done[b].wall_time_s)
    sparse, dense = cluster.peak_flops_per_s("fp16", sparse=True), cluster.peak_flops_per_s(PRECISION)
    gpus = row.value * HOUR_S / text.figure("meta time")  # A100s spending Meta's hours in a month
    verdict, condition = Verdict.does_not_hold, None
    enough = [b for b, r in done.items() if r.wall_time_s <= stated * (1 + tolerance)]
    if first in enough:
        verdict = Verdict.holds
    elif enough:
        b = min(enough)
        verdict, condition = Verdict.holds_only_if, (
            f"the global batch is at least {b:,} sequences ({b * row.seq_len / 1e6:.0f} M tokens, "
            f"{b // row.global_batch}x Llama 2's {row.global_batch * row.seq_len / 1e6:.0f} M), "
            "more than published 70 B recipes use, which may cost convergence")
    figures = (
        _wall("fastest Llama 2 70B run on 2,048 CS-3", done[best],
              f"{best:,} sequences per step ({best // row.global_batch}x Llama 2's), "
              f"MFU {done[best].mfu:.1%}"),
        *(_wall(f"with {b:,} sequences per step", r, "" if isinstance(r, str) else
                f"MFU {r.mfu:.1%}") for b, r in runs.items()),
        Figure("vendor AI peak of 2,048 CS-3", sparse, "flops_per_s", "sparsity-inclusive"),
        Figure("dense bf16 peak of 2,048 CS-3", dense, "flops_per_s"),
        Figure("A100s spending Meta's GPU-hours in a month", gpus, "count",
               f"{row.value / 1e6:.2f} M GPU-hours (validation row {row.id})"),
    )
    return Evaluation(figures, (
        f"Llama 2 70B's recipe from validation row {row.id}: {row.tokens:.2g} tokens of "
        f"{row.seq_len:,}, {row.global_batch:,} sequences per step, which 2,048 systems cannot "
        "split (each needs one whole sequence)",
        "weight streaming from the 1.2 PB MemoryX through SwarmX, activations in SRAM, the "
        "calibrated wafer matmul efficiency; no restarts or evaluation time",
        f"'about 24 hours' read with {tolerance:.0%} tolerance",
        "Meta did not publish its GPU count: the month is checked as the count that spends "
        "its GPU-hours in 30 days",
    ), verdict, f"With the smallest batch it admits ({first:,} sequences), 2,048 CS-3 take "
       f"{fmt_time(done[first].wall_time_s)}, as the weights cannot stream fast enough for one "
       f"sequence per system; larger batches bottom out at {fmt_time(done[best].wall_time_s)}. "
       f"The 256 EF is sparse ({(sparse or 0) / (dense or 1):.1f}x the dense peak).",
        condition=condition,
        reading=f"Meta's {row.value / 1e6:.2f} M A100-hours fill a month on about {gpus:,.0f} "
                "GPUs, so 'about a month' is consistent; the day is set against that month "
                "with Llama 2's tokens and sequence length, the batch raised as the cluster needs")


@claim("C10", inputs=("cs-3", "memoryx-1200tb"))
def c10(cat: Catalog, text: ClaimText) -> Evaluation:
    """Weight streaming from the plans themselves: the same plan at 1 and 2,048 systems, data
    parallel only; the MemoryX state and capacity the same at any system count."""
    row, memoryx = _llama2_row(), "memoryx-1200tb"
    assert row.tokens and row.seq_len and row.model
    batch = 2048
    runs = {n: train(row.model, "cs-3", row.tokens, count=n, seq_len=row.seq_len,
                     global_batch=batch, memory_service=memoryx, precision=PRECISION, catalog=cat)
            for n in (1, 64, 2048)}
    small = train(row.model, "cs-3", row.tokens, seq_len=row.seq_len, global_batch=batch,
                  memory_service="memoryx-24tb", precision=PRECISION, catalog=cat)
    ways = max(model_parallel_ways(r.plan) for r in runs.values())
    states = {r.memory["memory_service_state"] for r in runs.values()}
    services = {r.plan.memory_service for r in runs.values()}  # type: ignore[union-attr]
    same = ways == 1 and len(states) == 1 and services == {memoryx}
    scaling = runs[2048].tokens_per_s / (2048 * runs[1].tokens_per_s)
    figures = (
        Figure("model-parallel ways at 1, 64 and 2,048 CS-3", float(ways), "x",
               "every plan is weight streaming: systems and sequences per system only"),
        Figure("MemoryX training state at 2,048 / at 1 system", max(states) / min(states), "x",
               f"{min(states) / 1e12:.3g} TB at any count"),
        Figure("MemoryX capacity, the same at every count", _capacity_bytes(cat, memoryx),
               "bytes", ", ".join(sorted(str(s) for s in services))),
        Figure("step time with a 24 TB / with a 1.2 PB MemoryX, one CS-3",
               small.step_time_s / runs[1].step_time_s, "x", "capacity does not enter compute"),
        Figure("tokens/s of 2,048 CS-3 / 2,048 x one CS-3", scaling, "x",
               f"the same {batch:,}-sequence batch: one sequence per system exposes the stream"),
    )
    return Evaluation(figures, (
        f"Llama 2 70B, {row.seq_len:,}-token sequences, {batch:,} sequences per step at every "
        f"count, {PRECISION}; {memoryx} (and memoryx-24tb for one system)",
        "the plan JSON of each run: kind weight_streaming, with systems, sequences per system and "
        "micro-batches only",
    ), Verdict.holds if same else Verdict.does_not_hold,
        "The weight-streaming plan has no model split at any system count, and the MemoryX "
        "holds the same state whatever the count; data parallel scaling is not free: at a "
        f"fixed batch, 2,048 systems deliver {scaling:.0%} of 2,048 single systems.")


@claim("C15", inputs=("cs-2",))
def c15(cat: Catalog, text: ClaimText) -> Evaluation:
    """GPT-NeoX 20B on one CS-2 with its default MemoryX: does it fit, and how fast."""
    model = load_model("gpt-neox-20b")
    tokens = TOKENS_PER_PARAM * model.params_total
    run = _wafer(cat, model.id, "cs-2", tokens)
    memory = resolve(cat, "cs-2").memory_service
    capacity = _capacity_bytes(cat, memory.id) if memory else 0.0
    per_param = training_state(PRECISION).total
    verdict, condition = _fits_verdict(run, "one CS-2")
    figures = (
        _wall("compute-optimal run on one CS-2", run, f"{tokens:.3g} tokens"),
        Figure("parameters", float(model.params_total), "count", model.id),
        Figure("MemoryX capacity / training state", capacity / (model.params_total * per_param),
               "x", memory.id if memory else "no MemoryX"),
        _speed("tokens/s on one CS-2", run),
    )
    fits = "does not train" if isinstance(run, str) else (
        f"trains with no model split at {run.tokens_per_s:.3g} tokens/s "
        f"({run.plan.micro_batch:.0f} sequences per weight pass)")  # type: ignore[union-attr]
    return Evaluation(figures, (
        f"GPT-NeoX 20B, {model.max_seq_len:,}-token sequences, the default MemoryX of a CS-2; "
        + _state_note(model.params_total),
        "activations in wafer SRAM (documented), the faster recompute mode",
        "'largest on one device' and the set-up time are not modelled",
    ), verdict, f"GPT-NeoX 20B on one CS-2 {fits}.", condition=condition)
