"""Serving stacks: catalog parts whose fitted parameters change serving time, checked end to end."""


import pytest

from wafersim import api
from wafersim.catalog import Quantity
from wafersim.catalog.catalog import Catalog
from wafersim.catalog.loader import parse_part
from wafersim.errors import ConfigError, SimError, UnknownIdError
from wafersim.validate import infer
from wafersim.validate.calibrate_stacks import fit_stacks, solve_row, with_parameter
from wafersim.validate.records import read, subsets

ROCM, CEREBRAS = "vllm-0.6.1-rocm", "cerebras-inference-2024-10"


@pytest.fixture(scope="module")
def rows():
    return {r.id: r for r in read()}


def _stack(catalog, stack_id, **values):
    """The catalog with the stack's quantities set to `values` (SI; booleans as they are)."""
    stack = catalog.stack(stack_id)
    update = {k: v if isinstance(v, bool) else
              Quantity(value=v, dimension="s" if k.endswith("_s") else "ratio", tag="derived",
                       source="derived") for k, v in values.items()}
    return Catalog(dict(catalog.parts) | {stack_id: stack.model_copy(update=update)},
                   catalog.sources)


def test_stacks_load_with_their_fitted_values(catalog):
    rocm, cerebras = catalog.stack(ROCM), catalog.stack(CEREBRAS)
    assert rocm.chips == ["mi300x"] and rocm.per_request_s > 0 and rocm.speedup == 1.0
    assert cerebras.chips == ["wse-3"] and cerebras.speedup > 1 and cerebras.per_request_s == 0.0
    for stack in (rocm, cerebras):
        fitted = stack.per_request_step_s or stack.speedup_ratio
        assert fitted.source == "cal-stack" and fitted.tag == "derived"


def test_unknown_stack_names_the_known_ones(catalog):
    with pytest.raises(UnknownIdError, match=f"unknown serving stack 'vllm'.*{ROCM}"):
        catalog.stack("vllm")
    with pytest.raises(UnknownIdError, match="unknown serving stack 'mi300x'"):
        catalog.stack("mi300x")  # a chip is not a stack


def test_a_stack_must_name_catalogued_chips(catalog):
    part = parse_part({"kind": "stack", "id": "x", "name": "x", "vendor": "x",
                       "chips": ["no-such-chip"]}, "x.yaml")
    with pytest.raises(ConfigError, match="chips\\[0\\]'.*no-such-chip"):
        Catalog(dict(catalog.parts) | {"x": part}, catalog.sources)


def test_per_request_cost_is_its_own_part(catalog):
    base = api.infer("llama-3-8b", "mi300x", batch=64, catalog=catalog)
    got = api.infer("llama-3-8b", "mi300x", batch=64, catalog=catalog, stack=ROCM)
    per_request = catalog.stack(ROCM).per_request_s
    assert got.decode_breakdown["per_request"] == pytest.approx(64 * per_request)
    assert got.prefill_breakdown["per_request"] == pytest.approx(64 * per_request)
    assert got.tpot_s == pytest.approx(base.tpot_s + 64 * per_request)
    assert sum(got.decode_breakdown.values()) == pytest.approx(got.tpot_s)
    assert any(ROCM in note for note in got.assumptions)


def test_speedup_divides_the_stack_time(catalog):
    base = api.infer("llama-3.1-70b", "cs-3", count=4, catalog=catalog)
    fast = api.infer("llama-3.1-70b", "cs-3", count=4, catalog=catalog, stack=CEREBRAS)
    speedup = catalog.stack(CEREBRAS).speedup
    assert fast.tpot_s == pytest.approx(base.tpot_s / speedup)
    assert fast.ttft_s == pytest.approx(base.ttft_s / speedup)
    assert sum(fast.decode_breakdown.values()) == pytest.approx(fast.tpot_s)
    for part, seconds in base.decode_breakdown.items():
        assert fast.decode_breakdown[part] == pytest.approx(seconds / speedup)


def test_speedup_below_one_slows_an_hbm_chip(catalog):
    cat = _stack(catalog, ROCM, speedup_ratio=0.5, per_request_step_s=0.0)
    base = api.infer("llama-3-8b", "mi300x", batch=8, catalog=catalog)
    slow = api.infer("llama-3-8b", "mi300x", batch=8, catalog=cat, stack=ROCM)
    assert slow.tpot_s == pytest.approx(2 * base.tpot_s)


