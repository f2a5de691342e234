"""Serving on HBM accelerators (GPU, Trainium, Ascend, TPU): per-device memory, decode and
prefill times for many plans and batches at once (numpy arrays, one entry per point).

Decode reads each device's share of the weights (the experts a micro-batch touches, for MoE) and
its KV cache once per step: every GEMM is costed by `cost/kernels/gemm.py` (calibrated roofline with a
per-kernel cost), so small batches are bound by bytes over achieved HBM bandwidth and large ones
by FLOPs. Tensor parallel adds two all-reduces of the hidden vector per layer (Megatron-LM,
Shoeybi et al. 2019) over the system's scale-up tiers; expert parallel two all-to-alls per MoE
layer (one direct exchange, as DeepEP and NCCL grouped send/recv issue every peer at once);
with data-parallel attention (`infer_plan.py`) each attention replica keeps only its own
requests' KV cache and all-reduces within itself, and the MoE layers exchange its tokens
all-to-all. Pipeline parallel adds a point-to-point per stage boundary. A token passes every stage, so
TPOT sums all layers; with pp stages, min(batch, pp) micro-batches share the step.
Prefill runs the prompt tokens of the batch as one pass, its attention compute-bound (fused).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from wafersim.catalog.memory import has_capacity_tier, spill_read_s
from wafersim.catalog.schema import Chip
from wafersim.catalog.system import System
from wafersim.cost.infer.common import ACT_BYTES, SelfDraft, Serving, expected_experts
from wafersim.cost.kernels.collectives import (
    direct_all_to_all_s,
    group_tiers,
    hierarchical_allreduce_s,
    p2p_s,
)
from wafersim.cost.kernels.efficiency import calibrated_fraction
from wafersim.cost.kernels.gemm import KERNEL_OVERHEAD_S, Device, gemm_time_s
from wafersim.cost.kernels.moe import grouped_gemm_time_s, rank_imbalance, touched_imbalance
from wafersim.memo import memoised
from wafersim.models.spec import ModelSpec, bytes_per_param
from wafersim.ops.graph import Op, lower
from wafersim.plan.infer_grid import OnePlan, Plans
from wafersim.xp import Real, Whole, ceil, maximum, minimum, real, total, where

Shape = tuple[Op, Real, Real, Real, Real]  # a GEMM on one device: op, n, k, token and expert shares

# assumption: share of HBM for weights + KV cache (vLLM gpu_memory_utilization default; range 0.85-0.95)
HBM_USABLE_FRACTION = 0.9
# assumption: non-GEMM kernels per layer (norms, rotary, activation, residual) under CUDA graphs,
# about four launches of ~2 us; range 4-30 us
LAYER_OVERHEAD_S = 8e-6
STEP_OVERHEAD_S = 50e-6  # assumption: per decode step (sampling, scheduling, host sync); 20-500 us
ROW_PARALLEL = (".o", ".down")  # Megatron row-parallel GEMMs shard the reduction width
REPLICATED = ("attn.q_a", "attn.kv_a", "moe.router")  # small projections every device computes
SHARED = "moe.shared."  # a MoE layer's always-on experts

# assumption where a chip has no calibrated serving efficiency: the median of the fitted chips
# (validate/calibrate_serving.py); range 0.4-1.0
DEFAULT_SERVING_EFFICIENCY = 0.62

STATIC_BATCH = "static batch: every request in flight prefills together, then decodes together"
ASSUMPTIONS = (
    f"{HBM_USABLE_FRACTION:g} of HBM holds weights + KV cache (vLLM default; range 0.85-0.95)",
    f"{LAYER_OVERHEAD_S * 1e6:g} us of non-GEMM kernels per layer (range 4-30 us), "
    f"{STEP_OVERHEAD_S * 1e6:g} us per decode step (range 20-500 us)",
    STATIC_BATCH,
)


def _layout(op: Op, plans: Plans) -> tuple[Whole, Real]:
    """(devices `op`'s weights split over, share of a replica's tokens one device computes)."""
    if op.name.startswith(REPLICATED):
        return 0 * plans.tp + 1, 1.0 / plans.ad
    if op.name.startswith("attn."):
        return plans.attention_tp, 1.0 / plans.ad
    if op.name.startswith(SHARED):  # data-parallel next to data-parallel attention (DeepEP style)
        return where(plans.ad > 1, 1, plans.tp), 1.0 / plans.ad
    if op.kind == "expert":
        return maximum(plans.tp // plans.ep, 1), 1.0
    return plans.tp, 1.0


def _shard(op: Op, plans: Plans) -> tuple[Real | Whole, Real | Whole, Real]:
    """(n, k, token share) one device computes for `op`: row-parallel GEMMs split k, others n."""
    width, share = _layout(op, plans)
    if op.name.endswith(ROW_PARALLEL):
        return op.n + 0 * width, op.k / width, share
    return op.n / width, op.k + 0 * width, share


def _expert_share(model: ModelSpec, plans: Plans) -> Real:
    """Share of the routed experts on the fullest device of an expert-parallel group."""
    share: Real = (ceil(model.n_experts / plans.ep) / model.n_experts if model.is_moe
                   else 1.0 + 0 * plans.ep)
    return share


@memoised(256, identity=(OnePlan,))
def gemm_shapes(model: ModelSpec, plans: Plans) -> tuple[Shape, ...]:
    """(op, n, k, token share, expert share) of every GEMM of a pass, sharded by each plan;
    memoised for one plan (plans given as arrays are not hashable: computed each call)."""
    expert = _expert_share(model, plans)
    shapes = []
    for op in lower(model, "decode", 1, 0).ops:
        if op.n and op.k:
            n, k, share = _shard(op, plans)
            shapes.append((op, real(n), real(k), share, expert))
    return tuple(shapes)


@memoised(256, identity=(OnePlan,))
def weight_bytes_per_device(model: ModelSpec, precision: str, plans: Plans) -> Real:
    """Layer weights by their split, over pp stages; embedding and head split over tp, both on
    the one stage without pipelining, else the larger of the two (first and last stage). Memoised
    for one plan."""
    layer: Real = 0.0
    ops = lower(model, "decode", 1, 0).layer_ops()
    for op in ops:
        width, _ = _layout(op, plans)
        share = _expert_share(model, plans) / width if op.kind == "expert" else 1.0 / width
        layer = layer + op.weight_params * op.repeat * share
    rest = model.params_total - sum(op.weight_params * op.repeat for op in ops)
    ends = max(model.embedding_params(), rest - model.embedding_params())
    edge = where(plans.pp > 1, ends, rest)
    out: Real = (layer / plans.pp + edge / plans.tp) * bytes_per_param(precision)
    return out


@memoised(256, identity=(OnePlan,))
def kv_bytes_per_token_device(model: ModelSpec, precision: str, plans: Plans) -> Real:
    """KV cache one device holds per cached token of its replica: its layers, its attention
    replica's share of the requests and its KV heads (replicated past tp = kv heads). Memoised
    for one plan."""
    full = model.kv_cache_bytes_per_token(precision) / plans.pp / plans.ad
    if model.is_mla:
        out: Real = full + 0.0 * plans.tp  # the latent is shared by all heads: every device keeps it
        return out
    heads = ceil(model.n_kv_heads / plans.attention_tp)
    out = full * heads / model.n_kv_heads
    return out


def _gemms(model: ModelSpec, device: Device, serving: Serving, shapes: tuple[Shape, ...],
           tokens: Real, moe_tokens: Real, ranks: Whole) -> Real:
    """Seconds of every GEMM of one pass over all layers for `tokens` tokens per replica step
    (`ranks`: the expert-parallel degree)."""
    total: Real = 0.0
    for op, n, k, share, expert in shapes:
        if op.kind == "expert":
            t = _experts(model, device, serving, (n, k, expert), moe_tokens, ranks)
        else:
            t = gemm_time_s(tokens * share, n, k, device, serving.precision, ACT_BYTES)
        total = total + op.repeat * t
    return total


def _experts(model: ModelSpec, device: Device, serving: Serving, shape: tuple[Real, Real, Real],
             moe_tokens: Real, ranks: Whole) -> Real:
    """One routed-expert GEMM on the busiest expert-parallel rank: the experts the step touches
    (`expected_experts`), the rank's excess of them and of routed tokens (`rank_imbalance`),
    and the grouped kernel's tiles."""
    n, k, expert = shape
    touched = expected_experts(model.n_experts, model.top_k, moe_tokens)
    inst = touched * expert * touched_imbalance(touched, model.n_experts, ranks)
    rows = (moe_tokens * model.top_k * expert
            * rank_imbalance(moe_tokens * model.top_k, model.n_experts, ranks))
    return grouped_gemm_time_s(rows / inst, n, k, device, inst, serving.precision, ACT_BYTES)


