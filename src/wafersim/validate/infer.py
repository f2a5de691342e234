"""Predict a published serving figure: the request shape, batch and plan a row describes.

How a row's fields become a workload (each rule is an assumption, listed in `ASSUMPTIONS`):
- An empty batch on a throughput row means the team ran at its best batch: the batch and plan
  that maximise output tokens/s are searched. Latency rows without a batch run one request.
- `batch` is per model replica (validation README): a row that gives dp runs batch x dp
  requests in flight; without dp the row's devices count as one replica.
- A published batch is the runtime's cap (TensorRT-LLM `max_batch_size`, MLPerf
  `gpu_batch_size`): in-flight batching admits only the requests whose KV cache fits, so a
  batch past the KV capacity runs at the capacity.
- 8-bit matmul stacks keep the KV cache in 8 bits too (TensorRT-LLM FP8/FP4 recipes, MLPerf
  submissions, vLLM `--kv-cache-dtype fp8`); 16-bit and W4A16 stacks keep it in 16 bits.
- Rows that name a dataset instead of lengths use that dataset's mean lengths (`DATASETS`).
- A throughput row with a prompt length but no output length measures a decode pool of a
  prefill/decode-disaggregated system (`Serving.decode_only`): requests in flight over TPOT at
  that KV length, with the plan chosen for decode.
- A step time measured without a serving stack (notes: "no serving overhead", a framework's
  model-forward timing) is compared with the kernel-level time: TTFT or TPOT without the
  `serving_stack` part.
- The optional `speculative` column names multi-token prediction as `mtp:LOOKAHEAD`, with the
  run's published acceptance as `:rate=A` (per drafted token) or `:len=L` (mean tokens per
  verify step, turned into the rate by Leviathan et al.'s formula); without one the rate is
  `MTP_ACCEPTANCE`.
- The optional `disaggregate` column gives a prefill/decode-disaggregated run's pools as
  `PREFILL:DECODE` devices (they add up to `count`); `batch` is then the decode pool's requests
  in flight and TPOT is the decode pool's (`cost/infer/disagg.py`).
- The optional `requests` column gives the number of prompts a finite benchmark run sent
  (`bench_serving --num-prompts`), all at once with `batch` as the client's concurrency cap
  (`--max-concurrency`). Such a row is replayed by the event-driven serving simulator
  (`serve/`): throughput is output tokens over the run's duration, TTFT, TPOT and latency are
  means over its requests. The optional `prefill_tokens` column gives the server's prompt-token
  budget per scheduler and iteration (`--max-prefill-tokens`; default SGLang's), and
  `range_ratio` the random dataset's `--random-range-ratio` (lengths uniform in
  [max(1, ratio x L), L]; default 1, every request exactly L). The optional `rate_per_s` column
  sends the prompts as a Poisson process of that rate instead of all at once (`--request-rate`;
  MLPerf Server's scheduled samples per second). Percentile metrics (`ttft_p99_s`, ...) are the
  run's percentiles over its requests.
- The `stack` column names the serving stack (a catalog `Stack`, engine and release) the run
  used; empty, the chip's default. A stack other than the default runs as its parameters say,
  each fitted on the stack's calibration rows across the chips it runs on
  (`calibrate_stacks.py`).
- `throughput_tokens_per_s` is for all `count` devices: with a smaller plan the system runs
  several replicas, which `serve` already counts. End-to-end latency is TTFT plus the remaining
  output tokens at TPOT.
"""

from __future__ import annotations

from dataclasses import dataclass

from wafersim.catalog import Catalog
from wafersim.catalog.system import resolve
from wafersim.cost.backends import serve, serve_at_most, serving_backend
from wafersim.cost.infer.common import (
    DEFAULT_ACCEPTANCE,
    SelfDraft,
    Serving,
    speculative_tokens_per_step,
)
from wafersim.cost.infer.result import InferResult
from wafersim.cost.infer.scenario import InferScenario
from wafersim.errors import ConfigError
from wafersim.models import load_model
from wafersim.plan.infer import InferConstraints
from wafersim.serve.result import ServeResult
from wafersim.serve.simulate import DEFAULT_PREFILL_TOKENS, simulate
from wafersim.serve.workload import Workload
from wafersim.validate.fitting import bisect
from wafersim.validate.records import Record

MTP_ACCEPTANCE = DEFAULT_ACCEPTANCE  # where a row publishes none
DEFAULT_TOKENS = 1024  # assumption for rows that give neither lengths nor a known dataset
EIGHT_BIT = {"fp8": "fp8", "fp4": "fp8", "int8": "int8"}  # matmul precision -> KV cache format


