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
    """The catalog with the stack's quantities set to `values` (SI)."""
    stack = catalog.stack(stack_id)
    update = {k: Quantity(value=v, dimension="s" if k.endswith("_s") else "ratio", tag="derived",
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
    assert {r["id"] for r in run.json()} == {ROCM, CEREBRAS, "sglang-0.5.6"}
    run = cli("systems", ROCM)
    assert run.code == 0 and "release: 0.6.1" in run.out and "chips: mi300x" in run.out


def test_fit_reproduces_each_calibration_row(catalog, rows):
    fits, skipped = fit_stacks(list(rows.values()), catalog)
    marked = subsets(rows.values(), "stack")
    assert not skipped and {(f.part, f.parameter) for f in fits} == {(c.key, c.parameter) for c in marked}
    assert {f.part for f in fits} == {ROCM, CEREBRAS}
    for f in fits:
        stored = getattr(catalog.stack(f.part), f.parameter)
        assert stored.value == pytest.approx(f.value, rel=0.01)
        for i in f.per_row:
            got = infer.predict_row(rows[i], with_parameter(catalog, f.part, f.parameter, f.per_row[i]))
            assert got == pytest.approx(rows[i].value, rel=1e-4)


def test_solve_refuses_a_row_of_another_stack(catalog, rows):
    with pytest.raises(SimError, match="runs stack None"):
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
    assert infer.serving_of(rows["I048"], catalog).stack is None
