"""Periodic evaluation: forward passes over a held-out set, timed with the training run."""

from __future__ import annotations

import math

import pytest

import wafersim
from wafersim import EvalSchedule
from wafersim.errors import ParameterError
from wafersim.validate.benchmarks import benchmarks

GPT3 = dict(model="gpt3-175b", system="dgx-h100", count=512, tokens=1_245_708_288,
            global_batch=2304, seq_len=2048)


def test_evaluations_fall_at_every_whole_interval_less_the_skipped():
    assert EvalSchedule(100, 10).count(1_000) == 10
    assert EvalSchedule(100, 10).count(999) == 9
    assert EvalSchedule(100, 10, skipped=3).count(1_000) == 7
    assert EvalSchedule(100, 10, skipped=30).count(1_000) == 0


@pytest.mark.parametrize("every, tokens", [(0, 1), (1, -1), (math.inf, 1), (1, math.nan)])
def test_an_evaluation_needs_positive_finite_token_counts(every, tokens):
    with pytest.raises(ParameterError):
        EvalSchedule(every, tokens)


def test_the_run_time_adds_the_evaluations_and_its_breakdown_adds_up():
    plain = wafersim.train(**GPT3)
    evaluated = wafersim.train(**GPT3, evaluation=EvalSchedule(24576 * 2048, 11_590_004))
    assert evaluated.step_time_s == plain.step_time_s
    assert evaluated.compute_time_s > plain.compute_time_s
    assert math.isclose(sum(evaluated.run_breakdown.values()), evaluated.compute_time_s)
    assert evaluated.energy_J > plain.energy_J
    assert any("evaluations" in note for note in evaluated.assumptions)


def test_an_evaluation_costs_a_forward_pass_at_the_training_rate():
    r = wafersim.train(**GPT3, evaluation=EvalSchedule(24576 * 2048, 11_590_004))
    per_token = r.step_time_s / r.tokens_per_step
    forward_share = 1 / 3  # forward of forward + backward, the LM head and attention alike
    evals = math.floor(GPT3["tokens"] / (24576 * 2048))
    assert r.evaluation_s == pytest.approx(evals * 11_590_004 * per_token * forward_share, rel=0.02)


def test_mlperf_gpt3_evaluations_take_what_the_logged_run_took():
    """NVIDIA's 512-GPU MLPerf v4.0 gpt3 run (eos_n64, result_0: MLLOG eval_start/eval_stop)
    spent 269 s in 24 evaluations of its 3,148 s run. Costed at the training rate they take
    about 190 s: the logged forward passes ran about 1.4x slower per token than training (no
    backward to overlap communication with), a gap the model leaves (docs/validation.md)."""
    bench = benchmarks()["mlperf-gpt3"]
    r = wafersim.train(**GPT3, precision="fp8", evaluation=bench.evaluation(GPT3["global_batch"]))
    assert r.evaluation_s == pytest.approx(268.9, rel=0.35)


def test_the_lora_benchmark_skips_its_first_evaluations_by_the_batch():
    bench = benchmarks()["mlperf-llama2-70b-lora"]
    assert bench.evaluation(8).skipped == 3
    assert bench.evaluation(128).skipped == 18
    assert bench.evaluation(8).every_tokens == 384 * 8192


def test_a_row_naming_an_unknown_benchmark_is_refused():
    from wafersim.errors import ConfigError
    from wafersim.validate.benchmarks import schedule_of
    with pytest.raises(ConfigError, match="not one of"):
        schedule_of("mlperf-nope", 8, "T999")


def test_the_405b_benchmark_evaluates_every_46080_sequences_from_the_first():
    """MLPerf llama31_405b: first eval_start at samples_count 46080 in NVIDIA's v5.0 eos-dfw_n64
    log, so none is skipped; 5,760 sequences of 8192 tokens each time."""
    schedule = benchmarks()["mlperf-llama31-405b"].evaluation(1152)
    assert (schedule.every_tokens, schedule.tokens, schedule.skipped) == (46080 * 8192, 5760 * 8192, 0)
