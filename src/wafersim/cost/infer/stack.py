"""A named serving stack's time, from the parts the chip's default stack would take.

A chip's serving efficiency is fitted on runs of its default stack (the catalog stack whose
`default_for` names the chip); a stack that runs unlike it is a catalog `Stack` whose parameters
say how, each fitted across every chip it runs on (`validate/calibrate_stacks.py`):
- kernel speed by operator class, relative to the default stack: `gemm_speed_ratio` divides the
  GEMM parts (`gemm`, `gemv`), `attention_<kind>_speed_ratio` the attention parts, where the kind
  is the model's: MLA (latent KV), GQA (fewer KV heads than query heads) or MHA;
- fixed costs: `step_s` per engine step, `per_layer_s` per decoder layer and step,
  `per_request_step_s` per request in the batch and step (scheduling, sampling, input
  preparation);
- graph capture: a stack that does not capture the step in a graph (`graph_capture: false`)
  launches every kernel from the host, `kernels_per_layer_count` x `kernel_launch_s` per layer;
- all-reduce: a stack without a custom all-reduce kernel (`custom_allreduce: false`) runs the
  collective library's ring or tree, never the one-shot exchange a full mesh allows
  (`cost/infer/hbm.py` reads `Serving.allreduce`);
- speculative decoding: a stack that drafts `draft_tokens_count` tokens per step with a draft
  pass costing `draft_cost_ratio` of a target decode step, accepted at `acceptance_fraction`
  each, keeps (1 - a^(k+1)) / (1 - a) tokens per step (Leviathan, Kalman, Matias 2023, "Fast
  Inference from Transformers via Speculative Decoding", eq. 1): a decode part per token is the
  step's over that, and the drafts are a part of their own. A run that speculates by itself
  (the scenario's multi-token prediction) does not speculate again;
- `speedup_ratio`: a release's whole speed over the default stack, where what it changed is
  not published (it divides every part).
Parameters left null are the default stack's: the part stays as it was.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from wafersim.catalog.schema import Stack
from wafersim.errors import ConfigError
from wafersim.models.spec import ModelSpec

GEMM_PARTS = ("gemm", "gemv")
ATTENTION_PARTS = ("attention", "attention_kv")


def attention_kind(model: ModelSpec) -> str:
    """mla, gqa or mha: the attention kernel family a model's decoder runs."""
    if model.is_mla:
        return "mla"
    return "gqa" if model.n_kv_heads < model.n_heads else "mha"


def kernel_ratio(stack: Stack, part: str, model: ModelSpec | None) -> float:
    """Speed of the stack's kernels of `part`'s operator class over the default stack's."""
    if part in GEMM_PARTS:
        return stack.ratio("gemm_speed_ratio")
    if part in ATTENTION_PARTS and model is not None:
        return stack.ratio(f"attention_{attention_kind(model)}_speed_ratio")
    return 1.0


def speculative_tokens_per_step(acceptance: float, lookahead: int) -> float:
    """Expected tokens kept per verify step (Leviathan et al. 2023, eq. 1)."""
    if not 0.0 <= acceptance < 1.0:
        raise ConfigError(f"acceptance rate {acceptance} must lie in [0, 1)")
    if lookahead < 1:
        raise ConfigError(f"speculative lookahead {lookahead} must be at least 1 drafted token")
    return (1.0 - acceptance ** (lookahead + 1)) / (1.0 - acceptance)


def apply_stack(parts: dict[str, Any], stack: Stack, model: ModelSpec | None,
                requests: Any, speculate: bool = False) -> dict[str, Any]:
    """`parts` (the default stack's seconds, its share included) as `stack` runs them: kernel
    parts divided by their class's speed ratio, all by the release's speed-up, then the stack's
    fixed costs as parts of their own; with `speculate` (decode parts of a run that does not
    draft by itself), per token of the stack's speculative decoding."""
    out = _per_step(parts, stack, model, requests)
    if not (speculate and stack.speculates):
        return out
    k = int(stack.value_or_zero("draft_tokens_count"))
    tau = speculative_tokens_per_step(stack.value_or_zero("acceptance_fraction"), k)
    draft = k * stack.value_or_zero("draft_cost_ratio") * sum(out.values())
    return {name: v / tau for name, v in out.items()} | {"speculative_draft": draft / tau}


def _per_step(parts: dict[str, Any], stack: Stack, model: ModelSpec | None,
              requests: Any) -> dict[str, Any]:
    """One engine step's parts as `stack` runs it."""
    out = {k: v / kernel_ratio(stack, k, model) / stack.speedup for k, v in parts.items()}
    per_request = np.asarray(requests, dtype=float)
    zero = 0.0 * per_request
    if stack.per_request_s:
        out["per_request"] = stack.per_request_s * per_request
    layers = 0 if model is None else model.n_layers
    per_layer = stack.value_or_zero("per_layer_s") + stack.launch_s_per_layer
    if per_layer and layers:
        out["per_layer"] = layers * per_layer + zero
    if stack.value_or_zero("step_s"):
        out["per_step"] = stack.value_or_zero("step_s") + zero
    return out


def stack_notes(stack: Stack) -> tuple[str, ...]:
    """What a result assumes of a named stack, one line per parameter it sets."""
    notes = [f"serving stack {stack.id}"]
    for name in stack.SPEED_RATIOS:
        if stack.ratio(name) != 1.0:
            notes.append(f"{name.removesuffix('_speed_ratio')} kernels at "
                         f"{stack.ratio(name):.3g}x the default stack's speed")
    if stack.speedup != 1.0:
        notes.append(f"{stack.speedup:.3g}x the speed of the chip's default stack (every part "
                     "divided by it)")
    for name, what in (("per_request_step_s", "per request per step"),
                       ("per_layer_s", "per layer per step"), ("step_s", "per step")):
        if stack.value_or_zero(name):
            notes.append(f"{stack.value_or_zero(name) * 1e6:.3g} us {what}")
    if stack.speculates:
        value = stack.value_or_zero
        notes.append(f"speculative decoding: {value('draft_tokens_count'):g} draft tokens per step "
                     f"at {value('acceptance_fraction'):.2g} acceptance, a draft pass "
                     f"{value('draft_cost_ratio'):.2g} of a step")
    if stack.grid_decodes:
        value = stack.value_or_zero
        notes.append(f"decodes on a {value('decode_grid_side_count'):g} x "
                     f"{value('decode_grid_side_count'):g} PE grid per layer, a "
                     f"{value('allreduce_tree_levels_count'):g}-level tree all-reduce at "
                     f"{value('routing_stage_cycles'):g} cycles per routing stage; decode is the "
                     "kernels' own time, without the default stack's serving share")
    if not stack.graph_capture:
        notes.append(f"no graph capture: {stack.launch_s_per_layer * 1e6:.3g} us of kernel "
                     "launches per layer per step")
    if not stack.custom_allreduce:
        notes.append("no custom all-reduce: tensor-parallel all-reduces run the collective "
                     "library's ring or tree")
    return ("; ".join(notes),)
