"""Software parts of the catalog: a serving `Stack` and a training `Framework`, each relative to
the chip's calibrated default (its serving or framework efficiency)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from wafersim.catalog.quantity import Part, Q


class Stack(Part):
    """A serving software release: engine, version and how it runs unlike the chip's default.

    The default stack of a chip (`default_for`) is the one its serving efficiency is fitted on;
    another stack says how it differs, each number fitted across every chip it runs on
    (`validate/calibrate_stacks.py`) and applied by `cost/infer/stack.py`: kernel speed by
    operator class (`gemm_speed_ratio`, `attention_mha/gqa/mla_speed_ratio`, over the default
    stack's), fixed costs per step, per layer and per request in the batch, graph capture (without
    it every kernel is launched from the host), speculative decoding (tokens drafted per step,
    their acceptance, a draft pass's cost), whether it has a custom all-reduce kernel (without
    one, tensor-parallel all-reduces run the collective library's ring or tree even on a full
    mesh, where a one-shot exchange is faster for small messages), `speedup_ratio`, a release's
    whole speed where its parts are unpublished, and `weight_only_dequant_ratio`, the time its
    weight-only GEMMs (w4a16, w8a16) spend dequantising a weight beyond reading it, over a 16-bit
    weight's read time (an ideal kernel hides it under the loads: 0). Null parameters are the
    default stack's. `server_path_s` is a fixed time from each request's send until the engine
    schedules it (HTTP, tokenisation, scheduling); only the serving simulator (`serve/`) plays it.

    On wafers, `decode_grid_side_count` says the stack decodes on a square grid of PEs with every
    layer's matrices spread over the whole grid, layers one after another (WaferLLM's decode
    parallelism), not on one rectangle per matrix; its GEMV partial sums are all-reduced by a
    tree of `allreduce_tree_levels_count` levels whose every routing stage costs
    `routing_stage_cycles` (`cost/infer/wafer_grid.py`).
    """

    SPEED_RATIOS: ClassVar[tuple[str, ...]] = (
        "gemm_speed_ratio", "attention_mha_speed_ratio", "attention_gqa_speed_ratio",
        "attention_mla_speed_ratio")
    SPECULATION: ClassVar[tuple[str, ...]] = ("draft_tokens_count", "acceptance_fraction",
                                              "draft_cost_ratio")

    kind: Literal["stack"] = "stack"
    chips: list[str] = Field(default_factory=list)  # chip ids it runs on (empty: any)
    default_for: list[str] = Field(default_factory=list)  # chips whose serving efficiency it sets
    release: str | None = None  # version or date
    gemm_speed_ratio: Q = None
    attention_mha_speed_ratio: Q = None
    attention_gqa_speed_ratio: Q = None
    attention_mla_speed_ratio: Q = None
    step_s: Q = None
    per_layer_s: Q = None
    per_request_step_s: Q = None
    graph_capture: bool = True  # False: kernels launched one by one from the host
    custom_allreduce: bool = True  # False: the collective library only (no one-shot kernel)
    kernel_launch_s: Q = None  # host launch cost per kernel (read only without graph capture)
    kernels_per_layer_count: Q = None  # kernels a decoder layer launches per step
    draft_tokens_count: Q = None  # speculative decoding: tokens drafted per step
    acceptance_fraction: Q = None  # each drafted token's acceptance rate
    draft_cost_ratio: Q = None  # one draft pass over one target decode step
    speedup_ratio: Q = None
    weight_only_dequant_ratio: Q = None  # dequant time per weight over a 16-bit read's
    server_path_s: Q = None
    decode_grid_side_count: Q = None  # wafers: PEs per side of the square decode grid
    allreduce_tree_levels_count: Q = None  # wafers: levels K of the grid's K-tree all-reduce
    routing_stage_cycles: Q = None  # wafers: cycles per routing stage of that all-reduce

    @model_validator(mode="after")
    def _grid(self) -> Stack:
        """A grid-decoding stack says how its all-reduce runs."""
        if self.grid_decodes and (self.value_or_zero("allreduce_tree_levels_count") < 1
                                  or self.routing_stage_cycles is None
                                  or self.routing_stage_cycles.value is None):
            raise ValueError("decode_grid_side_count is set but allreduce_tree_levels_count or "
                             "routing_stage_cycles is missing; give both (sourced or fitted)")
        return self

    @model_validator(mode="after")
    def _launches(self) -> Stack:
        """A stack without graph capture says what its launches cost."""
        if not self.graph_capture and (self.value_or_zero("kernel_launch_s") <= 0
                                       or self.value_or_zero("kernels_per_layer_count") <= 0):
            raise ValueError("graph_capture is false but kernel_launch_s or "
                             "kernels_per_layer_count is missing; give both (sourced)")
        return self

    @model_validator(mode="after")
    def _speculation(self) -> Stack:
        """Speculative decoding is given whole or not at all."""
        given = [self.value_or_zero(n) > 0 for n in self.SPECULATION]
        if any(given) and not all(given):
            raise ValueError(f"speculative decoding needs all of {', '.join(self.SPECULATION)}; "
                             "give each (acceptance below 1) or none")
        if self.value_or_zero("acceptance_fraction") >= 1:
            raise ValueError("acceptance_fraction must be below 1 (every draft accepted never "
                             "ends a step)")
        return self

    @property
    def grid_decodes(self) -> bool:
        """Whether the stack decodes on one square PE grid per layer (wafers)."""
        return self.value_or_zero("decode_grid_side_count") > 0

    @property
    def speculates(self) -> bool:
        return self.value_or_zero("draft_tokens_count") > 0

    def value_or_zero(self, name: str) -> float:
        """The value of quantity `name` (SI), 0 where it is null."""
        q = getattr(self, name)
        return 0.0 if q is None or q.value is None else float(q.value)

    def ratio(self, name: str) -> float:
        """The value of ratio `name`, 1 (the default stack's) where it is null."""
        q = getattr(self, name)
        return 1.0 if q is None or q.value is None else float(q.value)

    @property
    def launch_s_per_layer(self) -> float:
        """Host launch time per decoder layer and step: 0 with graph capture."""
        if self.graph_capture:
            return 0.0
        return (self.value_or_zero("kernel_launch_s")
                * self.value_or_zero("kernels_per_layer_count"))

    @property
    def server_path(self) -> float:
        return self.value_or_zero("server_path_s")

    @property
    def per_request_s(self) -> float:
        return self.value_or_zero("per_request_step_s")

    @property
    def speedup(self) -> float:
        return self.ratio("speedup_ratio")


class Framework(Part):
    """A training framework: engine, the releases it covers and its speed over the chip default.

    A chip's `framework_efficiency_fraction` is fitted on runs of its default framework (the
    catalog framework whose `default_for` names the chip: Megatron-LM on NVIDIA GPUs, MaxText on
    TPUs); another framework's `speed_ratio` multiplies it, fitted across every chip the
    framework runs on (`validate/calibrate_frameworks.py`) and applied by `cost/train/step.py`.
    The id is the engine as the validation rows' `framework` column names it (`engine:release`);
    `releases` lists the releases the ratio was measured on (empty: every release). Null (or a
    release not listed) is the chip default's speed. `kernel_launch_s` and
    `expert_gemm_launches_count` cost the host launches of a recipe without CUDA graphs
    (`cost/train/recipe.py`); null where the framework's are unknown.
    """

    kind: Literal["framework"] = "framework"
    chips: list[str] = Field(default_factory=list)  # chip ids it runs on (empty: any)
    default_for: list[str] = Field(default_factory=list)  # chips whose framework efficiency it sets
    releases: list[str] = Field(default_factory=list)  # releases speed_ratio holds for (empty: all)
    speed_ratio: Q = None  # whole-step speed over the chip's default framework
    kernel_launch_s: Q = None  # host launch cost per kernel outside a captured graph
    expert_gemm_launches_count: Q = None  # host work of one per-expert cuBLASLt GEMM, in launches

    def covers(self, release: str) -> bool:
        """Whether `release` is one the framework's parameters hold for."""
        return not self.releases or release in self.releases

    @property
    def speed(self) -> float:
        """The speed over the chip default: 1 where it is null."""
        q = self.speed_ratio
        return 1.0 if q is None or q.value is None else float(q.value)

    def quantity(self, name: str) -> float | None:
        """The value of quantity `name` (SI), None where it is null."""
        q = getattr(self, name)
        return None if q is None or q.value is None else float(q.value)
