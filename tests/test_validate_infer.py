"""How a published serving row becomes a workload: batch caps, KV format, datasets, decode pools."""

import pytest

from wafersim.errors import ConfigError
from wafersim.validate import infer
from wafersim.validate.records import Record


def row(**fields):
    base = {"id": "X", "kind": "infer", "system": "h100-sxm", "count": "8", "model": "llama-2-70b",
            "precision": "fp8", "metric": "throughput_tokens_per_s", "value": "1000"}
    return Record(**(base | fields))


def test_eight_bit_stacks_keep_an_eight_bit_kv_cache():
    assert infer.serving_of(row(precision="fp8")).kv_precision == "fp8"
    assert infer.serving_of(row(precision="fp4")).kv_precision == "fp8"
    assert infer.serving_of(row(precision="int4")).kv_precision == "bf16"
    assert infer.serving_of(row(precision="bf16")).kv_precision == "bf16"


def test_dataset_named_in_notes_gives_its_mean_lengths():
    s = infer.serving_of(row(notes="MLPerf llama2-70b-99, OpenOrca subset"))
    assert (s.input_tokens, s.output_tokens) == (222, 294)
    s = infer.serving_of(row(notes="synthetic", input_tokens=128, output_tokens=8))
    assert (s.input_tokens, s.output_tokens) == (128, 8)
    assert infer.serving_of(row()).input_tokens == infer.DEFAULT_TOKENS


def test_published_batch_past_the_kv_cache_runs_at_capacity(catalog):
    big = row(tp=2, batch=100_000, input_tokens=1000, output_tokens=1000)
    result = infer.run(big, catalog)
    assert 1 <= result.batch < 100_000 and result.batch == result.max_batch


def test_decode_pool_is_requests_over_tpot(catalog):
    pool = row(batch=64, input_tokens=4096)
    assert infer.decode_pool(pool) and infer.serving_of(pool).output_tokens == 1
    result = infer.run(pool, catalog)
    assert infer.predict(pool, result) == pytest.approx(result.batch / result.tpot_s)
    assert not infer.decode_pool(row(batch=64, input_tokens=4096, output_tokens=100))


def test_batch_is_per_replica_when_the_row_gives_dp(catalog):
    result = infer.run(row(tp=2, dp=4, batch=16, input_tokens=512, output_tokens=128), catalog)
    assert result.batch == 64 and result.plan.degrees.replicas == 4 and result.plan.degrees.pp == 1
    assert infer.run(row(tp=8, batch=16, input_tokens=512, output_tokens=128), catalog).batch == 16


def test_model_forward_step_times_leave_out_the_serving_stack(catalog):
    step = row(metric="tpot_s", tp=8, batch=1, input_tokens=512, output_tokens=128,
               notes="decode step time (model forward only, no serving overhead)")
    served = row(metric="tpot_s", tp=8, batch=1, input_tokens=512, output_tokens=128)
    result = infer.run(step, catalog)
    kernel = result.tpot_s - result.decode_breakdown["serving_stack"]
    assert infer.predict(step, result) == pytest.approx(kernel)
    assert infer.predict(served, result) == pytest.approx(result.tpot_s)


def test_speculative_column_names_mtp_and_its_acceptance():
    assert infer.speculative_of(row()) is None
    assert infer.speculative_of(row(speculative="mtp:1:rate=0.7")).acceptance == pytest.approx(0.7)
    by_length = infer.speculative_of(row(speculative="mtp:3:len=2.59"))
    assert by_length.lookahead == 3 and by_length.tokens_per_step == pytest.approx(2.59)
    assert infer.speculative_of(row(speculative="mtp:2")).acceptance == infer.MTP_ACCEPTANCE
    with pytest.raises(ConfigError, match="mtp:K"):
        infer.speculative_of(row(speculative="eagle:3"))


def test_a_row_with_requests_replays_the_benchmark_run(catalog):
    import wafersim
    fields = dict(batch=16, input_tokens=512, output_tokens=128, requests=64, tp=8)
    replayed = row(**fields)
    sim = wafersim.simulate_serving("llama-2-70b", "h100-sxm", requests=64, concurrency=16,
                                    input_tokens=512, output_tokens=128, precision="fp8",
                                    kv_precision="fp8", count=8, tp=8, catalog=catalog)
    assert infer.predict_row(replayed, catalog) == pytest.approx(sim.throughput_tokens_per_s)
    ttft = row(**fields | {"metric": "ttft_s", "prefill_tokens": 512})
    assert infer.predict_row(ttft, catalog) < sim.ttft_s["mean"]  # one prompt per iteration
    with pytest.raises(ConfigError, match="needs output_tokens"):
        infer.predict_row(row(batch=16, input_tokens=512, requests=64), catalog)


def test_a_replayed_row_is_read_as_a_replay_whatever_its_notes_say(catalog):
    fields = dict(batch=16, input_tokens=512, output_tokens=128, requests=64, tp=8, metric="tpot_s")
    replayed = infer.predict_row(row(**fields), catalog)  # a replay has no kernel-level breakdown
    assert infer.predict_row(row(**fields, notes=infer.KERNEL_ONLY), catalog) == replayed


def test_a_row_without_a_count_runs_on_the_fewest_whole_nodes_that_hold_it(catalog):
    # one Groq LPU holds 230 MB: an 8 GB model needs 40 on average, but no split over 40-56 chips
    # leaves every chip under its SRAM, so the row runs on 64 (eight 8-chip nodes)
    from wafersim.validate.records import read
    from wafersim.validate.run import validate
    row = next(r for r in read() if r.id == "I041")
    assert row.count is None
    (outcome,) = validate([row], ("infer",), catalog)
    assert outcome.status == "ok" and outcome.predicted > 0
