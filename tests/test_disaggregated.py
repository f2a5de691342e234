"""Prefill/decode-disaggregated serving: two pools in series, each with its own plan."""

import pytest

import wafersim
from wafersim.catalog.system import resolve
from wafersim.cost.backends import serve
from wafersim.cost.infer.common import Serving
from wafersim.cost.infer.disagg import prefill_point
from wafersim.cost.infer.scenario import InferScenario
from wafersim.errors import ConfigError
from wafersim.models import load_model
from wafersim.plan.infer import Split


@pytest.fixture(scope="module")
def llama8b():
    return load_model("llama-3-8b")


def _serve(catalog, model, split, batch, **kw):
    system = resolve(catalog, "h100-sxm")
    return serve(InferScenario.of(model, system, Serving(1024, 256), disaggregate=split), [batch])[0]


def test_decode_bound_system_serves_the_decode_pool_rate(catalog, llama8b):
    r = _serve(catalog, llama8b, "2:2", 64)
    decode = wafersim.infer(llama8b, "h100-sxm", batch=64, count=2, input_tokens=1024,
                            output_tokens=256, decode_only=True, catalog=catalog)
    assert r.devices == 4 and r.plan.kind == "disaggregated"
    assert r.tpot_s == pytest.approx(decode.tpot_s)
    assert r.throughput_tokens_per_s == pytest.approx(64 / decode.tpot_s)
    assert r.plan.prefill.prompts_per_s >= 64 / (256 * decode.tpot_s)


def test_prefill_bound_system_runs_the_rate_its_prefill_pool_feeds(catalog, llama8b):
    r = _serve(catalog, llama8b, "1:7", 1024)
    rate = r.plan.prefill.prompts_per_s
    assert r.throughput_tokens_per_s == pytest.approx(rate * 256)
    assert r.batch < 1024  # the decode pool holds only the requests the prefill pool feeds
    assert r.batch / (256 * r.tpot_s) <= rate * (1 + 1e-9)


def test_breakdowns_add_up_and_ttft_counts_the_kv_transfer(catalog, llama8b):
    r = _serve(catalog, llama8b, "2:2", 16)
    assert r.prefill_breakdown["kv_transfer"] > 0
    assert sum(r.prefill_breakdown.values()) == pytest.approx(r.ttft_s)
    assert sum(r.decode_breakdown.values()) == pytest.approx(r.tpot_s)


def test_prefill_point_keeps_up_with_the_lowest_ttft(catalog, llama8b):
    pool = InferScenario.of(llama8b, resolve(catalog, "h100-sxm"), Serving(1024, 256), count=2)
    slow, fast = prefill_point(pool, demand=0.1), prefill_point(pool, demand=1e9)
    assert slow.plan.prompts_per_s >= 0.1 and fast.plan.prompts_per_s >= slow.plan.prompts_per_s
    assert sum(slow.parts.values()) <= sum(fast.parts.values())


def test_more_decode_devices_lower_tpot_at_the_same_batch(catalog):
    model = load_model("deepseek-v3")
    system = resolve(catalog, "ascend-910c")
    serving = Serving(3500, 1500, "int8", "int8")
    small, large = (serve(InferScenario.of(model, system, serving, disaggregate=Split(16, d)), [832])[0]
                    for d in (16, 32))
    assert large.tpot_s < small.tpot_s


@pytest.mark.parametrize("args, message", [
    (["--disaggregate", "16"], "PREFILL:DECODE"),
    (["--disaggregate", "0:4"], "at least 1 device"),
    (["--disaggregate", "2:2", "--count", "8"], "differs"),
    (["--disaggregate", "2:2", "--decode-only"], "drop --decode-only"),
])
def test_bad_splits_are_one_line_errors(cli, args, message):
    run = cli("infer", "--model", "llama-3-8b", "--system", "h100-sxm", *args)
    assert run.code == 2 and message in run.err and "Traceback" not in run.err


def test_wafers_reject_disaggregation(catalog):
    with pytest.raises(ConfigError, match="HBM systems"):
        wafersim.infer("llama-3.1-8b", "cs-3", disaggregate="1:1", catalog=catalog)


def test_cli_prints_both_pools(cli):
    run = cli("infer", "--model", "llama-3-8b", "--system", "h100-sxm", "--batch", "32",
              "--disaggregate", "1:1")
    assert run.code == 0, run.err
    assert "prefill: tp=1" in run.out and "decode: tp=1" in run.out


def test_a_prefill_pool_too_small_says_how_many_devices_it_needs(cli):
    run = cli("infer", "--model", "llama-3.1-405b", "--system", "h100-sxm", "--precision", "fp8",
              "--disaggregate", "1:8")
    assert run.code == 2 and "--disaggregate 6:DECODE" in run.err
