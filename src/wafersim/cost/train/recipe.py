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

Exposure. A dropless MoE layer synchronises the host on the routed token counts every layer (the
all-to-all split sizes and the grouped GEMM's `m_splits` are host lists), so the host cannot run
ahead of the device there: what it launches after the sync adds to the layer's time. Dense
layers let the host run ahead, so their launches hide behind kernels longer than a launch.
"""

from __future__ import annotations

from dataclasses import dataclass

from wafersim.errors import ParameterError
from wafersim.xp import Real

CUDA_GRAPHS = ("full", "partial", "none")
EXPERT_GEMMS = ("grouped", "per_expert")
EXPERT_PASSES = 3.0  # forward, data gradient, weight gradient: one GEMM each per expert projection
OP_PASSES = 3.0  # launches per layer op and micro-batch: one forward, about two backward


@dataclass(frozen=True)
class Recipe:
    """How a framework ran the step: graph capture and the expert GEMM path. The default (whole
    iteration captured, one grouped kernel per projection) exposes no host time."""

    cuda_graphs: str = "full"
    expert_gemm: str = "grouped"

    def __post_init__(self) -> None:
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

    def describe(self) -> str:
        return f"cuda_graphs {self.cuda_graphs}, expert GEMMs {self.expert_gemm.replace('_', ' ')}"
