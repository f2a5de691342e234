"""DecodeGrid decode (WaferLLM): every layer's matrices over one square PE grid, K-tree all-reduce."""

import math

import pytest

from wafersim.catalog import Quantity
from wafersim.catalog.catalog import Catalog
from wafersim.catalog.loader import parse_part
from wafersim.catalog.system import resolve
from wafersim.cost.infer.wafer_grid import DecodeGrid, allreduce_cycles, check_grid, grid_of, grid_parts
from wafersim.cost.infer.wafer_layers import pe_rates
from wafersim.errors import ConfigError, SimError
from wafersim.models import load_model
from wafersim.validate import infer
from wafersim.validate.records import read

STACK = "waferllm-osdi25"
# He et al., OSDI 2025, Table 4: decode tokens/s per request on 420x420, 540x540, 660x660 cores
TABLE4 = {"llama-3-8b": (2699.9, 2501.5, 2243.3), "llama-2-13b": (2039.2, 1899.4, 1739.8),
          "codellama-34b": (1450.8, 1407.7, 1359.2), "qwen2-72b": (839.7, 824.3, 787.1)}
SIDES = (420, 540, 660)


@pytest.fixture(scope="module")
def rates(catalog):
    system = resolve(catalog, "cs-2")
    return pe_rates(system.chip, system.architecture)


@pytest.fixture(scope="module")
def grid(catalog):
    g = grid_of(catalog.stack(STACK))
    assert g is not None
    return g


def test_the_waferllm_stack_decodes_on_a_grid_and_others_do_not(catalog, grid):
    assert (grid.side, grid.levels) == (420, 2)
    assert 0 < grid.stage_cycles < 1000
    assert grid_of(None) is None
    assert grid_of(catalog.stack("cerebras-inference-2024-10")) is None


def test_a_k_tree_allreduce_pays_the_line_in_hops_and_k_root_p_over_2_routing_stages(rates):
    g = DecodeGrid(side=400, levels=2, stage_cycles=10.0)
    assert g.stages == pytest.approx(20.0)  # 2 * sqrt(400) / 2
    mesh = rates.mesh
    assert float(allreduce_cycles(mesh, g, 5)) == pytest.approx(400 * mesh.hop_cycles + 20 * (10 + 5))
    three = DecodeGrid(side=512, levels=3, stage_cycles=10.0)
    assert three.stages == pytest.approx(3 * 8 / 2)


@pytest.mark.parametrize("model_id", sorted(TABLE4))
def test_decode_speed_follows_table_4_across_grid_sides(rates, grid, model_id):
    """Held-out shape of the fit: one routing cost fitted on Llama 3 8B at 420x420 gives every
    model's speed on the larger grids, where the all-reduce's hops grow."""
    model = load_model(model_id)
    for side, measured in zip(SIDES, TABLE4[model_id], strict=True):
        g = DecodeGrid(side, grid.levels, grid.stage_cycles)
        tps = 1.0 / float(sum(grid_parts(model, rates, g, 1.0, 4096.0).values()))
        assert tps == pytest.approx(measured, rel=0.1), (model_id, side)


def test_larger_grids_are_slower_for_one_request(rates, grid):
    model = load_model("llama-3-8b")
    times = [float(sum(grid_parts(model, rates, DecodeGrid(s, 2, grid.stage_cycles), 1.0,
                                  4096.0).values())) for s in SIDES]
    assert times == sorted(times)


def test_more_tokens_a_pass_take_longer_but_less_per_token(rates, grid):
    model = load_model("llama-3-8b")
    one, eight = (float(sum(grid_parts(model, rates, grid, t, 4096.0).values())) for t in (1, 8))
    assert one < eight < 8 * one


def test_a_grid_past_the_mesh_a_layer_too_big_or_an_moe_model_is_one_config_error(rates, grid):
    dense = load_model("llama-3-8b")
    with pytest.raises(ConfigError, match="does not fit"):
        check_grid(dense, rates, DecodeGrid(rates.mesh.cols + 1, 2, 10.0), 2.0)
    with pytest.raises(ConfigError, match="raise decode_grid_side_count"):
        check_grid(load_model("qwen2-72b"), rates, DecodeGrid(60, 2, 10.0), 2.0)
    with pytest.raises(ConfigError, match="dense layers only"):
        check_grid(load_model("mixtral-8x7b"), rates, grid, 2.0)
    check_grid(dense, rates, grid, 2.0)


def test_a_grid_stack_without_its_allreduce_is_rejected():
    raw = {"kind": "stack", "id": "grid-test", "name": "t", "vendor": "t", "chips": ["wse-2"],
           "decode_grid_side_count": {"value": 420, "tag": "primary", "source": "x"}}
    with pytest.raises((SimError, ValueError), match="allreduce_tree_levels_count"):
        parse_part(raw, "grid-test.yaml")


def test_the_rows_predict_through_the_grid_without_the_default_share(catalog):
    rows = {r.id: r for r in read()}
    row = rows["I130"]
    assert row.stack == STACK
    predicted = infer.predict_row(row, catalog)
    assert predicted == pytest.approx(row.value, rel=0.25)
    stack = catalog.stack(STACK)
    slower = stack.model_copy(update={"routing_stage_cycles": Quantity(
        value=2 * stack.value_or_zero("routing_stage_cycles"), dimension="cycles",
        tag="derived", source="derived")})
    changed = Catalog(dict(catalog.parts) | {STACK: slower}, catalog.sources)
    assert infer.predict_row(row, changed) < predicted
    assert math.isfinite(predicted)
