"""Lower a model and a phase into an operator graph: per-layer GEMMs, attention, norms, embedding,
LM head, MoE routing and experts, each with FLOPs, weights, activation bytes and GEMM shapes.

The graph is small: one `Op` per distinct operator, with `repeat` saying in how many layers it
occurs, so a 126-layer model lowers to about fifteen ops. Matmul FLOPs (2 per multiply-add) are
what MFU counts; norms, activations and softmax go to `vector_flops`. Attention scores use the
full sequence for training (Megatron-LM / PaLM convention) and causal counts for prefill;
sliding-window and chunked layers get an attention op of their own with their spans' keys.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from typing import Literal

from wafersim.errors import ConfigError
from wafersim.models.spec import ModelSpec

Phase = Literal["train", "prefill", "decode"]
PHASES = ("train", "prefill", "decode")


@dataclass(frozen=True, slots=True)
class Op:
    """One operator, for the whole batch, as it occurs in each of `repeat` layers."""

    name: str
    kind: str  # gemm | attention | norm | embedding | router | expert
    flops: float = 0.0  # matmul FLOPs per occurrence
    vector_flops: float = 0.0  # elementwise/softmax FLOPs per occurrence
    weight_params: float = 0.0  # parameters stored for this op, per occurrence
    act_out_elems: float = 0.0  # output activation elements per occurrence
    kv_read_elems: float = 0.0  # KV-cache elements read per occurrence (decode)
    m: float = 0.0  # GEMM rows (tokens) per instance
    n: int = 0  # GEMM output width
    k: int = 0  # GEMM reduction width
    instances: int = 1  # parallel GEMM instances (experts)
    fused: int = 1  # weight matrices of one shape fused into this GEMM (gate and up: 2)
    repeat: int = 1  # layers containing this op
    layer: bool = True  # part of a transformer layer (False: embedding, head)


@dataclass(frozen=True)
class Graph:
    """The operators of one step of `phase` over `batch` sequences."""

    model: ModelSpec
    phase: Phase
    batch: int  # sequences (train/prefill) or concurrent requests (decode)
    seq_len: int  # tokens per sequence (train/prefill) or cached context (decode)
    ops: tuple[Op, ...]

    @property
    def tokens(self) -> int:
        """Tokens processed in the step."""
        return self.batch * (1 if self.phase == "decode" else self.seq_len)

    @cached_property
    def forward_flops(self) -> float:
        return sum(op.flops * op.repeat for op in self.ops)

    @cached_property
    def weight_params(self) -> float:
        return sum(op.weight_params * op.repeat for op in self.ops)

    def layer_ops(self) -> tuple[Op, ...]:
        return tuple(op for op in self.ops if op.layer)

    def training_flops(self, recompute: str = "none") -> float:
        """Forward + backward (2x) + recomputed forward work (Narayanan et al. 2021)."""
        fwd = self.forward_flops
        if recompute == "none":
            return 3.0 * fwd
        if recompute == "full":
            return 4.0 * fwd - sum(op.flops * op.repeat for op in self.ops if not op.layer)
        if recompute == "selective":  # Korthikanti et al. 2022: the attention core only
            return 3.0 * fwd + sum(op.flops * op.repeat for op in self.ops if op.kind == "attention")
        raise ConfigError(f"recompute {recompute!r} is not one of none, selective, full")

    def by_kind(self) -> dict[str, float]:
        """Forward matmul FLOPs per op kind."""
        out: dict[str, float] = {}
        for op in self.ops:
            out[op.kind] = out.get(op.kind, 0.0) + op.flops * op.repeat
        return out


def _gemm(name: str, tokens: float, n: int, k: int, repeat: int, bias: bool = False,
          instances: int = 1, kind: str = "gemm", layer: bool = True, fused: int = 1) -> Op:
    # y[tokens, n] = x[tokens, k] @ W[k, n]: 2*tokens*n*k FLOPs per instance
    return Op(name=name, kind=kind, flops=2.0 * tokens * n * k * instances,
              weight_params=(n * k + (n if bias else 0)) * instances,
              act_out_elems=tokens * n * instances, m=tokens, n=n, k=k, instances=instances,
              fused=fused, repeat=repeat, layer=layer)


def _norm(m: ModelSpec, name: str, tokens: float, repeat: int, layer: bool = True) -> Op:
    width = m.d_model
    return Op(name=name, kind="norm", vector_flops=5.0 * tokens * width,
              weight_params=width * (2 if m.norm_bias else 1), act_out_elems=tokens * width,
              repeat=repeat, layer=layer)


def _attention_projections(m: ModelSpec, t: float) -> list[Op]:
    L, d, h = m.n_layers, m.d_model, m.n_heads
    if m.is_mla:  # DeepSeek-V2/V3 multi-head latent attention (naive, non-absorbed form)
        ops = []
        if m.q_lora_rank:
            ops += [_gemm("attn.q_a", t, m.q_lora_rank, d, L),
                    _gemm("attn.q_b", t, h * m.qk_dim, m.q_lora_rank, L)]
        else:
            ops += [_gemm("attn.q", t, h * m.qk_dim, d, L)]
        ops += [_gemm("attn.kv_a", t, m.kv_lora_rank + m.qk_rope_head_dim, d, L),
                _gemm("attn.kv_b", t, h * (m.qk_nope_head_dim + m.v_head_dim), m.kv_lora_rank, L),
                _gemm("attn.o", t, d, h * m.v_head_dim, L)]
        return ops
    qkv = (h + 2 * m.n_kv_heads) * m.head_dim
    ops = [_gemm("attn.qkv", t, qkv, d, L, bias=m.attn_bias),
           _gemm("attn.o", t, d, h * m.head_dim, L, bias=m.attn_bias)]
    if m.relative_position_projection:  # Transformer-XL relative position projection (Gopher)
        ops.append(_gemm("attn.rel_pos", t, d, d, L))
    return ops


def _attention_core(m: ModelSpec, phase: Phase, batch: int, seq: int) -> list[Op]:
    """One op for the global layers and one for the windowed ones (models/windows.py)."""
    if phase == "decode":
        keys = float(batch * (seq + 1))  # each request attends to its cache plus itself
    elif phase == "prefill":
        keys = batch * seq * (seq + 1) / 2  # causal: token i sees i keys
    else:
        keys = float(batch * seq * seq)  # full-sequence convention for training FLOPs
    n_window = m.n_window_layers
    ops = [_core(m, "attn.core", phase, batch, seq, keys, m.n_layers - n_window)]
    if n_window:
        window = replace(m, window_layers=tuple(range(m.n_layers)))  # every layer windowed
        if phase == "decode":
            keys = batch * window.decode_keys(seq)
        elif phase == "prefill":
            keys = batch * window.causal_keys(1, seq)
        else:
            keys = batch * seq * window.training_keys(seq)
        ops.append(_core(m, "attn.window", phase, batch, seq, keys, n_window))
    return [op for op in ops if op.repeat]


def _core(m: ModelSpec, name: str, phase: Phase, batch: int, seq: int, keys: float,
          layers: int) -> Op:
    kv_per_token = (m.kv_lora_rank + m.qk_rope_head_dim if m.is_mla
                    else 2 * m.n_kv_heads * m.head_dim)
    tokens = batch * (1 if phase == "decode" else seq)
    return Op(name=name, kind="attention",
              flops=2.0 * keys * m.n_heads * (m.qk_dim + m.v_dim),  # QK^T and AV
              vector_flops=5.0 * keys * m.n_heads,  # scale, mask, softmax
              act_out_elems=tokens * m.n_heads * m.v_dim,
              kv_read_elems=kv_per_token * keys if phase == "decode" else 0.0,
              repeat=layers)


def _mlp(m: ModelSpec, name: str, t: float, d_ff: int, repeat: int, instances: int = 1,
         kind: str = "gemm") -> list[Op]:
    fused = 2 if m.gated_mlp else 1  # gate and up projections fused
    return [_gemm(f"{name}.up", t, fused * d_ff, m.d_model, repeat, m.mlp_bias, instances, kind,
                  fused=fused),
            _gemm(f"{name}.down", t, m.d_model, d_ff, repeat, m.mlp_bias, instances, kind)]


def _mlp_ops(m: ModelSpec, t: float) -> list[Op]:
    dense = m.n_layers - m.n_moe_layers
    ops = _mlp(m, "mlp", t, m.d_ff, dense) if dense else []
    if m.is_moe:
        moe = m.n_moe_layers
        per_expert = t * m.top_k / m.n_experts  # tokens per routed expert, balanced routing
        ops.append(_gemm("moe.router", t, m.n_experts, m.d_model, moe, m.router_bias,
                         kind="router"))
        ops += _mlp(m, "moe.expert", per_expert, m.d_ff_expert, moe, m.n_experts, "expert")
        if m.n_shared_experts:
            ops += _mlp(m, "moe.shared", t, m.d_ff_expert * m.n_shared_experts, moe)
    return ops


@lru_cache(maxsize=4096, typed=True)
def lower(model: ModelSpec, phase: Phase, batch: int, seq_len: int) -> Graph:
    """The operator graph of one step: `batch` sequences of `seq_len` (decode: context); memoised
    (a frozen graph of a frozen model)."""
    if phase not in PHASES:
        raise ConfigError(f"phase {phase!r} is not one of {', '.join(PHASES)}")
    if batch < 1 or seq_len < (0 if phase == "decode" else 1):
        raise ConfigError(f"batch {batch} and sequence length {seq_len} must be positive")
    m = model
    t = float(batch * (1 if phase == "decode" else seq_len))
    head_tokens = t if phase == "train" else float(batch)  # serving needs last-token logits only
    pos = m.learned_positions * m.d_model
    ops = [Op(name="embedding", kind="embedding", weight_params=m.vocab_size * m.d_model + pos,
              act_out_elems=t * m.d_model, layer=False)]
    ops += [_norm(m, f"norm.{i}", t, m.n_layers) for i in range(m.norms_per_layer)]
    ops += _attention_projections(m, t)
    ops += _attention_core(m, phase, batch, seq_len)
    ops += _mlp_ops(m, t)
    ops.append(_norm(m, "norm.final", head_tokens, 1, layer=False))
    head = _gemm("lm_head", head_tokens, m.vocab_size, m.d_model, 1, m.lm_head_bias, layer=False)
    if m.tied_embeddings:  # the product is computed, the weights are the embedding's
        head = replace(head, weight_params=0.0)
    ops.append(head)
    rest = m.params_total - sum(op.weight_params * op.repeat for op in ops)
    if rest > 0:  # small weights without a matmul: MLA/qk norms, embedding norm, head bias
        ops.append(Op(name="other", kind="norm", weight_params=rest, layer=False))
    return Graph(model=m, phase=phase, batch=batch, seq_len=seq_len, ops=tuple(ops))
