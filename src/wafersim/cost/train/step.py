"""One training step on an accelerator cluster, for many plans at once (numpy arrays over plans).

Per micro-batch, each pipeline stage runs its layers forward and backward (2x the forward
GEMMs), plus recompute, with tensor-parallel collectives on the critical path; micro-batches
stream through the pipeline, which idles (pp - 1) / v micro-batch times (Narayanan et al. 2021,
Sec. 2.2); the data-parallel gradient reduction overlaps the last backward pass and the ZeRO
parameter gather the first forward pass, so only their excess is exposed; then the optimizer
runs, bound by memory bandwidth. The step time is the sum of the breakdown.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from wafersim.catalog.memory import device_memory_bytes, has_capacity_tier
from wafersim.catalog.schema import Chip
from wafersim.catalog.system import System
from wafersim.cost.kernels.efficiency import calibrated_fraction
from wafersim.cost.kernels.gemm import Device, device_of, gemm_time_s
from wafersim.cost.kernels.moe import (
    ROUTER_SKEW_CV,
    grouped_gemm_time_s,
    quantise_time_s,
    rank_imbalance,
    tokens_per_expert,
)
from wafersim.cost.train.comm import GroupCollectives
from wafersim.cost.train.lora import FROZEN_BACKWARD, TRAINED_BACKWARD, adapter_params, adapter_time_s
from wafersim.cost.train.memory import (
    LOGIT_BYTES,
    activation_bytes,
    params_per_device,
    stage_share,
    state_bytes,
)
from wafersim.cost.train.moe_comm import all_to_all_s, overlapped
from wafersim.cost.train.recipe import EXPERT_PASSES, Recipe, exposes_launches, moe_launch_s
from wafersim.cost.train.scenario import DataParallelWire
from wafersim.errors import ConfigError, ParameterError
from wafersim.memo import memoised
from wafersim.models.spec import RECOMPUTE, ModelSpec
from wafersim.ops.graph import Graph, Op, lower
from wafersim.plan.train import PlanSpace
from wafersim.xp import Flag, Real, Whole, ceil, choose, maximum, ratio, total, where

Array = npt.NDArray[np.float64]
MEMORY_RESERVE_FRACTION = 0.10  # assumption (0.05-0.2): runtime context, NCCL buffers, fragmentation
OPTIMIZER_BYTES_PER_PARAM = 30.0  # Adam: read fp32 grad, master, m, v; write master, m, v, bf16 weight
ELEMENTWISE_PASSES = 2.0  # each elementwise op reads and writes its tensor once
BF16_BYTES = 2.0
ROW_PARALLEL = (".o", ".down")  # Megatron row-parallel linears: the reduction dim is split
REPLICATED = ("attn.q_a", "attn.kv_a", "moe.router")  # small projections kept whole on every rank
EAGER_SOFTMAX_BYTES = 9.0  # fused scale-mask-softmax (read 2, write 2) and dropout (read 2, write 2, mask 1)
ATTENTION = ("flash", "eager")
FP8_TRAINING = ("fp8", "fp4")  # GEMM inputs quantised from 16 bits in every pass
# backward / forward work of the attention core: eager keeps the probabilities (dV, dP, dQ, dK: 2x);
# flash recomputes QK^T in the backward pass, 5 matmuls against 2 (Dao 2023, FlashAttention-2, Sec. 4.1)
ATTENTION_BACKWARD = {"flash": 2.5, "eager": 2.0}


_FULL, _SELECTIVE = RECOMPUTE.index("full"), RECOMPUTE.index("selective")
DEFAULT_FRAMEWORK_EFFICIENCY = 0.8  # assumption where uncalibrated (range 0.55-1.0, the fitted chips' spread)


@dataclass(frozen=True)
class Accelerator:
    """The numbers of one accelerator kind in a cluster that a training step needs."""

    gemm: Device  # matmuls in the training precision
    attention: Device  # attention core (16-bit even when the GEMMs run in fp8)
    hbm_bytes: float
    usable_bytes: float
    scale_up: int  # devices in the largest scale-up domain
    framework: float  # achieved share of the kernel-level compute estimate in real training
    assumptions: tuple[str, ...]


@memoised(identity=(System,))
def accelerator_of(system: System, precision: str) -> Accelerator:
    """Peak, calibrated efficiencies, memory and scale-up domain of `system`'s accelerator
    (memoised)."""
    chip = system.chip
    size = device_memory_bytes(chip)
    if size is None:
        raise ConfigError(f"{chip.id} has no device memory size in the catalog; add hbm_bytes")
    gemm = device_of(chip, precision)
    attention = gemm if precision in ("bf16", "fp16", "fp32") else device_of(chip, "bf16")
    hbm = float(size)
    scale_up = max([t.devices for t in system.scale_up], default=1)
    framework, note = _framework(chip)
    notes = (*gemm.assumptions, note, f"{MEMORY_RESERVE_FRACTION:.0%} of device memory reserved for "
             "the runtime, communication buffers and fragmentation (assumed)")
    if has_capacity_tier(chip):
        notes = (*notes, f"{chip.id} device memory counts its capacity tier (DDR); what a step "
                 "touches once (optimizer state) is assumed to live there, kernels stream at the fast "
                 "tier's bandwidth")
    return Accelerator(gemm, attention, hbm, hbm * (1 - MEMORY_RESERVE_FRACTION), scale_up,
                       framework, notes)


def _framework(chip: Chip) -> tuple[float, str]:
    return calibrated_fraction(chip, "framework_efficiency_fraction",
                               DEFAULT_FRAMEWORK_EFFICIENCY, "0.55-1.0", "training")


@dataclass(frozen=True)
class Step:
    """Step time, breakdown and memory of every plan in a `PlanSpace` (arrays over plans), or of
    one plan given as ints (floats)."""

    plans: PlanSpace
    n_micro: Real  # micro-batches per step
    breakdown: dict[str, Real]  # seconds per step; sums to `time_s`
    memory: dict[str, Real]  # bytes per device of the fullest stage
    usable_bytes: float

    @cached_property
    def time_s(self) -> Real:
        return _sum_parts(self.breakdown)

    @cached_property
    def memory_bytes(self) -> Real:
        return _sum_parts(self.memory)

    @property
    def feasible(self) -> Flag:
        return self.memory_bytes <= self.usable_bytes


def _sum_parts(parts: dict[str, Real]) -> Real:
    """The parts added up, left to right for each plan (as numpy adds a stack of arrays)."""
    values = list(parts.values())
    if isinstance(values[0], np.ndarray):
        many: Real = np.sum(np.asarray(values), axis=0)
        return many
    return float(total(values))


def _split(op: Op, tp: Whole) -> tuple[Real, Real]:
    """(n, k) of `op` on one tensor-parallel rank, as floats."""
    if op.name in REPLICATED:
        return float(op.n), float(op.k)
    if op.name.endswith(ROW_PARALLEL):
        return float(op.n), op.k / tp
    return op.n / tp, float(op.k)


def _overlap_moe(comm: dict[str, Real], work: Real, plans: PlanSpace) -> dict[str, Real]:
    """Expert all-to-all and pipeline sends of overlapping plans, hidden behind `work`."""
    hidden = comm["exposed_ep_all_to_all"] + comm["exposed_pp_p2p"]
    kept = ratio(overlapped(hidden, work, plans.overlap), hidden)
    return comm | {k: comm[k] * kept for k in ("exposed_ep_all_to_all", "exposed_pp_p2p")}


class StepModel:
    """Evaluates plans of one model, workload and system; built once, reused per search."""

    def __init__(self, model: ModelSpec, system: System, seq_len: int, global_batch: int,
                 precision: str, attention: str = "flash", lora_rank: int = 0,
                 routing_skew_cv: float = ROUTER_SKEW_CV, capacity_factor: float | None = None,
                 wire: DataParallelWire = DataParallelWire(), framework_speed: float = 1.0,
                 recipe: Recipe = Recipe(), host_launch: tuple[float, float] = (0.0, 0.0)) -> None:
        if attention not in ATTENTION:
            raise ParameterError("attention", attention, "{attention!r} is not one of "
                                 f"{', '.join(ATTENTION)}", allowed=f"one of {', '.join(ATTENTION)}")
        self.model, self.system, self.seq_len = model, system, seq_len
        self.attention = attention
        self.global_batch, self.precision = global_batch, precision
        self.accel = accelerator_of(system, precision)
        self.comm = GroupCollectives(system)
        self.graph: Graph = lower(model, "train", 1, seq_len)
        self.lora_rank = lora_rank  # 0: full training; r: LoRA adapters of rank r, base frozen
        self.adapters = adapter_params(self.graph, lora_rank)
        # routing: the trained router's skew, and the capacity factor where the framework drops
        # tokens (None: dropless, Megatron-Core's default and DeepSeek-V3's)
        self.capacity_factor = capacity_factor
        self.routing_skew_cv = 0.0 if recipe.balanced_routing else routing_skew_cv
        self.wire = wire  # bytes per parameter: gradients reduced, weights gathered
        # the training framework's speed over the chip's default framework (`Framework`)
        self.framework_speed = framework_speed
        # CUDA graphs and expert GEMM path; (seconds per host launch, launches per expert GEMM)
        self.recipe, self.host_launch = recipe, host_launch

    def _gemms(self, plans: PlanSpace, tokens: Real, share: Real | None = None,
               names: frozenset[str] | None = None) -> Real:
        """Forward GEMM seconds of one stage's layers for one micro-batch (`share`: the
        plans' `stage_share`, computed when not given, as in the methods below; `names`: only
        those ops)."""
        m, total = self.model, _zeros(plans)
        share = stage_share(m, plans) if share is None else share
        for op in self.graph.layer_ops():
            if op.kind not in ("gemm", "expert", "router") or (names is not None and op.name not in names):
                continue
            n, k = _split(op, plans.tp)
            t = (self._expert(plans, tokens, n, k) if op.kind == "expert"
                 else gemm_time_s(tokens, n, k, self.accel.gemm))
            total = total + t * op.repeat * share
        return total

    def _load(self, plans: PlanSpace, tokens: Real) -> Real:
        """Routed copies on the busiest expert-parallel rank over the mean rank's (`rank_imbalance`)."""
        m = self.model
        return rank_imbalance(tokens * plans.ep * m.top_k, m.n_experts, plans.ep,
                              self.routing_skew_cv, self.capacity_factor)

    def _expert(self, plans: PlanSpace, tokens: Real, n: Real, k: Real) -> Real:
        """One routed-expert GEMM of one micro-batch on the busiest rank: the ep group's tokens
        on the rank's experts, in one grouped kernel."""
        m = self.model
        rows = tokens_per_expert(tokens * plans.ep, m.top_k, m.n_experts) * self._load(plans, tokens)
        return grouped_gemm_time_s(rows, n, k, self.accel.gemm, m.n_experts / plans.ep)

    def _quantise(self, plans: PlanSpace, tokens: Real, share: Real) -> Real:
        """fp8 quantisation passes of one stage's routed-expert GEMMs, forward and backward
        (`quantise_time_s`; none in 16-bit training)."""
        m = self.model
        if not m.is_moe or self.precision not in FP8_TRAINING:
            return _zeros(plans)
        rows = tokens * m.top_k * self._load(plans, tokens)  # copies on the busiest rank
        total: Real = 0.0
        for op in self.graph.layer_ops():
            if op.kind == "expert":
                n, k = _split(op, plans.tp)
                total = total + quantise_time_s(rows, n, k, self.accel.gemm) * op.repeat * share
        return total

    def _modules(self, plans: PlanSpace, tokens: Real, share: Real, attn: Real, slow: float) -> Real:
        """Seconds of the recipe's recomputed modules (`recipe.py`); `attn` the attention core's,
        rerun unless selective recompute already does."""
        names = self.recipe.recomputed_ops
        core = where(plans.recompute == _SELECTIVE, 0.0, attn) if "attn.core" in names else 0.0
        out: Real = (self._gemms(plans, tokens, share, names) * slow + core) if names else 0.0
        return out

    def _host_launches(self, plans: PlanSpace, share: Real) -> Real:
        """Host launch time one stage's MoE layers expose per micro-batch (`recipe.py`)."""
        m = self.model
        out: Real = moe_launch_s(self.recipe, self.graph, m, m.n_experts / plans.ep,
                                 self.host_launch) * m.n_moe_layers * share
        return out

    def _attention(self, plans: PlanSpace, share: Real | None = None) -> Real:
        """Forward attention-core seconds of one stage for one micro-batch.

        flash: full-sequence FLOPs at GEMM efficiency (causal masking halves the work, flash
        kernels reach about half the GEMM efficiency (Dao 2023); the two are taken to cancel).
        eager: QK^T and AV as batched GEMMs that write and read the s x s scores, plus the fused
        scale-mask-softmax and dropout passes over them (Megatron-LM before flash attention); a
        sliding window or chunk only masks those scores, so it saves nothing there.
        """
        m, s = self.model, self.seq_len
        heads = plans.micro_batch * m.n_heads / plans.tp  # (sequence, head) pairs per device
        dev = self.accel.attention
        t: Real
        if self.attention == "flash":
            keys = m.training_keys(s)  # mean over layers: windowed layers see their span
            flops = 2.0 * heads * (s / plans.cp) * keys * (m.qk_dim + m.v_dim)
            t = flops / (dev.matmul_efficiency * dev.peak_flops_per_s) + 2 * dev.kernel_overhead_s
        else:
            q = s / plans.cp
            t = (gemm_time_s(q, s, m.qk_dim, dev, "bf16", instances=heads)
                 + gemm_time_s(q, m.v_dim, s, dev, "bf16", instances=heads)
                 + heads * q * s * EAGER_SOFTMAX_BYTES / dev.memory_Bps)
        out: Real = t * m.n_layers * (stage_share(m, plans) if share is None else share)
        return out

    def _elementwise(self, plans: PlanSpace, tokens: Real, share: Real | None = None) -> Real:
        """Norms, residual adds and the MLP activation of one stage: memory-bound passes."""
        m = self.model
        d_ff = m.top_k * m.d_ff_expert if m.is_moe else m.d_ff
        per_token = 2.0 * ELEMENTWISE_PASSES * (4 * m.d_model + (3 if m.gated_mlp else 2) * d_ff)
        layers = m.n_layers * (stage_share(m, plans) if share is None else share)
        out: Real = per_token * tokens / plans.tp * layers / self.accel.gemm.memory_Bps
        return out

    def _permute(self, plans: PlanSpace, tokens: Real, share: Real | None = None) -> Real:
        """MoE token permutation into expert order and back (top-k copies of each hidden state,
        Megatron-Core token dispatchers), on the tokens a tensor-parallel group gathers; the
        backward pass moves the gradients the same way."""
        m = self.model
        if not m.is_moe:
            return _zeros(plans)
        moved = 2.0 * (1.0 + m.top_k) * m.d_model * BF16_BYTES  # permute and unpermute, read + write
        layers = m.n_moe_layers * (stage_share(m, plans) if share is None else share)
        out: Real = moved * tokens * layers / self.accel.gemm.memory_Bps
        return out

    def _adapters(self, plans: PlanSpace, tokens: Real, share: Real | None = None) -> Real:
        """Forward seconds of one stage's LoRA adapters (none in full training)."""
        if not self.lora_rank:
            return _zeros(plans)
        return adapter_time_s(self.graph, self.lora_rank, tokens, plans.tp,
                              stage_share(self.model, plans) if share is None else share,
                              self.accel.gemm)

    def _head(self, plans: PlanSpace, tokens: Real) -> Real:
        """LM head and loss on the last stage, forward only."""
        m = self.model
        gemm = gemm_time_s(tokens, m.vocab_size / plans.tp, m.d_model, self.accel.gemm)
        loss = tokens * m.vocab_size / plans.tp * LOGIT_BYTES * ELEMENTWISE_PASSES
        return gemm + loss / self.accel.gemm.memory_Bps

    def evaluate(self, plans: PlanSpace) -> Step:
        """Step time, breakdown and memory of every plan."""
        m, share = self.model, stage_share(self.model, plans)
        tokens = plans.micro_batch * self.seq_len / plans.cp  # per device per micro-batch
        n_micro = ceil(ceil(self.global_batch / plans.dp) / plans.micro_batch)
        # kernels, launches and syncs the model does not list; the framework's own speed
        slow = 1.0 / (self.accel.framework * self.framework_speed)
        gemms = self._gemms(plans, tokens, share) * slow
        adapters = self._adapters(plans, tokens, share) * slow
        eltwise, attn = self._elementwise(plans, tokens, share) * slow, self._attention(plans, share) * slow
        head, permute = self._head(plans, tokens) * slow, self._permute(plans, tokens, share) * slow
        quantise = self._quantise(plans, tokens, share) * slow
        layers_fwd = gemms + adapters + eltwise + permute
        full, selective = plans.recompute == _FULL, plans.recompute == _SELECTIVE
        recompute = where(full, layers_fwd + attn, where(selective, attn, 0.0)
                          + self._modules(plans, tokens, share, attn, slow))
        weights = FROZEN_BACKWARD if self.lora_rank else TRAINED_BACKWARD  # dX (and dW) per GEMM
        compute = ((1.0 + weights) * (gemms + head) + 3.0 * (adapters + eltwise) + 2.0 * permute
                   + quantise + (1.0 + ATTENTION_BACKWARD[self.attention]) * attn)  # forward + backward
        comm = self._micro_batch_comm(plans, tokens, attn, full, share)
        if m.is_moe:
            comm = _overlap_moe(comm, compute + recompute, plans)
        host = self._host_launches(plans, share) * (1.0 + full / EXPERT_PASSES)  # + recomputed fwd
        per_micro = compute + recompute + host + total(comm.values())
        parts = {"compute": n_micro * compute, "recompute": n_micro * recompute}
        if exposes_launches(self.recipe, m, self.host_launch[0]):
            parts["host_launches"] = n_micro * host
        parts |= {name: n_micro * t for name, t in comm.items()}
        parts["pipeline_bubble"] = (plans.pp - 1) / plans.v * per_micro
        # data-parallel traffic hides behind a micro-batch's compute and its exposed ring-attention
        # time alike, so the window is the forward share of both (keeps the step monotone)
        window = layers_fwd + attn + head + comm["exposed_cp_comm"] / 3.0
        parts |= self._data_parallel(plans, n_micro, window, share)
        memory = state_bytes(m, plans, self.precision, self.adapters, share)
        memory["activations"] = activation_bytes(m, plans, self.seq_len, n_micro,
                                                 self.attention == "eager", share,
                                                 frozen_mlp=bool(self.lora_rank))
        return Step(plans, n_micro, parts, memory, self.accel.usable_bytes)

    def _micro_batch_comm(self, plans: PlanSpace, tokens: Real, attn: Real, full: Flag,
                          share: Real) -> dict[str, Real]:
        """Exposed communication of one stage per micro-batch, by kind."""
        m, c = self.model, self.comm
        act = tokens * m.d_model * 2.0  # one bf16 hidden state of the micro-batch
        passes = 2.0 + full  # forward, backward, and forward again under full recompute
        # sequence parallel: all-gather + reduce-scatter around attention and MLP (Korthikanti 2022)
        tp = 2.0 * (c.time_s("all_gather", act, 1, plans.tp) + c.time_s("reduce_scatter", act, 1, plans.tp))
        out: dict[str, Real] = {"exposed_tp_comm": tp * passes * m.n_layers * share}
        out["exposed_cp_comm"] = self._context_parallel(plans, tokens, attn, share)
        if m.is_moe:  # dispatch + combine all-to-all per MoE layer and pass
            fwd, bwd = all_to_all_s(c, m, plans, tokens, self.accel.scale_up, self.precision == "fp8")
            load = self._load(plans, tokens)  # the busiest rank receives the most
            out["exposed_ep_all_to_all"] = (fwd * (1.0 + full) + bwd) * load * m.n_moe_layers * share
        hops = where(plans.pp > 1, 2.0 * plans.v, 0.0)  # activation forward, gradient back
        out["exposed_pp_p2p"] = hops * c.p2p_s(act / plans.tp, plans.tp * plans.cp * plans.dp)
        return out

    def _context_parallel(self, plans: PlanSpace, tokens: Real, attn: Real, share: Real) -> Real:
        """Ring attention (Liu et al. 2023): cp - 1 KV exchanges per layer, hidden behind the
        attention compute; backward sends KV and their gradients."""
        m = self.model
        kv = (m.n_heads * (m.qk_dim + m.v_dim) if m.is_mla else 2 * m.n_kv_heads * m.head_dim)
        hop = self.comm.p2p_s(tokens * kv * 2.0 / plans.tp, plans.tp) * (plans.cp - 1)
        layers = m.n_layers * share
        per_layer = attn / layers
        exposed = maximum(0.0, hop - per_layer) + maximum(0.0, 2.0 * hop - 2.0 * per_layer)
        out: Real = where(plans.cp > 1, exposed * layers, 0.0)
        return out

    def _data_parallel(self, plans: PlanSpace, n_micro: Real, fwd: Real,
                       share: Real) -> dict[str, Real]:
        """Exposed gradient reduction / ZeRO gathers, and the optimizer step."""
        base = params_per_device(self.model, plans, share)
        trained = (self.adapters * share / plans.tp, 0.0 * base[1]) \
            if self.lora_rank else base  # LoRA: only the adapters are reduced and updated
        c, z = self.comm, plans.zero
        group, edp = plans.dp * plans.cp, maximum(plans.dp * plans.cp // plans.ep, 1)

        def coll(op: str, bytes_per_param: float, params: tuple[Real, Real]) -> Real:
            return (c.time_s(op, params[0] * bytes_per_param, plans.tp, group)
                    + c.time_s(op, params[1] * bytes_per_param, plans.tp * plans.ep, edp))
        reduce = choose(z == 0, lambda: coll("allreduce", self.wire.grad_reduce_bytes, trained),
                        lambda: coll("reduce_scatter", self.wire.grad_reduce_bytes, trained))
        gather_base = coll("all_gather", self.wire.param_gather_bytes, base)
        gather_trained = (coll("all_gather", self.wire.param_gather_bytes, trained) if self.lora_rank
                          else gather_base)
        gather = where(z >= 3, gather_base, where(z >= 1, gather_trained, 0.0))
        once = maximum(0.0, reduce - 2.0 * fwd) + maximum(0.0, gather - fwd)
        per_micro = n_micro * maximum(0.0, reduce + 2.0 * gather - 3.0 * fwd)  # ZeRO-3
        dense, expert = trained
        local = where(z >= 1, dense / group + expert / edp, dense + expert)
        bw = self.accel.gemm.memory_Bps
        return {"exposed_dp_comm": where(z >= 3, per_micro, once),
                "optimizer": local * OPTIMIZER_BYTES_PER_PARAM / bw}


def _zeros(plans: PlanSpace) -> Real:
    """No seconds for any plan: an array of zeros, or 0.0 for one plan given as ints."""
    return np.zeros(len(plans)) if isinstance(plans.tp, np.ndarray) else 0.0