def score_dims(model: ModelSpec, decode: bool) -> int:
    """Query-key plus value width per head of the attention scores.

    MLA decode absorbs the up-projections into the query and output (DeepSeek-V2 report section
    2.1.2; FlashMLA), so each head scores against the 576-wide latent + rope key and reads the
    512-wide latent as its value; prefill expands the latent and runs at the head widths.
    """
    if decode and model.is_mla:
        return 2 * model.kv_lora_rank + model.qk_rope_head_dim
    return model.qk_dim + model.v_dim


def _attention(model: ModelSpec, device: Device, serving: Serving, plans: Plans, tokens: Real,
               keys: float, queries: int = 1) -> Real:
    """All layers: KV bytes read and score FLOPs per device; `keys` is keys per request, each of
    the `tokens` requests scoring `queries` tokens against its cache in one read."""
    kv = tokens * keys * kv_bytes_per_token_device(model, serving.kv_precision, plans) * plans.pp
    flops = (2.0 * tokens * queries / plans.ad * keys * model.n_heads / plans.attention_tp
             * score_dims(model, decode=True))  # one layer
    per_layer = maximum(kv / model.n_layers / device.memory_Bps,
                        flops / (device.matmul_efficiency * device.peak_flops_per_s))
    out: Real = model.n_layers * (per_layer + device.kernel_overhead_s)
    return out


