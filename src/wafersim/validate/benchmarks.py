"""Benchmarks a validation row may name (`benchmark` column): the evaluation schedule their rules
give, so a timed run includes its evaluations (data/benchmarks.yaml, each entry sourced)."""

from __future__ import annotations

import math
from functools import lru_cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict

from wafersim.cost.train.evaluation import EvalSchedule
from wafersim.errors import ConfigError


class Benchmark(BaseModel):
    """One benchmark's evaluation rule: every `eval_every_sequences` trained sequences of
    `seq_len` tokens, a forward pass over `eval_tokens` held-out tokens; the first
    floor(`skipped_per_batch_sequence` x global batch + `skipped`) evaluations are not run (MLPerf
    llama2_70b_lora: "Skipping first FLOOR(0.125*global_batch_size+2) evaluations")."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    eval_every_sequences: int
    seq_len: int
    eval_tokens: int
    skipped: int = 0
    skipped_per_batch_sequence: float = 0.0
    source: str
    tag: str

    def evaluation(self, global_batch: int) -> EvalSchedule:
        skipped = math.floor(self.skipped_per_batch_sequence * global_batch + self.skipped)
        return EvalSchedule(self.eval_every_sequences * self.seq_len, self.eval_tokens, skipped)


@lru_cache(maxsize=1)
def benchmarks() -> dict[str, Benchmark]:
    text = resources.files("wafersim.validate").joinpath("data/benchmarks.yaml").read_text()
    return {key: Benchmark(**value) for key, value in yaml.safe_load(text).items()}


def schedule_of(benchmark: str | None, global_batch: int | None, row_id: str) -> EvalSchedule | None:
    """The evaluations a row's benchmark times with its training (None without a benchmark)."""
    if benchmark is None:
        return None
    known = benchmarks()
    if benchmark not in known:
        raise ConfigError(f"row {row_id}: benchmark {benchmark!r} is not one of "
                          f"{', '.join(sorted(known))} (validate/data/benchmarks.yaml)")
    return known[benchmark].evaluation(global_batch or 1)
