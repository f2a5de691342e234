"""A training recipe's CUDA graphs and expert GEMM path: the host launches a MoE layer exposes."""

import pytest

from wafersim.api import train
from wafersim.catalog import load_catalog
from wafersim.catalog.system import resolve
from wafersim.cost.train.recipe import Recipe
from wafersim.cost.train.step import StepModel
from wafersim.errors import ParameterError
from wafersim.models import load_model
from wafersim.plan import Constraints, enumerate_plans
from wafersim.validate.recipes import RunRecipe
from wafersim.validate.records import read
from wafersim.validate.train import run

LAUNCH = (3e-6, 10.0)  # megatron-bridge's catalogued launch cost and per-expert GEMM launches


def test_bad_switches_name_the_parameter():
    with pytest.raises(ParameterError, match="cuda_graphs"):
        Recipe("sometimes")
    with pytest.raises(ParameterError, match="expert_gemm"):
        Recipe("none", "fused")


def test_launches_grow_with_local_experts_and_vanish_under_full_graphs():
    assert Recipe("full", "per_expert").host_launches(15, 2, 32, 10) == 0
    partial = Recipe("partial", "per_expert")
    assert partial.host_launches(15, 2, 32, 10) == 2 * partial.host_launches(15, 2, 16, 10)
    assert Recipe("partial").host_launches(15, 2, 32, 10) == 3 * 2  # one grouped kernel per pass
    # without graphs the layer's other ops launch from the host too
    assert Recipe("none").host_launches(15, 2, 32, 10) > Recipe("partial").host_launches(15, 2, 32, 10)


def _step(model_id, ep, recipe, host_launch=LAUNCH):
    model = load_model(model_id)
    system = resolve(load_catalog(), "b200").with_devices(256)
    plans = enumerate_plans(model, 256, 8, 2048, 4096, Constraints(tp=1, pp=16, ep=ep, zero=1,
                                                                  micro_batch=1, v=1, overlap=0))
    sm = StepModel(model, system, 4096, 2048, "fp8", recipe=recipe, host_launch=host_launch)
    return sm.evaluate(plans.one(0))


def test_per_expert_gemms_cost_more_at_lower_expert_parallelism():
    eager = Recipe("none", "per_expert")
    ep8, ep16 = (_step("deepseek-v3", ep, eager).breakdown["host_launches"] for ep in (8, 16))
    assert ep8 > 1.5 * ep16  # 32 against 16 local experts, per-expert GEMMs dominate
    assert "host_launches" not in _step("deepseek-v3", 8, Recipe()).breakdown
    slow, fast = _step("deepseek-v3", 8, eager), _step("deepseek-v3", 8, Recipe())
    assert slow.time_s > fast.time_s


def test_framework_launch_cost_is_the_stacks_sourced_figure(catalog):
    fw = catalog.framework("megatron-bridge")
    stack = catalog.parts["fastertransformer-glm-130b"]
    assert fw.quantity("kernel_launch_s") == stack.value_or_zero("kernel_launch_s")
    assert fw.kernel_launch_s.source == stack.kernel_launch_s.source


def test_host_launches_need_a_framework_with_a_launch_cost():
    with pytest.raises(ParameterError, match="host launch cost"):
        train("qwen3-235b-a22b", "b200", 1e11, count=64, recipe=Recipe("none", "per_expert"))
    result = train("qwen3-235b-a22b", "b200", 1e11, count=64, precision="fp8",
                   framework="megatron-bridge", recipe=Recipe("none", "per_expert"))
    assert result.breakdown["host_launches"] > 0
    assert any("recipe: cuda_graphs none" in note for note in result.assumptions)


def test_recipe_cell_parses_and_fixes_plan_parts():
    r = RunRecipe.parse("cuda_graphs=none expert_gemm=per_expert a2a_overlap=off vp=1")
    assert r == RunRecipe(Recipe("none", "per_expert"), 0, 1)
    assert RunRecipe.parse("vp=3") == RunRecipe(Recipe(), None, 3)
    for bad in ("graphs=none", "cuda_graphs=some", "a2a_overlap=yes", "vp=0", "vp=1 vp=2", "vp"):
        with pytest.raises(ValueError, match="recipe"):
            RunRecipe.parse(bad)


def test_moe_rows_run_their_recipes():
    rows = {r.id: r for r in read() if r.id.startswith("MOE-")}
    assert rows["MOE-3"].constraints().v == 1 and rows["MOE-3"].constraints().overlap == 0
    assert rows["MOE-4"].constraints().overlap == 1
    no_graphs, partial = run(rows["MOE-3"]), run(rows["MOE-1"])
    share = [r.breakdown["host_launches"] / r.step_time_s for r in (no_graphs, partial)]
    assert share[0] > 2 * share[1]  # 32 local experts without graphs against 4 with router graphs
    assert "recipe" in rows["MOE-2"].assumed and "recipe" not in rows["MOE-3"].assumed


def test_balanced_routing_drops_the_router_skew_only():
    skewed = _step("deepseek-v3", 8, Recipe())
    balanced = _step("deepseek-v3", 8, Recipe(balanced_routing=True))
    assert balanced.breakdown["compute"] < skewed.breakdown["compute"]
    model = load_model("deepseek-v3")
    sm = StepModel(model, resolve(load_catalog(), "b200").with_devices(256), 4096, 2048, "fp8",
                   recipe=Recipe(balanced_routing=True))
    assert sm.routing_skew_cv == 0.0


def test_recomputed_modules_add_their_forward_pass():
    plain = _step("deepseek-v3", 8, Recipe())
    up_proj = _step("deepseek-v3", 8, Recipe(recompute_modules=("mla_up_proj",)))
    with_core = _step("deepseek-v3", 8, Recipe(recompute_modules=("mla_up_proj", "core_attn")))
    assert plain.breakdown["recompute"] == 0
    assert 0 < up_proj.breakdown["recompute"] < with_core.breakdown["recompute"]
    with pytest.raises(ParameterError, match="recompute_modules"):
        Recipe(recompute_modules=("moe_act",))


def test_a_moe_layer_launches_one_attention_core_with_or_without_windows():
    """gpt-oss and Llama 4 split the attention core into global and windowed ops by layer; a
    layer still launches one, as Mixtral's does."""
    from wafersim.cost.train.recipe import moe_layer_ops
    from wafersim.models import load_model
    from wafersim.ops.graph import lower

    def count(model_id: str) -> tuple[int, int]:
        model = load_model(model_id)
        graph = lower(model, "train", 1, 4096)
        cores = [op for op in graph.layer_ops() if op.kind == "attention"]
        return moe_layer_ops(graph, model), len(cores)

    assert count("mixtral-8x7b") == (8, 1)  # 2 norms, qkv, o, core, router, 2 expert
    assert count("gpt-oss-120b") == (8, 2)
    assert count("llama-4-scout") == (10, 2)  # and the shared expert's two projections