def _communication(model: ModelSpec, system: System, plans: Plans, tokens: Real,
                   allreduce: str = "auto") -> tuple[Real, Real, Real]:
    """(tensor all-reduce, expert all-to-all, pipeline p2p) seconds of one pass, all layers:
    one plan at once, or each distinct (tp, pp, ep, ad) of many plans on its own points."""
    hidden = tokens * model.d_model * ACT_BYTES
    if not isinstance(plans.tp, np.ndarray):
        return _group_communication(model, system, plans.tp, int(plans.pp), int(plans.ep),
                                    int(plans.ad), hidden, allreduce)
    out = ar, a2a, p2p = tuple(np.zeros(len(plans)) for _ in range(3))
    many = np.broadcast_to(np.asarray(hidden, float), (len(plans),))
    keys = np.stack([plans.tp, plans.pp, plans.ep, plans.ad], axis=1)
    for tp, pp, ep, ad in sorted(set(map(tuple, keys.tolist()))):  # np.unique(axis=0) is slower
        at = np.all(keys == (tp, pp, ep, ad), axis=1)
        for part, t in zip(out, _group_communication(model, system, tp, pp, ep, ad, many[at],
                                                          allreduce),
                           strict=True):
            if isinstance(t, np.ndarray):  # a part the degrees have (else it stays 0)
                part[at] = t
    return ar, a2a, p2p


