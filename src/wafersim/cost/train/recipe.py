"""Recipe switches of a training run that its plan does not say, and the host time they expose.

CUDA graphs. A captured graph launches its kernels from the device; without one the host
launches each kernel (`kernel_launch_s`, the serving stacks' sourced per-kernel cost).
`cuda_graphs` is `full` (the whole iteration captured: no host launches), `partial` (Transformer
Engine graphs around attention, router and token preprocessing, Megatron-Core's
`cuda_graph_scope`: the expert MLP and the dispatch stay eager) or `none` (every kernel eager).

Expert GEMMs. `grouped` runs each expert projection as one grouped kernel; `per_expert` is
Transformer Engine's `GroupedLinear` through `nvte_multi_stream_cublas_gemm`, which loops over the
rank's local experts and issues one cuBLASLt GEMM each (descriptor set-up, heuristic query,
launch, on four streams): its host work grows with the local experts, E / ep.

Routing. `balanced_routing` is Megatron-Core's `moe_router_force_load_balancing`, which
benchmarks set to route tokens evenly whatever the router learned: the trained router's skew is
gone (`moe.py` ROUTER_SKEW_CV taken as 0), the multinomial spread of the draw stays.

Recompute of sub-modules. `recompute_modules` names Megatron-Core modules whose forward pass is
run again in the backward pass instead of keeping their activations: `mla_up_proj` (the MLA
query and key-value up projections), `mlp` (dense MLP layers), `shared_experts` and `core_attn`
(the attention core). The plan's `recompute` mode (none, selective, full) stays as it was; full
recompute already reruns them.

Exposure. A dropless MoE layer synchronises the host on the routed token counts every layer (the
all-to-all split sizes and the grouped GEMM's `m_splits` are host lists), so the host cannot run
ahead of the device there: what it launches after the sync adds to the layer's time. Dense
layers let the host run ahead, so their launches hide behind kernels longer than a launch.
"""

from __future__ import annotations

from dataclasses import dataclass

from wafersim.errors import ParameterError
from wafersim.models.spec import ModelSpec
from wafersim.ops.graph import Graph
from wafersim.xp import Real

CUDA_GRAPHS = ("full", "partial", "none")
# Megatron-Core recompute_modules -> the layer ops (ops/graph.py) whose forward they rerun
RECOMPUTE_MODULES = {"mla_up_proj": ("attn.q_b", "attn.kv_b"), "mlp": ("mlp.up", "mlp.down"),
                     "shared_experts": ("moe.shared.up", "moe.shared.down"),
                     "core_attn": ("attn.core",)}
EXPERT_GEMMS = ("grouped", "per_expert")
EXPERT_PASSES = 3.0  # forward, data gradient, weight gradient: one GEMM each per expert projection
OP_PASSES = 3.0  # launches per layer op and micro-batch: one forward, about two backward


@dataclass(frozen=True)
class Recipe:
    """How a framework ran the step: graph capture and the expert GEMM path. The default (whole
    iteration captured, one grouped kernel per projection) exposes no host time."""

    cuda_graphs: str = "full"
    expert_gemm: str = "grouped"
    balanced_routing: bool = False  # routing forced even: no trained-router skew
    recompute_modules: tuple[str, ...] = ()  # Megatron-Core modules rerun in the backward pass

    def __post_init__(self) -> None:
        if bad := [m for m in self.recompute_modules if m not in RECOMPUTE_MODULES]:
            raise ParameterError("recompute_modules", bad[0], "{recompute_modules!r} is not a "
                                 f"modelled module; use any of {', '.join(RECOMPUTE_MODULES)}",
                                 allowed=f"any of {', '.join(RECOMPUTE_MODULES)}")
        if self.cuda_graphs not in CUDA_GRAPHS:
            raise ParameterError("cuda_graphs", self.cuda_graphs, "{cuda_graphs!r} is not one of "
                                 f"{', '.join(CUDA_GRAPHS)}", allowed=f"one of {', '.join(CUDA_GRAPHS)}")
        if self.expert_gemm not in EXPERT_GEMMS:
            raise ParameterError("expert_gemm", self.expert_gemm, "{expert_gemm!r} is not one of "
                                 f"{', '.join(EXPERT_GEMMS)}",
                                 allowed=f"one of {', '.join(EXPERT_GEMMS)}")

    @property
    def launches_from_host(self) -> bool:
        """Whether any kernel of a MoE layer is launched from the host."""
        return self.cuda_graphs != "full"

    def host_launches(self, layer_ops: float, expert_ops: float, local_experts: Real,
                      gemm_launches: float) -> Real:
        """Host work one MoE layer exposes per micro-batch, forward and backward, in kernel
        launches: `layer_ops` ops of the layer (its `expert_ops` expert projections among them),
        `local_experts` experts on the rank, `gemm_launches` launches' worth of host work per
        per-expert cuBLASLt GEMM."""
        if not self.launches_from_host:
            return 0.0
        other = layer_ops - expert_ops if self.cuda_graphs == "none" else 0.0  # partial: captured
        per_projection = local_experts * gemm_launches if self.expert_gemm == "per_expert" else 1.0
        out: Real = OP_PASSES * other + EXPERT_PASSES * expert_ops * per_projection
        return out

    @property
    def recomputed_ops(self) -> frozenset[str]:
        """Names of the layer ops whose forward pass the recipe reruns."""
        return frozenset(op for m in self.recompute_modules for op in RECOMPUTE_MODULES[m])

    def describe(self) -> str:
        parts = [f"cuda_graphs {self.cuda_graphs}", f"expert GEMMs {self.expert_gemm.replace('_', ' ')}"]
        parts += ["balanced routing"] if self.balanced_routing else []
        parts += [f"recompute {'+'.join(self.recompute_modules)}"] if self.recompute_modules else []
        return ", ".join(parts)


def exposes_launches(recipe: Recipe, model: ModelSpec, launch_s: float) -> bool:
    """Whether a MoE model's layers expose host launches of `launch_s` seconds under `recipe`."""
    return model.is_moe and launch_s > 0 and recipe.launches_from_host


def moe_launch_s(recipe: Recipe, graph: Graph, model: ModelSpec, local_experts: Real,
                 host_launch: tuple[float, float]) -> Real:
    """Host launch seconds one MoE layer exposes per micro-batch: its ops (those repeated in
    every layer or every MoE layer) launched as `recipe` says, at `host_launch` (seconds per
    launch, launches per per-expert GEMM); 0 for a dense model or a recipe with none."""
    launch_s, gemm_launches = host_launch
    if not exposes_launches(recipe, model, launch_s):
        return 0.0
    out: Real = launch_s * recipe.host_launches(moe_layer_ops(graph, model), _expert_ops(graph),
                                                local_experts, gemm_launches)
    return out


def moe_layer_ops(graph: Graph, model: ModelSpec) -> int:
    """Ops one MoE layer launches: those in every layer or every MoE layer, and one attention
    core, which a model with windowed layers splits into a global and a windowed op by layer."""
    ops = graph.layer_ops()
    cores = sum(op.repeat for op in ops if op.kind == "attention")
    every = [op for op in ops if op.kind != "attention" and op.repeat in (model.n_layers,
                                                                          model.n_moe_layers)]
    return len(every) + (1 if cores == model.n_layers else 0)


def _expert_ops(graph: Graph) -> int:
    return sum(1 for op in graph.layer_ops() if op.kind == "expert")
