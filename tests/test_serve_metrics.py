"""The serving figures: p90, queueing delay, SLO attainment and goodput, KV utilisation,
preemptions, and throughput at saturation against layer 1."""

import math

import numpy as np
import pytest

from wafersim import api
from wafersim.catalog import load_catalog
from wafersim.serve.engine import Request
from wafersim.serve.observe import Fanout, Recorder
from wafersim.serve.result import Slo, summarise

CATALOG = load_catalog()


def _done(i, sent, scheduled, first, finish, out):
    return Request(i, 10, out, sent_s=sent, first_token_s=first, finish_s=finish,
                   scheduled_s=scheduled)


def test_queueing_delay_p90_and_the_slo_by_hand():
    reqs = [_done(0, 0.0, 0.0, 0.1, 1.1, 11),  # ttft 0.1, tpot 0.1
            _done(1, 0.0, 0.5, 0.6, 1.6, 11),  # ttft 0.6, tpot 0.1
            _done(2, 1.0, 1.0, 1.2, 4.2, 11),  # ttft 0.2, tpot 0.3
            _done(3, 1.0, 1.5, 1.6, 1.6, 1)]  # ttft 0.6, one token: no tpot
    f = summarise(reqs, {}, slo=Slo(ttft_s=0.5, tpot_s=0.2))
    assert f["queue_s"]["mean"] == pytest.approx(0.25)
    assert f["ttft_s"]["p90"] == pytest.approx(np.percentile([0.1, 0.6, 0.2, 0.6], 90))
    assert f["slo_attainment"] == pytest.approx(0.25)  # only request 0 meets both
    assert f["goodput_requests_per_s"] == pytest.approx(1 / 4.2)
    only_tpot = summarise(reqs, {}, slo=Slo(tpot_s=0.2))
    assert only_tpot["slo_attainment"] == pytest.approx(0.75)  # the one-token request passes


def test_the_recorder_weights_kv_use_by_time_and_counts_preemptions():
    rec, other = Recorder(), Recorder()
    fan = Fanout(rec, other)
    fan.kv(0.0, 50, 100)
    fan.kv(1.0, 100, 100)
    fan.kv(3.0, 0, 100)
    fan.preempted(2.0, Request(0, 1, 1))
    assert rec.utilisation(4.0) == {"mean": pytest.approx((0.5 + 2.0) / 4), "peak": 1.0}
    assert rec.preemptions == other.preemptions == 1


def test_a_run_reports_every_figure_and_keeps_the_old_keys():
    r = api.simulate_serving("llama-3.1-8b", "dgx-h100", requests=200, rate_per_s=20,
                             catalog=CATALOG)
    j = r.to_json()
    for key in ("ttft_s", "tpot_s", "latency_s", "mean_concurrency", "pools", "steady_state"):
        assert key in j
    for key in ("ttft_s", "tpot_s", "latency_s", "queue_s"):
        assert set(j[key]) == {"mean", "p50", "p90", "p99"}
        assert j[key]["p50"] <= j[key]["p90"] <= j[key]["p99"]
    assert 0 < j["kv_utilisation"]["mean"] <= j["kv_utilisation"]["peak"] <= 1
    assert j["preemptions"] == 0


@pytest.mark.parametrize("model,system", [("llama-3.1-8b", "dgx-h100"),
                                          ("llama-3.1-70b", "dgx-h100")])
def test_at_saturation_with_a_fixed_batch_throughput_matches_layer_1(model, system):
    """A long closed loop holding the plan's batch, equal lengths: within 5% of layer 1."""
    batch = 64
    point = api.infer(model, system, batch=batch, input_tokens=512, output_tokens=512,
                      catalog=CATALOG)
    r = api.simulate_serving(model, system, requests=batch * 40, concurrency=batch,
                             input_tokens=512, output_tokens=512, catalog=CATALOG)
    assert r.steady_state["batch"] == point.batch == batch
    assert math.isclose(r.throughput_tokens_per_s, point.throughput_tokens_per_s, rel_tol=0.05)