def _group_communication(model: ModelSpec, system: System, tp: int, pp: int, ep: int, ad: int,
                         hidden: Real, allreduce: str = "auto") -> tuple[Real, Real, Real]:
    """Communication of one plan's degrees for hidden vectors of `hidden` bytes.

    Attention all-reduces its output within its replica (tp / ad devices, its own tokens); the
    feed-forward all-reduces over the whole group, except that with data-parallel attention only
    the dense layers do, as the MoE layers exchange tokens all-to-all instead.
    """
    ar: Real = 0.0
    a2a: Real = 0.0
    p2p: Real = 0.0
    ffn_layers = model.n_layers if ad == 1 else model.n_layers - model.n_moe_layers
    attention: Real = 0.0
    if tp // ad > 1:
        attention = _allreduce(system, hidden / ad, tp // ad, allreduce)
        ar = model.n_layers * attention
    if tp > 1 and ffn_layers:  # without data-parallel attention, the attention's all-reduce again
        ar = ar + ffn_layers * (attention if ad == 1 else _allreduce(system, hidden, tp,
                                                                         allreduce))
    if ep > 1:
        routed = hidden / ad * model.top_k  # each token goes to top_k experts and back
        a2a = 2 * model.n_moe_layers * direct_all_to_all_s(routed, ep, group_tiers(system, ep)[-1][0])
    if pp > 1:
        p2p = (pp - 1) * p2p_s(hidden, group_tiers(system, tp * pp)[-1][0])
    return ar, a2a, p2p


def _allreduce(system: System, nbytes: Real, devices: int, chooser: str) -> Real:
    return hierarchical_allreduce_s(nbytes, group_tiers(system, devices), chooser)


@memoised(identity=(Chip,))
def serving_efficiency(chip: Chip) -> tuple[float, str]:
    """Share of the kernel-level estimate the chip's serving stack achieves end to end
    (memoised)."""
    return calibrated_fraction(chip, "serving_efficiency_fraction", DEFAULT_SERVING_EFFICIENCY,
                               "0.4-1.0", "serving")


def with_stack(parts: dict[str, Real], chip: Chip, serving: Serving, requests: Real,
               model: ModelSpec, speculate: bool = False) -> dict[str, Real]:
    """Add the default stack's share, kernel-level time x (1 / efficiency - 1), then run the
    parts as a named stack does for `requests` per step, speculating with `speculate`
    (`Serving.stack_parts`)."""
    return serving.stack_parts(parts, serving_efficiency(chip)[0], requests, model=model,
                               speculate=speculate)


def fixed_overhead_s(model: ModelSpec, device: Device) -> float:
    """Per-step seconds outside the GEMMs and attention: the non-GEMM kernels of every layer,
    counted in kernel launches (LAYER_OVERHEAD_S is 1.6 launches of KERNEL_OVERHEAD_S, so a chip
    that fuses each decoder layer into one kernel, kernel cost 0, has none), plus the step's."""
    launches = LAYER_OVERHEAD_S / KERNEL_OVERHEAD_S  # non-GEMM kernel launches per layer
    return model.n_layers * launches * device.kernel_overhead_s + STEP_OVERHEAD_S


def _decode_pass(model: ModelSpec, system: System, device: Device, serving: Serving,
                 plans: Plans, b: Real, shapes: tuple[Shape, ...], queries: int = 1) -> dict[str, Real]:
    """Seconds of one decode step by part: each request runs `queries` tokens."""
    mb = b / minimum(b, plans.pp)  # requests per micro-batch
    gemm = _gemms(model, device, serving, shapes, mb * queries, mb * queries, plans.ep)
    attn = _attention(model, device, serving, plans, mb, serving.decode_context(model) + 1, queries)
    ar, a2a, p2p = _communication(model, system, plans, mb * queries, serving.allreduce)
    overhead = fixed_overhead_s(model, device) + 0 * b
    parts = {"gemm": gemm, "attention_kv": attn, "tensor_allreduce": ar,
             "expert_all_to_all": a2a, "pipeline_p2p": p2p, "kernel_overhead": overhead}
    if has_capacity_tier(system.chip):
        parts["capacity_tier_read"] = _capacity_tier(model, system, serving, plans, b)
    return parts


def _capacity_tier(model: ModelSpec, system: System, serving: Serving, plans: Plans,
                   b: Real) -> Real:
    """Extra seconds per decode step reading the weights and KV cache that spill past the fast
    tier into a capacity tier (DDR), at that tier's bandwidth (catalog/memory.py)."""
    weights = weight_bytes_per_device(model, serving.precision, plans)
    kv = b * (serving.decode_context(model) + 1) * kv_bytes_per_token_device(
        model, serving.kv_precision, plans)
    return spill_read_s(system.chip, weights + kv, HBM_USABLE_FRACTION)


def decode_parts(model: ModelSpec, system: System, device: Device, serving: Serving,
                 plans: Plans, batch: npt.ArrayLike, mtp: SelfDraft | None = None,
                 shapes: tuple[Shape, ...] | None = None) -> dict[str, Real]:
    """Seconds per output token by part, for per-replica `batch` (one per plan, or one number
    for one plan); `shapes` are the plans' `gemm_shapes`, found when not given.

    With multi-token prediction a step verifies lookahead + 1 tokens per request (the KV cache
    read once) after `lookahead` draft passes of the MTP module, costed as its layers plus the
    shared head at the mean layer's single-token time; the step yields tokens_per_step tokens.
    """
    b = real(batch)
    shapes = gemm_shapes(model, plans) if shapes is None else shapes
    if mtp is None:
        return with_stack(_decode_pass(model, system, device, serving, plans, b, shapes),
                          system.chip, serving, b, model, speculate=True)
    verify = _decode_pass(model, system, device, serving, plans, b, shapes, mtp.lookahead + 1)
    one = total(_decode_pass(model, system, device, serving, plans, b, shapes).values())
    draft = mtp.lookahead * one * (model.mtp_layers + 1) / model.n_layers
    parts = verify | {"mtp_draft": draft}
    return with_stack({k: v / mtp.tokens_per_step for k, v in parts.items()}, system.chip,
                      serving, b / mtp.tokens_per_step, model)


def prefill_parts(model: ModelSpec, system: System, device: Device, serving: Serving,
                  plans: Plans, batch: npt.ArrayLike,
                  shapes: tuple[Shape, ...] | None = None) -> dict[str, Real]:
    """Seconds to first token by part: the batch's prompts in one pass (`shapes` as in
    `decode_parts`)."""
    b = real(batch)
    tokens = b * serving.input_tokens
    shapes = gemm_shapes(model, plans) if shapes is None else shapes
    gemm = _gemms(model, device, serving, shapes, tokens, tokens, plans.ep)
    head_fix = _head_correction(device, serving, shapes, b, tokens)
    keys = serving.prefill_keys(model)  # causal; windowed layers see at most their span
    flops = (model.n_layers * 2.0 * tokens / plans.ad * keys * model.n_heads / plans.attention_tp
             * score_dims(model, decode=False))
    attn = flops / (device.matmul_efficiency * device.peak_flops_per_s)  # fused attention, compute-bound
    ar, a2a, p2p = _communication(model, system, plans, tokens, serving.allreduce)
    overhead = fixed_overhead_s(model, device) + 0 * b
    return with_stack({"gemm": gemm - head_fix,
                       "attention": attn + model.n_layers * device.kernel_overhead_s,
                       "tensor_allreduce": ar, "expert_all_to_all": a2a, "pipeline_p2p": p2p,
                       "kernel_overhead": overhead}, system.chip, serving, b, model)


def _head_correction(device: Device, serving: Serving, shapes: tuple[Shape, ...], b: Real,
                     tokens: Real) -> Real:
    """Prefill needs logits of each prompt's last token only: swap the head's rows to `b`."""
    n, k = next((n, k) for op, n, k, _, _ in shapes if op.name == "lm_head")
    full = gemm_time_s(tokens, n, k, device, serving.precision, ACT_BYTES)
    return full - gemm_time_s(b, n, k, device, serving.precision, ACT_BYTES)
