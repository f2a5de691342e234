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
    `seq_len` tokens, a forward pass over `eval_tokens` held-out tokens; `skipped` evaluations at
    the start (a count, or "floor(0.125 * global_batch + 2)" where the rule depends on the batch)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    eval_every_sequences: int
    seq_len: int
    eval_tokens: int
    skipped: int | str
    source: str
    tag: str

    def evaluation(self, global_batch: int) -> EvalSchedule:
        return EvalSchedule(self.eval_every_sequences * self.seq_len, self.eval_tokens,
                          self._skipped(global_batch))

    def _skipped(self, global_batch: int) -> int:
        if isinstance(self.skipped, int):
            return self.skipped
        # MLPerf llama2_70b_lora: "Skipping first FLOOR(0.125*global_batch_size+2) evaluations"
        return math.floor(0.125 * global_batch + 2)


@lru_cache(maxsize=1)
def benchmarks() -> dict[str, Benchmark]:
    text = resources.files("wafersim.validate").joinpath("data/benchmarks.yaml").read_text()
    return {key: Benchmark(**value) for key, value in yaml.safe_load(text).items()}


def evaluation_of(benchmark: str | None, global_batch: int | None, row_id: str) -> EvalSchedule | None:
    """The evaluations a row's benchmark times with its training (None without a benchmark)."""
    if benchmark is None:
        return None
    known = benchmarks()
    if benchmark not in known:
        raise ConfigError(f"row {row_id}: benchmark {benchmark!r} is not one of "
                          f"{', '.join(sorted(known))} (validate/data/benchmarks.yaml)")
    return known[benchmark].evaluation(global_batch or 1)
