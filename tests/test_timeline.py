"""The run's timeline as a Chrome / Perfetto trace: its shape, one process per replica, atomic."""

import json
import math

import pytest

import wafersim
from wafersim.errors import ParameterError
from wafersim.serve.engine import Request
from wafersim.serve.timeline import Timeline


def _check_shape(trace):
    events = trace["traceEvents"]
    assert isinstance(events, list) and events
    for e in events:
        assert e["ph"] in {"X", "i", "C", "M"} and isinstance(e["pid"], int)
        if e["ph"] == "X":
            assert all(isinstance(e[k], (int, float)) for k in ("ts", "dur", "pid", "tid"))
            assert e["dur"] >= 0 and set(e["args"]) == {"batch", "tokens"}
        if e["ph"] == "C":
            assert e["args"] and all(isinstance(v, (int, float)) and math.isfinite(v)
                                     for v in e["args"].values())
    return events


def test_a_fleet_run_writes_one_process_per_replica(catalog, tmp_path):
    path = tmp_path / "t.json"
    r = wafersim.simulate_serving("llama-3-8b", "h100-sxm", requests=200, rate_per_s=20.0,
                                  input_tokens=1024, output_tokens=64, count=1, replicas=3,
                                  router="least-tokens", trace=path, catalog=catalog)
    events = _check_shape(json.loads(path.read_text()))
    assert {e["pid"] for e in events if e["ph"] == "X"} == {0, 1, 2}
    assert {e["name"] for e in events if e["ph"] == "X"} == {"prefill", "decode"}
    assert {e["args"]["name"] for e in events if e["name"] == "process_name"} == {
        "replica 0", "replica 1", "replica 2"}
    prefilled = sum(e["args"]["tokens"] for e in events if e["name"] == "prefill")
    assert prefilled == r.input_tokens
    last = max(e["ts"] + e["dur"] for e in events if e["ph"] == "X")
    assert last == pytest.approx(r.duration_s * 1e6)
    assert [p.name for p in tmp_path.iterdir()] == ["t.json"]  # no temporary file left


def test_disaggregated_pools_are_two_threads_of_a_replica(catalog, tmp_path):
    path = tmp_path / "split.json"
    wafersim.simulate_serving("llama-3-8b", "h100-sxm", requests=40, concurrency=16,
                              input_tokens=1024, output_tokens=32, count=4, disaggregate="2:2",
                              replicas=2, trace=path, catalog=catalog)
    events = _check_shape(json.loads(path.read_text()))
    threads = {(e["pid"], e["args"]["name"]) for e in events if e["name"] == "thread_name"}
    assert threads == {(p, pool) for p in (0, 1) for pool in ("prefill_pool", "decode_pool")}


def test_preemptions_and_kv_use_are_events_in_microseconds():
    timeline = Timeline()
    track = timeline.track(0, "engine")
    track.kv(0.5, 1000, 4000)
    track.preempted(0.25, Request(7, 10, 10))
    events = _check_shape(timeline.to_json())
    kv = next(e for e in events if e["ph"] == "C")
    assert kv["ts"] == 5e5 and kv["args"] == {"used": 1000, "capacity": 4000}
    instant = next(e for e in events if e["ph"] == "i")
    assert instant["ts"] == 2.5e5 and instant["args"] == {"request": 7}


def test_an_unwritable_trace_path_is_refused_before_the_run(catalog, tmp_path):
    with pytest.raises(ParameterError, match="does not exist"):
        wafersim.simulate_serving("llama-3-8b", "h100-sxm", requests=10, count=1,
                                  trace=tmp_path / "missing" / "t.json", catalog=catalog)
    with pytest.raises(ParameterError, match="is a folder"):
        wafersim.simulate_serving("llama-3-8b", "h100-sxm", requests=10, count=1,
                                  trace=tmp_path, catalog=catalog)
