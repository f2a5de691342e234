"""Several models resident together on one set of wafers (C19): the fewest wafers holding all
their weights and KV caches, each model on its own share of the PEs with its own figures."""

import pytest

import wafersim

BOTH = "llama-3.1-8b,llama-3.1-70b"


def test_two_models_share_the_fewest_wafers_that_hold_both(catalog):
    r = wafersim.infer_models(BOTH, "cs-3", catalog=catalog)
    assert (r.devices, r.plan.replicas) == (5, 1)  # 4 hold the 70B alone, not the 8B beside it
    assert [m.model for m in r.models] == ["llama-3.1-8b", "llama-3.1-70b"]
    shares = [p.pe_share for p in r.plan.models]
    assert sum(shares) == pytest.approx(1) and shares[0] < shares[1]
    alone = wafersim.infer("llama-3.1-8b", "cs-3", catalog=catalog)
    assert r.models[0].tpot_s > alone.tpot_s  # a tenth of five wafers' PEs, not a whole wafer
    assert r.throughput_tokens_per_s == pytest.approx(
        sum(m.throughput_tokens_per_s for m in r.models))


def test_json_has_one_entry_per_model_and_the_shared_totals(cli):
    run = cli("infer", "--model", BOTH, "--system", "cs-3", "--json")
    assert run.code == 0, run.err
    data = run.json()
    assert {"devices", "replicas", "memory", "energy_per_token_J", "models"} <= set(data)
    assert [m["model"] for m in data["models"]] == BOTH.split(",")
    for m in data["models"]:
        assert {"ttft_s", "tpot_s", "user_tokens_per_s", "throughput_tokens_per_s", "batch",
                "plan"} <= set(m) and m["plan"]["pe_share"] < 1


def test_sets_replicate_over_a_cluster(catalog):
    r = wafersim.infer_models(BOTH, "cs-3", count=64, catalog=catalog)
    assert (r.plan.pipeline_wafers, r.plan.replicas, r.plan.idle_wafers) == (5, 12, 4)


def test_energy_splits_the_wafers_power_by_pe_share(catalog):
    r = wafersim.infer_models(BOTH, "cs-3", catalog=catalog)
    one = wafersim.infer("llama-3.1-70b", "cs-3", count=5, pipeline_wafers=5, catalog=catalog)
    power = one.energy_per_token_J * one.throughput_tokens_per_s  # five wafers, J/s
    assert r.energy_per_token_J * r.throughput_tokens_per_s == pytest.approx(power)


@pytest.mark.parametrize(("args", "words"), [
    (("--model", "llama-3.1-8b,nope"), "nope"),
    (("--model", "llama-3.1-8b,llama-3.1-8b"), "twice"),
    (("--model", "llama-3.1-8b,,llama-3.1-70b"), "item 2 is empty"),
    (("--model", BOTH, "--count", "4"), "needs 5 wafers"),
    (("--model", BOTH, "--pipeline-wafers", "4"), "needs 5 wafers"),
    (("--model", BOTH, "--system", "dgx-h100"), "modelled on wafer systems"),
    (("--model", BOTH, "--max-throughput"), "--max-throughput"),
    (("--model", BOTH, "--draft", "gpt3-125m"), "--draft"),
    (("--model", BOTH, "--batch", "1,8"), "--batch"),
])
def test_bad_model_sets_are_one_line_errors(cli, args, words):
    base = ("--system", "cs-3") if "--system" not in args else ()
    run = cli("infer", *base, *args)
    assert run.code == 2 and run.err.count("\n") == 1 and words in run.err, run.err


def test_serve_splits_requests_by_mix_with_a_queue_per_model(catalog):
    r = wafersim.api.simulate_serving_models(BOTH, "cs-3", requests=40, mix=[3, 1],
                                             catalog=catalog)
    assert [m.requests for m in r.models] == [30, 10] and r.devices == 5
    assert r.duration_s == max(m.duration_s for m in r.models)
    assert r.throughput_tokens_per_s == pytest.approx(
        sum(m.output_tokens for m in r.models) / r.duration_s)


def test_serve_json_has_per_model_runs(cli):
    run = cli("serve", "--model", BOTH, "--system", "cs-3", "--requests", "20", "--json")
    assert run.code == 0, run.err
    data = run.json()
    assert [m["model"] for m in data["models"]] == BOTH.split(",") and data["replicas"] == 1


@pytest.mark.parametrize(("args", "words"), [
    (("--model", BOTH, "--mix", "1"), "one per model"),
    (("--model", BOTH, "--mix", "1,-1"), "positive"),
    (("--model", "llama-3.1-8b", "--mix", "1,1"), "--model a,b"),
    (("--model", BOTH, "--draft", "gpt3-125m"), "--draft"),
    (("--model", BOTH, "--count", "4"), "needs 5 wafers"),
])
def test_bad_serve_model_sets_are_one_line_errors(cli, args, words):
    run = cli("serve", "--system", "cs-3", "--requests", "20", *args)
    assert run.code == 2 and run.err.count("\n") == 1 and words in run.err, run.err
