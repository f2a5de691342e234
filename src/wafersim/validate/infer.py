"""Predict a published serving figure: the request shape, batch and plan a row describes.

An empty batch on a throughput row means the team ran at its best batch: the batch and plan
that maximise output tokens/s are searched. Latency rows without a batch run one request. The
metric `throughput_tokens_per_s` is for all `count` devices: with a smaller plan the system runs
several replicas, which `serve` already counts. End-to-end latency is TTFT plus the remaining
output tokens at TPOT.
"""

from __future__ import annotations

from wafersim.catalog import Catalog
from wafersim.catalog.system import resolve
from wafersim.cost.infer import serve
from wafersim.cost.infer_common import Serving
from wafersim.cost.infer_result import InferResult
from wafersim.errors import ConfigError
from wafersim.models import load_model
from wafersim.validate.records import Record

DEFAULT_TOKENS = 1024  # assumption for rows whose notes name a dataset instead of lengths


def run(row: Record, catalog: Catalog) -> InferResult:
    """The serving result for the workload `row` describes."""
    serving = Serving(row.int("input_tokens") or DEFAULT_TOKENS,
                      row.int("output_tokens") or DEFAULT_TOKENS, row.text("precision") or "bf16")
    batch, metric = row.int("batch"), row.text("metric")
    search = batch is None and metric == "throughput_tokens_per_s"
    plan = {"tp": row.int("tp"), "pp": row.int("pp"), "ep": row.int("ep")}
    system = resolve(catalog, row.text("system") or "")
    if system.chip.device_class == "wafer":
        plan = {}
    results = serve(load_model(row.text("model") or ""), system, serving, [batch or 1], plan,
                    row.int("count"), search=search)
    return results[0]


def predict(row: Record, result: InferResult) -> float:
    """The row's metric from a serving result."""
    metric = row.text("metric")
    output = row.int("output_tokens") or DEFAULT_TOKENS
    values = {"ttft_s": result.ttft_s, "tpot_s": result.tpot_s,
              "user_tokens_per_s": result.user_tokens_per_s,
              "throughput_tokens_per_s": result.throughput_tokens_per_s,
              "e2e_latency_s": result.ttft_s + (output - 1) * result.tpot_s}
    if metric not in values:
        raise ConfigError(f"row {row.id}: serving metric {metric!r} is not one of {', '.join(values)}")
    return values[metric]
