"""Predict a published training figure: build the workload a row describes and run `train`.

Empty plan fields are searched, filled ones fixed. The attention kernel is the row's
`attention_kernel` column (eager for runs before FlashAttention, mid-2022); a row that leaves it
empty runs flash attention, what every current framework uses. A row without a count (whole-run
device-hours, where the metric is per device) runs on 1,024 devices. A row naming a benchmark
(MLPerf) times the evaluations its rules schedule with the training (`benchmarks.py`).
Device-hours of whole production runs include the time lost to failures, restarts and
checkpoints at the run's scale (`cost/kernels/failures.py`); MLPerf times and step rates do not.
The row's framework sets the formats of its data-parallel collectives and, where the catalog
has it as a `Framework`, its speed over the chip's default framework (`frameworks.py`). The
row's `recipe` sets the step's CUDA graphs and expert GEMM path and fixes the all-to-all overlap
and virtual stages it names (`recipes.py`).
"""

from __future__ import annotations

from wafersim.catalog import Catalog, load_catalog
from wafersim.cost.backends import train
from wafersim.cost.train.result import TrainResult
from wafersim.cost.train.scenario import TrainScenario, default_seq_len
from wafersim.errors import ConfigError
from wafersim.models import load_model
from wafersim.validate.benchmarks import schedule_of
from wafersim.validate.frameworks import framework_of, wire_of
from wafersim.validate.records import Record

DEFAULT_WHOLE_RUN_DEVICES = 1024  # assumption: device-hours rows without a count


def attention_of(row: Record) -> str:
    """The row's attention kernel; flash where the row names none."""
    return row.attention_kernel or "flash"


def run(row: Record, catalog: Catalog | None = None) -> TrainResult:
    """The training result for the workload `row` describes."""
    tokens = row.tokens or 1e12  # only whole-run metrics need the real figure
    count = row.count or DEFAULT_WHOLE_RUN_DEVICES
    cat = catalog or load_catalog()
    ts = TrainScenario.of(cat, row.model or "", row.system, tokens, count,
                          row.global_batch, row.seq_len, row.precision or "bf16",
                          constraints=row.constraints(), recompute=row.recompute or "auto",
                          attention=attention_of(row), finetune=row.finetune,
                          evaluation=schedule_of(row.benchmark, row.global_batch, row.id),
                          wire=wire_of(row), framework=framework_of(row, cat),
                          recipe=row.recipe.step if row.recipe else None)
    return train(ts)


def predict(row: Record, result: TrainResult) -> float:
    """The row's metric from a training result."""
    metric = row.metric
    if metric == "hw_flops_per_device":
        model = load_model(result.model)
        seq = row.seq_len or default_seq_len(model)
        ratio = (model.training_flops_per_token(seq, result.plan.recompute)
                 / model.training_flops_per_token(seq))
        return result.flops_per_s_per_device * ratio
    simple = {"device_hours": result.production_device_hours, "time_to_train_s": result.compute_time_s,
              "step_time_s": result.step_time_s, "mfu": result.mfu,
              "flops_per_device": result.flops_per_s_per_device, "tokens_per_s": result.tokens_per_s}
    if metric not in simple:
        raise ConfigError(f"row {row.id}: training metric {metric!r} is not one of "
                          f"{', '.join(['hw_flops_per_device', *simple])}")
    return simple[metric]
