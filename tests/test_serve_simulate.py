"""The serving simulator end to end: it agrees with layer 1 where both apply, and adds the rest."""

import json

import pytest

import wafersim
from wafersim.errors import ConfigError


def _run(catalog, **kw):
    args = dict(requests=256, concurrency=64, input_tokens=1024, output_tokens=256, count=1,
                catalog=catalog) | kw
    return wafersim.simulate_serving("llama-3-8b", "h100-sxm", **args)


def test_synchronised_waves_reproduce_the_static_batch_of_layer_1(catalog):
    # fixed lengths and a burst: each wave of 64 prefills then decodes together, as layer 1 assumes
    r = _run(catalog, prefill_tokens=64 * 1024)
    layer1 = wafersim.infer("llama-3-8b", "h100-sxm", batch=64, input_tokens=1024,
                            output_tokens=256, count=1, catalog=catalog)
    assert r.steady_state["throughput_tokens_per_s"] == pytest.approx(layer1.throughput_tokens_per_s)
    assert r.throughput_tokens_per_s == pytest.approx(layer1.throughput_tokens_per_s, rel=0.02)
    assert r.ttft_s["mean"] == pytest.approx(layer1.ttft_s, rel=0.02)


def test_smaller_prefill_budget_lowers_mean_ttft_but_not_the_work(catalog):
    big, small = _run(catalog, prefill_tokens=64 * 1024), _run(catalog, prefill_tokens=4096)
    assert small.ttft_s["mean"] < big.ttft_s["mean"]
    assert small.ttft_s["p99"] == pytest.approx(big.ttft_s["p99"], rel=0.15)


def test_below_saturation_throughput_is_the_arrival_rate(catalog):
    r = _run(catalog, requests=400, concurrency=None, rate_per_s=2.0, seed=5)
    assert r.request_throughput_per_s == pytest.approx(2.0, rel=0.1)
    assert r.pools["engine"]["idle"] > 0
    assert r.ttft_s["p50"] < 0.5


def test_same_inputs_same_bytes(catalog):
    a = _run(catalog, range_ratio=0.3, seed=11, rate_per_s=50.0)
    b = _run(catalog, range_ratio=0.3, seed=11, rate_per_s=50.0)
    assert json.dumps(a.to_json()) == json.dumps(b.to_json())


def test_wafer_systems_and_disaggregated_pools_run(catalog):
    cs3 = wafersim.simulate_serving("llama-3.1-8b", "cs-3", requests=32, concurrency=8,
                                    catalog=catalog)
    assert cs3.plan.kind == "sram_resident" and set(cs3.pools) == {"engine"}
    split = wafersim.simulate_serving("llama-3-8b", "h100-sxm", requests=64, concurrency=32,
                                      input_tokens=1024, output_tokens=128, count=4,
                                      disaggregate="2:2", catalog=catalog)
    assert set(split.pools) == {"prefill_pool", "decode_pool"}
    assert split.ttft_s["mean"] > split.steady_state["ttft_s"]  # the burst queues for prefill
    for parts in split.pools.values():
        assert sum(parts.values()) == pytest.approx(split.duration_s)


def test_a_concurrency_beyond_the_kv_cache_runs_at_its_capacity(catalog):
    r = wafersim.simulate_serving("llama-3.1-70b", "h100-sxm", requests=600, concurrency=500,
                                  input_tokens=4096, output_tokens=64, count=2, catalog=catalog)
    assert r.steady_state["batch"] < 500
    assert r.mean_concurrency <= 500


def test_bad_prefill_budget_is_a_one_line_error(catalog):
    with pytest.raises(ConfigError, match="prefill_tokens=0"):
        _run(catalog, prefill_tokens=0)


def test_cli_serve_prints_and_emits_json(cli):
    args = ("serve", "--model", "llama-3-8b", "--system", "h100-sxm", "--count", "1",
            "--requests", "64", "--concurrency", "16", "--output-tokens", "128")
    table = cli(*args)
    assert table.code == 0, table.err
    assert "time to first token" in table.out and "engine:" in table.out
    data = cli(*args, "--json").json()
    assert {"duration_s", "throughput_tokens_per_s", "ttft_s", "tpot_s", "pools", "plan",
            "steady_state", "mean_concurrency"} <= set(data)
    assert data["requests"] == 64 and data["output_tokens"] == 64 * 128


@pytest.mark.parametrize("flags, message", [
    (("--requests", "0"), "--requests 0"), (("--rate", "-1"), "--rate -1"),
    (("--range-ratio", "2"), "--range-ratio 2"), (("--disaggregate", "1:1", "--count", "4"), "--count 4"),
    (("--system", "nope-9000"), "nope-9000"),
])
def test_cli_serve_bad_input_exits_2(cli, flags, message):
    base = ["serve", "--model", "llama-3-8b", "--system", "h100-sxm"]
    if flags[0] == "--system":
        base = base[:-2]
    run = cli(*base, *flags)
    assert run.code == 2 and message in run.err and "Traceback" not in run.err
    assert run.err.count("\n") == 1