@dataclass(frozen=True)
class Dataset:
    """Mean request lengths of a published serving dataset."""

    keyword: str  # how a row's notes name it
    input_tokens: int
    output_tokens: int
    source: str


DATASETS = (
    # MLPerf Inference llama2-70b: OpenOrca subset of 24,576 prompts <= 1,024 tokens. Output mean
    # 294.45 (mlcommons/inference language/llama2-70b/README.md, primary); input mean 222.3 =
    # 5,463,976 tokens / 24,576 prompts, counted over the md5-pinned official pickle by
    # FlashLab-MBZUAI/HBFSim validation/calibration/h100-llama2-70b-calibration-protocol.json
    # (secondary)
    Dataset("OpenOrca", 222, 294, "MLPerf Inference llama2-70b: mlcommons/inference README "
            "(output, primary); HBFSim dataset count (input, secondary)"),
)

ASSUMPTIONS = (
    "batch is per replica: batch x dp requests in flight when the row gives dp",
    "published batch = runtime cap; in-flight requests limited by the KV cache",
    "8-bit (fp8/fp4/int8) matmul stacks keep the KV cache in 8 bits",
    "rows naming a dataset use its mean lengths; others default to 1,024 tokens",
    "model-forward step times (no serving stack) are compared with the kernel-level time",
    f"multi-token prediction as the row's speculative column says (acceptance {MTP_ACCEPTANCE:g} "
    "where it publishes none)",
    "throughput rows with a prompt length but no output length measure a decode pool "
    "(requests in flight / TPOT)",
    "rows with a disaggregate column run prefill and decode pools of those sizes",
    "rows with a requests column replay the benchmark run (all prompts sent at once, or at the "
    "row's Poisson rate_per_s; batch = concurrency cap) in the serving simulator",
    "rows run the serving stack their stack column names (empty: the chip's default stack)",
)


def serving_of(row: Record, catalog: Catalog | None = None) -> Serving:
    """Request shape and number formats of a row, and its serving stack (given a catalog)."""
    data = next((d for d in DATASETS if d.keyword in (row.notes or "")), None)
    default_in = data.input_tokens if data else DEFAULT_TOKENS
    default_out = data.output_tokens if data else DEFAULT_TOKENS
    precision = row.precision or "bf16"
    output = 1 if decode_pool(row) else row.output_tokens or default_out
    stack = row.stack
    return Serving(row.input_tokens or default_in, output, precision,
                   EIGHT_BIT.get(precision, "bf16"), decode_only=decode_pool(row),
                   stack=None if stack is None or catalog is None else catalog.stack(stack))


def speculative_of(row: Record) -> SelfDraft | None:
    """The multi-token prediction a row's `speculative` column names, if any."""
    text = row.speculative
    if text is None:
        return None
    kind, _, rest = text.partition(":")
    lookahead, _, given = rest.partition(":")
    if kind != "mtp" or not lookahead.isdigit() or given[:4] not in ("", "rate", "len="):
        raise ConfigError(f"row {row.id}: speculative {text!r} is not mtp:K[:rate=A|:len=L]; "
                          "write e.g. mtp:3:len=2.6")
    k = int(lookahead)
    if not given:
        return SelfDraft(MTP_ACCEPTANCE, k)
    value = float(given.split("=", 1)[1])
    rate = value if given.startswith("rate") else _rate_for_length(value, k, row)
    return SelfDraft(rate, k)


def _rate_for_length(length: float, lookahead: int, row: Record) -> float:
    """The acceptance rate whose expected tokens per step is `length` (bisection)."""
    if not 1.0 <= length < lookahead + 1:
        raise ConfigError(f"row {row.id}: accepted length {length} must lie in [1, {lookahead + 1})")
    return bisect(lambda rate: speculative_tokens_per_step(rate, lookahead), length,
                  0.0, 1.0 - 1e-12, steps=60)


def decode_pool(row: Record) -> bool:
    """A throughput row for a disaggregated decode pool: prompt length given, output not."""
    return (row.metric == "throughput_tokens_per_s" and row.input_tokens is not None
            and row.output_tokens is None)