def test_stack_on_another_chip_is_a_one_line_error(catalog, cli):
    with pytest.raises(ConfigError, match=f"stack={ROCM} runs on mi300x, not h100-sxm"):
        api.infer("llama-3-8b", "h100-sxm", catalog=catalog, stack=ROCM)
    run = cli("infer", "--model", "llama-3-8b", "--system", "h100-sxm", "--stack", ROCM)
    assert run.code == 2 and f"--stack {ROCM} runs on mi300x" in run.err and "Traceback" not in run.err
    run = cli("serve", "--model", "llama-3-8b", "--system", "mi300x", "--stack", "nope")
    assert run.code == 2 and "unknown serving stack 'nope'" in run.err


def test_serving_simulator_runs_the_stack(catalog):
    kwargs = dict(requests=64, concurrency=64, input_tokens=256, output_tokens=64, catalog=catalog)
    base = api.simulate_serving("llama-3-8b", "mi300x", **kwargs)
    slow = api.simulate_serving("llama-3-8b", "mi300x", stack=ROCM, **kwargs)
    assert slow.tpot_s["mean"] > base.tpot_s["mean"] + 60 * catalog.stack(ROCM).per_request_s


def test_cli_lists_stacks(cli):
    run = cli("systems", "--kind", "stack", "--json")
    assert run.code == 0
    listed = {r["id"] for r in run.json()}
    assert {ROCM, CEREBRAS, "sglang-0.5.6", "tensorrt-llm-pytorch-00f37686"} <= listed
    assert all(r["kind"] == "stack" for r in run.json())
    run = cli("systems", ROCM)
    assert run.code == 0 and "release: 0.6.1" in run.out and "chips: mi300x" in run.out


def test_fit_reproduces_each_calibration_row(catalog, rows):
    fits, skipped = fit_stacks(list(rows.values()), catalog)
    marked = subsets(rows.values(), "stack")
    assert not skipped and {(f.part, f.parameter) for f in fits} == {(c.key, c.parameter) for c in marked}
    assert {f.part for f in fits} == {ROCM, CEREBRAS, "tensorrt-llm-python-benchmark",
                                      "fastertransformer-glm-130b", "vllm-rtn-marlin-2025-08",
                                      "waferllm-osdi25"}
    for f in fits:
        stored = getattr(catalog.stack(f.part), f.parameter)
        assert stored.value == pytest.approx(f.value, rel=0.01)
        for i in f.per_row:
            got = infer.predict_row(rows[i], with_parameter(catalog, f.part, f.parameter, f.per_row[i]))
            assert got == pytest.approx(rows[i].value, rel=1e-4)


def test_solve_refuses_a_row_of_another_stack(catalog, rows):
    with pytest.raises(SimError, match="runs stack 'tensorrt-llm-pytorch-00f37686'"):
        solve_row(rows["I014"], catalog, ROCM, "per_request_step_s")


def test_held_out_rows_of_each_stack_exist(rows):
    for target in subsets(rows.values(), "stack"):
        held = [r for r in rows.values() if r.stack == target.key and r.calibrates is None]
        assert held, f"{target.key} has no held-out row to check its fit"


def test_serving_without_a_stack_has_no_stack_parts(catalog, rows):
    r = api.infer("llama-3-8b", "mi300x", batch=8, catalog=catalog)
    assert "per_request" not in r.decode_breakdown
    assert not any("serving stack" in note for note in r.assumptions)
    assert infer.serving_of(rows["I074"], catalog).stack.id == ROCM
    assert infer.serving_of(rows["I048"], catalog).stack.id == "vllm-0.6.1"


def _decode(catalog, model="llama-3-8b", stack=ROCM, **values):
    """Decode parts of `model` on one MI300X at batch 8: without a stack, and with `stack` whose
    per-request cost is zeroed and `values` set."""
    cat = _stack(catalog, stack, per_request_step_s=0.0, **values)
    base = api.infer(model, "mi300x", batch=8, catalog=catalog).decode_breakdown
    return base, api.infer(model, "mi300x", batch=8, catalog=cat, stack=stack).decode_breakdown


def test_gemm_speed_divides_only_the_gemm_part(catalog):
    base, got = _decode(catalog, gemm_speed_ratio=0.5)
    assert got["gemm"] == pytest.approx(2 * base["gemm"])
    for part in ("attention_kv", "kernel_overhead", "serving_stack"):
        assert got[part] == pytest.approx(base[part])


def test_attention_speed_is_by_the_models_attention_kind(catalog):
    base, gqa = _decode(catalog, attention_gqa_speed_ratio=0.25)  # Llama 3 8B: 8 KV heads of 32
    assert gqa["attention_kv"] == pytest.approx(4 * base["attention_kv"])
    base, mha = _decode(catalog, attention_mha_speed_ratio=0.25)
    assert mha["attention_kv"] == pytest.approx(base["attention_kv"])


