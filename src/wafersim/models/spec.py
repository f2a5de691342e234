"""`ModelSpec`: one frozen description of a decoder-only transformer, and its derived figures.

Covers dense, GQA/MQA, MLA (DeepSeek-V3) and MoE (Mixtral, DeepSeek, Qwen3, Grok) models.
Counts follow the weights actually stored: embeddings, per-layer attention and MLP matrices,
biases, norms, routers, and an untied LM head. FLOPs count 2 per multiply-add; attention score
FLOPs use the full (non-causal) sequence as in Megatron-LM (Narayanan et al. 2021) and PaLM
(Chowdhery et al. 2022, App. B), unless `causal=True` is asked for. Sliding-window and chunked
layers (models/windows.py) attend to at most their span of keys and keep at most that much KV
cache; figures over all layers take the mean over layers of keys (or KV tokens) per token.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wafersim.errors import ConfigError, ParameterError
from wafersim.models.windows import held_tokens, keys_between, keys_through
from wafersim.precision import BYTES_PER_ELEMENT

RECOMPUTE = ("none", "selective", "full")


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """Architecture of one model; all sizes are element counts, not bytes."""

    id: str
    name: str
    model_type: str
    n_layers: int
    d_model: int
    n_heads: int
    n_kv_heads: int
    head_dim: int
    d_ff: int  # MLP inner size of dense layers
    vocab_size: int
    max_seq_len: int
    tied_embeddings: bool = False
    learned_positions: int = 0  # rows of a learned position table (0 = rotary/ALiBi/relative)
    gated_mlp: bool = True  # SwiGLU/GeGLU: three matrices instead of two
    attn_bias: bool = False
    mlp_bias: bool = False
    lm_head_bias: bool = False
    norm: str = "rmsnorm"  # rmsnorm (scale only) or layernorm (scale and bias)
    norm_bias: bool = False
    norms_per_layer: int = 2
    embedding_norm: bool = False  # BLOOM's LayerNorm after the embedding
    qk_norm: bool = False  # Qwen3: RMSNorm on q and k per head
    parallel_attn: bool = False
    relative_position_projection: bool = False  # Transformer-XL style d x d per layer (Gopher)
    # Mixture of experts (n_experts == 0: dense)
    n_experts: int = 0
    top_k: int = 0
    d_ff_expert: int = 0
    n_shared_experts: int = 0
    n_dense_layers: int = 0  # leading layers with a dense MLP (DeepSeek first_k_dense_replace)
    moe_every: int = 1  # every k-th layer (after the dense ones) is MoE
    router_bias: bool = False
    expert_groups: int = 0  # experts fall into this many routing groups (DeepSeek n_group; 0: none)
    topk_groups: int = 0  # a token's experts come from at most this many groups (topk_group)
    # Multi-head latent attention (DeepSeek-V2/V3); kv_lora_rank == 0: ordinary attention
    q_lora_rank: int = 0
    kv_lora_rank: int = 0
    qk_nope_head_dim: int = 0
    qk_rope_head_dim: int = 0
    v_head_dim: int = 0
    mtp_layers: int = 0  # multi-token-prediction modules (DeepSeek num_nextn_predict_layers)
    # Windowed attention (models/windows.py); window_tokens == 0: every layer attends globally
    window_tokens: int = 0  # sliding window or chunk size, in tokens
    window_kind: str = "sliding"  # sliding (the last window_tokens keys) or chunked (own chunk)
    window_layers: tuple[int, ...] = ()  # 0-based indices of the windowed layers
    # (query, key/value) heads before padding for a tensor-parallel degree (models/padding.py)
    heads_before_padding: tuple[int, int] | None = None
    source: str = ""
    notes: str = ""
    origin: str = ""
    extra: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    def __hash__(self) -> int:
        # a few fields that equal specs share: cheap, so results derived from a spec are memoised
        return hash((self.id, self.n_layers, self.d_model, self.n_experts))

    # ---- structure ----
    @property
    def is_moe(self) -> bool:
        return self.n_experts > 0

    @property
    def is_mla(self) -> bool:
        return self.kv_lora_rank > 0

    @property
    def n_moe_layers(self) -> int:
        if not self.is_moe:
            return 0
        rest = max(self.n_layers - self.n_dense_layers, 0)
        return rest // self.moe_every  # layers k, 2k, 3k... after the dense ones

    @property
    def n_window_layers(self) -> int:
        return len(self.window_layers) if self.window_tokens else 0

    def _layer_mean(self, full: float, windowed: float) -> float:
        """Mean over layers of a figure global layers take as `full`, windowed ones as `windowed`."""
        n = self.n_window_layers
        return ((self.n_layers - n) * full + n * windowed) / self.n_layers

    def causal_keys(self, first: int, last: int) -> float:
        """Keys the queries at positions first..last (1-based) attend to together, causal, mean
        over layers."""
        full = last * (last + 1) / 2 - (first - 1) * first / 2
        if not self.n_window_layers:
            return full
        return self._layer_mean(full, keys_between(self.window_kind, self.window_tokens, first, last))

    def training_keys(self, seq_len: int) -> float:
        """Keys per token of a training sequence under the full-sequence convention, mean over
        layers. The convention's s^2 is the causal count s(s+1)/2 twice less the diagonal, so a
        windowed layer counts 2K - s for its causal count K (s^2 below the window)."""
        if not self.n_window_layers:
            return seq_len
        windowed = 2.0 * keys_through(self.window_kind, self.window_tokens, seq_len) - seq_len
        return self._layer_mean(seq_len, windowed / seq_len)

    def kv_tokens_held(self, tokens: float) -> float:
        """Tokens of KV cache a sequence of `tokens` keeps, mean over layers."""
        if not self.n_window_layers:
            return tokens
        return self._layer_mean(tokens, held_tokens(self.window_tokens, tokens))

    @property
    def qk_dim(self) -> int:
        """Width of one head's query/key (MLA: nope + rope parts)."""
        return self.qk_nope_head_dim + self.qk_rope_head_dim if self.is_mla else self.head_dim

    @property
    def v_dim(self) -> int:
        return self.v_head_dim if self.is_mla else self.head_dim

    # ---- parameters ----
    def _norm(self, width: int) -> int:
        return width * (2 if self.norm_bias else 1)

    def attention_params(self) -> int:
        """Weights (and biases) of one layer's attention block."""
        d, h = self.d_model, self.n_heads
        if self.is_mla:
            q = (d * self.q_lora_rank + self.q_lora_rank + self.q_lora_rank * h * self.qk_dim
                 if self.q_lora_rank else d * h * self.qk_dim)
            kv = (d * (self.kv_lora_rank + self.qk_rope_head_dim) + self.kv_lora_rank
                  + self.kv_lora_rank * h * (self.qk_nope_head_dim + self.v_head_dim))
            return q + kv + h * self.v_head_dim * d
        q_out, kv_out = h * self.head_dim, self.n_kv_heads * self.head_dim
        weights = d * q_out + 2 * d * kv_out + q_out * d
        biases = (q_out + 2 * kv_out + d) if self.attn_bias else 0
        rel = d * d if self.relative_position_projection else 0
        qk_norm = 2 * self.head_dim if self.qk_norm else 0
        return weights + biases + rel + qk_norm

    def mlp_params(self, d_ff: int) -> int:
        """One MLP (or one expert) of inner size d_ff."""
        mats = 3 if self.gated_mlp else 2
        biases = ((mats - 1) * d_ff + self.d_model) if self.mlp_bias else 0
        return mats * self.d_model * d_ff + biases

    def router_params(self) -> int:
        return self.d_model * self.n_experts + (self.n_experts if self.router_bias else 0)

    def moe_layer_params(self, experts: int) -> int:
        """MLP part of an MoE layer holding `experts` routed experts (plus shared ones)."""
        shared = self.n_shared_experts * self.mlp_params(self.d_ff_expert)
        return experts * self.mlp_params(self.d_ff_expert) + shared + self.router_params()

    def layer_norm_params(self) -> int:
        return self.norms_per_layer * self._norm(self.d_model)

    def embedding_params(self) -> int:
        """Token (and learned position) tables; the tied LM head is not counted again."""
        pos = self.learned_positions * self.d_model
        emb_norm = self._norm(self.d_model) if self.embedding_norm else 0
        return self.vocab_size * self.d_model + pos + emb_norm

    def head_params(self) -> int:
        """Final norm plus an untied LM head."""
        head = 0 if self.tied_embeddings else self.vocab_size * self.d_model
        bias = self.vocab_size if self.lm_head_bias else 0
        return self._norm(self.d_model) + head + bias

    def _layers_params(self, experts: int | None) -> int:
        n_moe = self.n_moe_layers
        dense_mlp = self.mlp_params(self.d_ff) * (self.n_layers - n_moe)
        per_moe = self.moe_layer_params(self.n_experts if experts is None else experts)
        common = (self.attention_params() + self.layer_norm_params()) * self.n_layers
        return common + dense_mlp + per_moe * n_moe

    @property
    def params_total(self) -> int:
        """Every stored weight."""
        return self.embedding_params() + self._layers_params(None) + self.head_params()

    @property
    def params_active(self) -> int:
        """Weights touched per token: top-k (and shared) experts only."""
        experts = self.top_k if self.is_moe else None
        return self.embedding_params() + self._layers_params(experts) + self.head_params()

    def _non_matmul_layer_params(self, experts: int) -> int:
        """Biases and norms inside one layer's attention and MLP (no multiply-add per weight)."""
        if self.is_mla:
            attn = self.q_lora_rank + self.kv_lora_rank  # the latent RMSNorms
        else:
            q_out, kv_out = self.n_heads * self.head_dim, self.n_kv_heads * self.head_dim
            attn = (q_out + 2 * kv_out + self.d_model) if self.attn_bias else 0
            attn += 2 * self.head_dim if self.qk_norm else 0
        mats = 3 if self.gated_mlp else 2
        bias = ((mats - 1) * self.d_ff + self.d_model) if self.mlp_bias else 0
        expert_bias = ((mats - 1) * self.d_ff_expert + self.d_model) if self.mlp_bias else 0
        router = self.n_experts if self.router_bias else 0
        n_moe = self.n_moe_layers
        mlp = bias * (self.n_layers - n_moe) + (expert_bias * (experts + self.n_shared_experts)
                                                  + router) * n_moe
        return (attn + self.layer_norm_params()) * self.n_layers + mlp

    @property
    def params_matmul_active(self) -> int:
        """Weights in matrix multiplies per token: active layer weights without biases and
        norms, plus the LM head product (computed even when tied)."""
        experts = self.top_k if self.is_moe else 0
        layers = self._layers_params(self.top_k if self.is_moe else None)
        return layers - self._non_matmul_layer_params(experts) + self.vocab_size * self.d_model

    # ---- FLOPs (2 per multiply-add) ----
    def attention_score_flops(self, context: float) -> float:
        """Per token attending to `context` keys: QK^T and AV over all layers."""
        return 2.0 * self.n_layers * context * self.n_heads * (self.qk_dim + self.v_dim)

    def forward_flops_per_token(self, seq_len: int, causal: bool = False) -> float:
        """Forward FLOPs per token of a training sequence (full-sequence attention by default)."""
        context = self.causal_keys(1, seq_len) / seq_len if causal else self.training_keys(seq_len)
        return 2.0 * self.params_matmul_active + self.attention_score_flops(context)

    def training_flops_per_token(self, seq_len: int, recompute: str = "none") -> float:
        """Forward + backward (2x forward); full recompute adds one more forward of the layers.
        72*l*h^2*(1 + s/6h + V/12lh) per token for GPT (Narayanan et al. 2021, eq. 3)."""
        if recompute not in RECOMPUTE:
            raise ConfigError(f"recompute {recompute!r} is not one of {', '.join(RECOMPUTE)}")
        fwd = self.forward_flops_per_token(seq_len)
        extra = 0.0
        if recompute == "full":
            extra = fwd - 2.0 * self.vocab_size * self.d_model  # the LM head is not recomputed
        elif recompute == "selective":
            # Korthikanti et al. 2022: attention core only
            extra = self.attention_score_flops(self.training_keys(seq_len))
        return 3.0 * fwd + extra

    def prefill_flops(self, tokens: int) -> float:
        """Forward FLOPs of a prompt of `tokens` tokens, causal attention."""
        keys_attended = self.causal_keys(1, tokens)  # token i attends to i keys (or its window)
        return 2.0 * self.params_matmul_active * tokens + self.attention_score_flops(keys_attended)

    def decode_flops(self, context: int) -> float:
        """Forward FLOPs of one new token attending to `context` cached tokens plus itself."""
        return 2.0 * self.params_matmul_active + self.attention_score_flops(self.decode_keys(context))

    def decode_keys(self, context: int) -> float:
        """Keys a new token after `context` cached ones attends to (itself included), mean over
        layers."""
        return self.causal_keys(context + 1, context + 1)

    # ---- bytes ----
    def kv_cache_bytes_per_token(self, precision: str = "bf16") -> float:
        """K and V (or MLA's compressed latent + rope key) for one token over all layers."""
        per_layer = (self.kv_lora_rank + self.qk_rope_head_dim if self.is_mla
                     else 2 * self.n_kv_heads * self.head_dim)
        return per_layer * self.n_layers * bytes_per_param(precision)

    def kv_cache_bytes(self, tokens: float, precision: str = "bf16") -> float:
        """KV cache a sequence of `tokens` tokens keeps over all layers (windowed layers at most
        their span)."""
        return self.kv_tokens_held(tokens) * self.kv_cache_bytes_per_token(precision)

    def weight_bytes(self, precision: str = "bf16", active: bool = False) -> float:
        n = self.params_active if active else self.params_total
        return n * bytes_per_param(precision)


def bytes_per_param(precision: str) -> float:
    """Bytes one weight takes in a number format."""
    try:
        return BYTES_PER_ELEMENT[precision]
    except KeyError:
        known = ", ".join(BYTES_PER_ELEMENT)
        raise ParameterError("precision", precision, f"{{precision!r}} is unknown; use one of {known}",
                             allowed=f"one of {known}") from None