def scenario_of(row: Record, catalog: Catalog, serving: Serving) -> InferScenario:
    """The row's model on its system and count, the plan degrees it fixes, its drafting and its
    prefill:decode split."""
    tp, pp, dp, count = row.tp, row.pp, row.dp, row.count
    if pp is None and tp is not None and dp is not None and count is not None:
        pp = max(1, count // (tp * dp))
    sc = InferScenario.of(load_model(row.model or ""), resolve(catalog, row.system), serving, count,
                          InferConstraints(tp, pp, row.ep), speculative_of(row),
                          disaggregate=row.disaggregate)
    return sc if count is not None else _fitted(sc)


def _fitted(sc: InferScenario) -> InferScenario:
    """A row without a device count runs on the system as catalogued or, where that cannot hold
    the model, on the fewest whole nodes that can."""
    devices = serving_backend(sc.system).fitting_count(sc)
    return sc if devices is None else sc.on(devices)


def _batch(row: Record) -> int | None:
    batch = row.batch
    return None if batch is None else batch * (row.dp or 1)


def run(row: Record, catalog: Catalog) -> InferResult:
    """The serving result for the workload `row` describes."""
    sc = scenario_of(row, catalog, serving_of(row, catalog))
    batch = _batch(row)
    if sc.split is not None:
        return serve(sc, [batch or 1], search=batch is None and _throughput(row))[0]
    if batch is None and _throughput(row):
        return serve(sc, [1], search=True)[0]
    return serve_at_most(sc, batch or 1)


def _throughput(row: Record) -> bool:
    return row.metric == "throughput_tokens_per_s"


def replay(row: Record, catalog: Catalog) -> ServeResult:
    """The benchmark run a row with a `requests` column describes, simulated request by request."""
    serving = serving_of(row, catalog)
    if serving.decode_only:
        raise ConfigError(f"row {row.id}: a replayed run (requests column) needs output_tokens")
    ratio = row.range_ratio
    workload = Workload(row.requests or 0, serving.input_tokens, serving.output_tokens,
                        concurrency=_batch(row), rate_per_s=row.rate_per_s,
                        range_ratio=1.0 if ratio is None else ratio)
    mean = Serving(*workload.mean_tokens(), serving.precision, serving.kv_precision,
                   stack=serving.stack)
    return simulate(scenario_of(row, catalog, mean), workload,
                    row.prefill_tokens or DEFAULT_PREFILL_TOKENS)


KERNEL_ONLY = "no serving overhead"  # how a row's notes mark a model-forward step time


def predict(row: Record, result: InferResult | ServeResult) -> float:
    """The row's metric from a serving result."""
    metric = row.metric
    output = serving_of(row).output_tokens
    if isinstance(result, ServeResult):
        return _replayed(row, result)
    if KERNEL_ONLY in (row.notes or "") and metric in ("ttft_s", "tpot_s"):
        parts = result.prefill_breakdown if metric == "ttft_s" else result.decode_breakdown
        return sum(v for k, v in parts.items() if k != "serving_stack")
    values = {"ttft_s": result.ttft_s, "tpot_s": result.tpot_s,
              "user_tokens_per_s": result.user_tokens_per_s,
              "throughput_tokens_per_s": result.throughput_tokens_per_s,
              "e2e_latency_s": result.ttft_s + (output - 1) * result.tpot_s}
    if metric not in values:
        raise ConfigError(f"row {row.id}: serving metric {metric!r} is not one of {', '.join(values)}")
    return values[metric]


PERCENTILES = ("p50", "p90", "p99")
REPLAYED_FIGURES = {"ttft": "ttft_s", "tpot": "tpot_s", "e2e_latency": "latency_s"}  # ServeResult


def replayed_values(result: ServeResult) -> dict[str, float | None]:
    """Every metric a replayed run predicts: means, percentiles (`ttft_p99_s` is
    `result.ttft_s["p99"]`) and throughput."""
    tpot = result.tpot_s["mean"]
    values: dict[str, float | None] = {
        "user_tokens_per_s": None if tpot is None else 1.0 / tpot,
        "throughput_tokens_per_s": result.throughput_tokens_per_s}
    for metric, figure in REPLAYED_FIGURES.items():
        stats: dict[str, float | None] = dict(getattr(result, figure))
        values[f"{metric}_s"] = stats["mean"]
        values.update({f"{metric}_{p}_s": stats[p] for p in PERCENTILES})
    return values


def _replayed(row: Record, result: ServeResult) -> float:
    values = replayed_values(result)
    metric = row.metric
    if metric not in values:
        raise ConfigError(f"row {row.id}: replayed metric {metric!r} is not one of {', '.join(values)}")
    value = values[metric]
    if value is None:
        raise ConfigError(f"row {row.id}: no replayed request generates more than one token, so "
                          f"the run has no {metric}; give output_tokens above 1")
    return value


def predict_row(row: Record, catalog: Catalog) -> float:
    """The row's metric: a replayed benchmark run when it gives `requests`, else layer 1."""
    result = replay(row, catalog) if row.requests else run(row, catalog)
    return predict(row, result)