def test_fixed_costs_and_launches_are_parts_of_their_own(catalog):
    layers = 32  # Llama 3 8B
    base, got = _decode(catalog, step_s=1e-4, per_layer_s=2e-6, graph_capture=False,
                        kernel_launch_s=3e-6, kernels_per_layer_count=10.0)
    assert got["per_step"] == pytest.approx(1e-4)
    assert got["per_layer"] == pytest.approx(layers * (2e-6 + 10 * 3e-6))
    assert sum(got.values()) == pytest.approx(sum(base.values()) + 1e-4 + layers * 32e-6)
    _, captured = _decode(catalog, graph_capture=True, kernel_launch_s=3e-6,
                          kernels_per_layer_count=10.0)
    assert "per_layer" not in captured


def test_a_stack_without_graph_capture_needs_its_launch_cost(catalog):
    with pytest.raises(ConfigError, match="graph_capture is false but kernel_launch_s"):
        parse_part({"kind": "stack", "id": "x", "name": "x", "vendor": "x",
                    "graph_capture": False}, "x.yaml")


def test_a_chip_has_at_most_one_default_stack(catalog):
    assert catalog.default_stack("mi300x").id == "vllm-0.4.3-rocm"
    assert catalog.default_stack("tpu-v5p") is None
    part = parse_part({"kind": "stack", "id": "x", "name": "x", "vendor": "x",
                       "default_for": ["mi300x"]}, "x.yaml")
    with pytest.raises(ConfigError, match="mi300x already has the default stack"):
        Catalog(dict(catalog.parts) | {"x": part}, catalog.sources)


def test_every_chip_a_serving_fit_reads_names_its_default_stack(catalog, rows):
    for target, group in subsets(rows.values(), "serving").items():
        stacks = {r.stack for r in group}
        assert catalog.default_stack(target.key).id in stacks, (target.key, stacks)


def test_a_default_stack_carries_no_speed_or_cost(catalog):
    part = parse_part({"kind": "stack", "id": "x", "name": "x", "vendor": "x",
                       "default_for": ["tpu-v5p"],
                       "gemm_speed_ratio": {"value": 0.5, "tag": "derived", "source": "derived"}},
                      "x.yaml")
    with pytest.raises(ConfigError, match="a default stack \\(tpu-v5p\\).*drop gemm_speed_ratio"):
        Catalog(dict(catalog.parts) | {"x": part}, catalog.sources)


def test_speculative_decoding_divides_decode_by_the_kept_tokens(catalog):
    k, a, c = 3, 0.6, 0.1
    spec = dict(draft_tokens_count=float(k), acceptance_fraction=a, draft_cost_ratio=c)
    base, got = _decode(catalog, **spec)
    tau = (1 - a ** (k + 1)) / (1 - a)  # Leviathan et al. 2023, eq. 1
    assert got["gemm"] == pytest.approx(base["gemm"] / tau)
    assert got["speculative_draft"] == pytest.approx(k * c * sum(base.values()) / tau)
    assert sum(got.values()) == pytest.approx(sum(base.values()) * (1 + k * c) / tau)
    cat = _stack(catalog, ROCM, per_request_step_s=0.0, **spec)
    prefill = api.infer("llama-3-8b", "mi300x", batch=8, catalog=cat, stack=ROCM).prefill_breakdown
    assert "speculative_draft" not in prefill


def test_speculation_is_given_whole(catalog):
    with pytest.raises(ConfigError, match="speculative decoding needs all of draft_tokens_count"):
        parse_part({"kind": "stack", "id": "x", "name": "x", "vendor": "x",
                    "draft_tokens_count": {"value": 3, "tag": "derived", "source": "derived"}},
                   "x.yaml")


def test_a_stack_without_a_custom_allreduce_runs_the_librarys(catalog):
    # MI300X's Infinity Fabric is a full mesh: a custom one-shot all-reduce beats RCCL's ring
    # or tree for one token's hidden vector; a stack without one pays the library's
    def parts(custom):
        cat = _stack(catalog, ROCM, per_request_step_s=0.0, custom_allreduce=custom)
        return api.infer("llama-3-70b", "mi300x", count=8, tp=8, batch=1, catalog=cat,
                         stack=ROCM).decode_breakdown
    custom, library = parts(True), parts(False)
    assert library["tensor_allreduce"] > 1.5 * custom["tensor_allreduce"]
    assert library["gemm"] == pytest.approx(custom["gemm"])
    assert catalog.stack(ROCM).custom_allreduce is False
