"""Wafer clusters serve replicas of the shortest pipeline that holds the model (Cerebras: Llama
3.1 70B on four CS-3 per copy); `serve` keeps the wafers `infer` picks."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import wafersim
from wafersim.errors import InfeasiblePlan


def test_64_wafers_serve_16_replicas_of_the_4_wafer_70b_pipeline(catalog):
    one = wafersim.infer("llama-3.1-70b", "cs-3", catalog=catalog)
    many = wafersim.infer("llama-3.1-70b", "cs-3-cluster-2048", count=64, batch=16, catalog=catalog)
    assert (one.plan.pipeline_wafers, one.plan.replicas) == (4, 1)
    assert (many.plan.pipeline_wafers, many.plan.replicas, many.devices) == (4, 16, 64)
    assert many.plan.per_replica_batch == 1 and many.to_json()["replicas"] == 16
    assert many.tpot_s == pytest.approx(one.tpot_s)  # a user sees one replica
    assert many.throughput_tokens_per_s == pytest.approx(16 * one.throughput_tokens_per_s)
    # energy per token of 16 wafer sets each serving one request: one set's, plus the second
    # switch tier 64 wafers' links need (one set's 48 links fit one switch)
    assert one.energy_per_token_J < many.energy_per_token_J < 1.1 * one.energy_per_token_J


def test_wafers_beyond_whole_pipelines_are_left_idle_and_said(catalog):
    r = wafersim.infer("llama-3.1-70b", "cs-3", count=66, catalog=catalog)
    assert (r.plan.replicas, r.plan.idle_wafers, r.devices) == (16, 2, 64)
    assert any("2 of 66 wafers left idle" in n for n in r.assumptions)


def test_a_fixed_pipeline_length_sets_the_replicas(catalog):
    r = wafersim.infer("llama-3.1-70b", "cs-3", count=64, pipeline_wafers=8, catalog=catalog)
    assert (r.plan.pipeline_wafers, r.plan.replicas, r.plan.layers_per_wafer) == (8, 8, 10)


def test_a_batch_the_replicas_cannot_hold_lengthens_the_pipeline_and_says_so(catalog):
    r = wafersim.infer("llama-3.1-70b", "cs-3", count=64, batch=64, catalog=catalog)
    assert r.plan.pipeline_wafers > 4 and r.plan.per_replica_batch * r.plan.replicas >= 64
    assert any("the fewest that hold llama-3.1-70b are 4" in n for n in r.assumptions)


@pytest.mark.parametrize(("model", "wafers"), [("llama-3.1-8b", 1), ("llama-3.1-70b", 4)])
def test_serve_runs_on_the_wafers_infer_picks(catalog, model, wafers):
    static = wafersim.infer(model, "cs-3", catalog=catalog)
    run = wafersim.simulate_serving(model, "cs-3", requests=200, catalog=catalog)
    assert static.devices == run.devices == wafers
    assert run.plan.pipeline_wafers == static.plan.pipeline_wafers
    assert any("the rest queue" in n for n in run.assumptions)


def test_serve_on_a_cluster_fills_replicas(catalog):
    run = wafersim.simulate_serving("llama-3.1-70b", "cs-3", requests=64, count=64,
                                    catalog=catalog)
    assert (run.plan.pipeline_wafers, run.plan.replicas, run.devices) == (4, 16, 64)


@pytest.mark.parametrize("args", [
    ("--pipeline-wafers", "3"),                       # 70B needs 4 per pipeline
    ("--pipeline-wafers", "0"),
    ("--count", "6", "--pipeline-wafers", "8"),       # longer than the wafers given
    ("--count", "4", "--pipeline-wafers", "4", "--batch", "64"),
])
def test_bad_pipeline_lengths_are_one_line_errors(cli, args):
    run = cli("infer", "--model", "llama-3.1-70b", "--system", "cs-3", *args)
    assert run.code == 2 and run.err.count("\n") == 1 and "--" in run.err


def test_pipeline_wafers_on_an_hbm_system_is_refused(cli):
    run = cli("serve", "--model", "llama-3.1-8b", "--system", "dgx-h100", "--pipeline-wafers", "2")
    assert run.code == 2 and "applies to wafer systems" in run.err and run.err.count("\n") == 1


@given(st.integers(min_value=4, max_value=200), st.integers(min_value=1, max_value=64))
def test_replicas_fill_the_wafers_and_add_up(catalog, wafers, batch):
    try:
        r = wafersim.infer("llama-3.1-70b", "cs-3", count=wafers, batch=batch, catalog=catalog)
    except InfeasiblePlan:
        return
    p = r.plan
    assert p.replicas * p.pipeline_wafers + p.idle_wafers == wafers and p.idle_wafers >= 0
    assert p.idle_wafers < p.pipeline_wafers
    one = wafersim.infer("llama-3.1-70b", "cs-3", pipeline_wafers=p.pipeline_wafers,
                         batch=p.per_replica_batch, catalog=catalog)
    assert r.tpot_s == pytest.approx(one.tpot_s)
    per_request = one.throughput_tokens_per_s / p.per_replica_batch
    assert r.throughput_tokens_per_s == pytest.approx(batch * per_request)
    if batch % p.replicas == 0:
        assert r.throughput_tokens_per_s == pytest.approx(p.replicas * one.throughput_tokens_per_s)
    assert math.isclose(sum(r.decode_breakdown.values()), r.tpot_s)
