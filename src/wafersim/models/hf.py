"""Read Hugging Face style ``config.json`` mappings into `ModelSpec`.

The only module that knows HF key names. One small reader per ``model_type`` turns the config
into ModelSpec keyword arguments; defaults follow the transformers config classes
(LlamaConfig, MixtralConfig, GPT2Config, GPTJConfig, GPTNeoXConfig, FalconConfig, MptConfig,
DeepseekV3Config, Qwen3MoeConfig, OPTConfig, BloomConfig, GptOssConfig, Llama4TextConfig,
NemotronConfig) and the papers for models without one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wafersim.errors import ConfigError, shown
from wafersim.models.spec import ModelSpec

Reader = Callable[["Cfg"], dict[str, Any]]


# The largest integer a config may give (2^24 = 16,777,216): far above any model's layers,
# width, heads, vocabulary or context, and small enough that every derived figure stays exact
# and quick. A larger value is a typo.
LARGEST = 2**24


class Cfg:
    """A config mapping whose lookups fail with a one-line message naming the key."""

    def __init__(self, raw: dict[str, Any], where: str):
        self.raw, self.where = raw, where

    def found(self, *keys: str) -> tuple[str, Any]:
        """The first of `keys` the config sets (not null) and its value; else (keys[0], None)."""
        for key in keys:
            if self.raw.get(key) is not None:
                return key, self.raw[key]
        return keys[0], None

    def get(self, *keys: str, default: Any = None) -> Any:
        value = self.found(*keys)[1]
        return default if value is None else value

    def int(self, *keys: str, default: int | None = None, minimum: int = 1) -> int:
        """A whole number >= `minimum` (sizes and counts: 1; optional features: 0)."""
        key, value = self.found(*keys)
        if value is None:
            value = default
        if value is None:
            raise ConfigError(f"{self.where}: missing '{key}'; add it to the config "
                              "(an HF config.json of this model_type has it)")
        if isinstance(value, str):
            hint = (f"write it without quotes (\"{key}\": {value.strip()})"
                    if value.strip().isdigit() else "write a whole number")
            raise ConfigError(f"{self.where}: '{key}' = {shown(value)} is a string; {hint}")
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{self.where}: '{key}' = {shown(value)} must be an integer "
                              f"(>= {minimum}); write it without a decimal point or exponent")
        if not minimum <= value <= LARGEST:
            raise ConfigError(f"{self.where}: '{key}' = {shown(value)} must be a whole number "
                              f"from {minimum} to {LARGEST:,}; fix the value")
        return value

    def ratio(self, key: str, default: float) -> float:
        """A positive finite number (a multiplier such as MPT's expansion_ratio)."""
        value = self.get(key, default=default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= LARGEST:
            raise ConfigError(f"{self.where}: '{key}' = {shown(value)} must be a positive "
                              f"number up to {LARGEST:,}; write e.g. {default}")
        return float(value)

    def flag(self, key: str, default: bool) -> bool:
        """A JSON true or false (a string "false" would otherwise read as true)."""
        value = self.get(key, default=default)
        if not isinstance(value, bool):
            raise ConfigError(f"{self.where}: '{key}' = {shown(value)} must be true or false; "
                              "write true or false without quotes")
        return value


def _widths(c: Cfg, d_keys: tuple[str, ...], head_keys: tuple[str, ...]) -> tuple[int, int, int]:
    """Hidden size, attention heads and the width of one head: `head_dim` if given, else
    hidden size / heads, which must then divide."""
    d, heads = c.int(*d_keys), c.int(*head_keys)
    if c.get("head_dim") is not None:
        return d, heads, c.int("head_dim")
    if d % heads:
        raise ConfigError(f"{c.where}: {c.found(*d_keys)[0]} {d} is not divisible by "
                          f"{c.found(*head_keys)[0]} {heads}; fix one of them or give head_dim")
    return d, heads, d // heads


def _llama(c: Cfg) -> dict[str, Any]:
    d, heads, head_dim = _widths(c, ("hidden_size",), ("num_attention_heads",))
    return dict(
        d_model=d, n_layers=c.int("num_hidden_layers"), n_heads=heads,
        n_kv_heads=c.int("num_key_value_heads", default=heads), head_dim=head_dim,
        d_ff=c.int("intermediate_size"), vocab_size=c.int("vocab_size"),
        max_seq_len=c.int("max_position_embeddings", default=2048),
        tied_embeddings=c.flag("tie_word_embeddings", False),
        attn_bias=c.flag("attention_bias", False), mlp_bias=c.flag("mlp_bias", False),
        gated_mlp=True,  # LlamaMLP always has gate, up and down projections
    )


def _mixtral(c: Cfg) -> dict[str, Any]:
    base = _llama(c)
    return base | dict(n_experts=c.int("num_local_experts", "num_experts"),
                       top_k=c.int("num_experts_per_tok"), d_ff_expert=base["d_ff"])


def _qwen3_moe(c: Cfg) -> dict[str, Any]:
    base = _llama(c)
    every = c.int("decoder_sparse_step", default=1)
    if c.get("mlp_only_layers"):
        raise ConfigError(f"{c.where}: mlp_only_layers is not supported; use [] ")
    return base | dict(qk_norm=True, n_experts=c.int("num_experts"), moe_every=every,
                       top_k=c.int("num_experts_per_tok"),
                       d_ff_expert=c.int("moe_intermediate_size"))


def _qwen3(c: Cfg) -> dict[str, Any]:
    return _llama(c) | dict(qk_norm=True)  # Qwen3Attention: RMSNorm on q and k per head


def _gpt_oss(c: Cfg) -> dict[str, Any]:
    # GptOssConfig: biased attention, router and experts (gate_up and down biases); the
    # per-head attention sinks (one scalar per head) are not modelled.
    return _mixtral(c) | dict(attn_bias=c.flag("attention_bias", True), mlp_bias=True,
                              router_bias=True)


def _text(c: Cfg) -> Cfg:
    """The text part of a multimodal config (its text_config), else the config itself."""
    text = c.get("text_config")
    if text is None:
        return c
    if not isinstance(text, dict):
        raise ConfigError(f"{c.where}: 'text_config' must be a JSON object; write {{...}}")
    return Cfg(text, c.where)


def _llama4(c: Cfg) -> dict[str, Any]:
    """Llama4TextConfig (the text_config of a Llama4Config): interleaved MoE layers of
    routed experts plus one shared expert, dense layers of intermediate_size_mlp."""
    c = _text(c)
    base = _llama(c)
    # HF Llama4TextDecoderLayer: layer i is MoE when (i + 1) % interleave_moe_layer_step == 0
    return base | dict(d_ff=c.int("intermediate_size_mlp", default=base["d_ff"]),
                       n_experts=c.int("num_local_experts"), top_k=c.int("num_experts_per_tok"),
                       d_ff_expert=base["d_ff"], n_shared_experts=1,
                       moe_every=c.int("interleave_moe_layer_step", default=1))


def _nemotron(c: Cfg) -> dict[str, Any]:
    # NemotronConfig: squared-ReLU MLP of two matrices, LayerNorm1P with bias, untied head
    return _llama(c) | dict(gated_mlp=False, norm="layernorm", norm_bias=True)


def _grok(c: Cfg) -> dict[str, Any]:
    base = _llama(c)
    # Grok-1 (xai-org/grok-1 model.py): four RMSNorms per layer around attention and MoE.
    return base | dict(n_experts=c.int("num_experts", "num_local_experts"),
                       top_k=c.int("num_experts_per_tok"), d_ff_expert=base["d_ff"],
                       norms_per_layer=4)


def _palm(c: Cfg) -> dict[str, Any]:
    return _llama(c) | dict(parallel_attn=c.flag("parallel_attn", True), norms_per_layer=1,
                            tied_embeddings=c.flag("tie_word_embeddings", True))


def _gopher(c: Cfg) -> dict[str, Any]:
    return _llama(c) | dict(gated_mlp=False, relative_position_projection=c.flag(
        "relative_position_projection", True))


def _deepseek_v3(c: Cfg) -> dict[str, Any]:
    base = _llama(c)
    return base | dict(
        n_experts=c.int("n_routed_experts"), top_k=c.int("num_experts_per_tok"),
        d_ff_expert=c.int("moe_intermediate_size"),
        n_shared_experts=c.int("n_shared_experts", minimum=0),
        n_dense_layers=c.int("first_k_dense_replace", default=0, minimum=0),
        moe_every=c.int("moe_layer_freq", default=1), router_bias=True,
        expert_groups=c.int("n_group", default=0, minimum=0),
        topk_groups=c.int("topk_group", default=0, minimum=0),
        q_lora_rank=c.int("q_lora_rank", default=0, minimum=0), kv_lora_rank=c.int("kv_lora_rank"),
        qk_nope_head_dim=c.int("qk_nope_head_dim", minimum=0),
        qk_rope_head_dim=c.int("qk_rope_head_dim"), v_head_dim=c.int("v_head_dim"),
        mtp_layers=c.int("num_nextn_predict_layers", default=0, minimum=0),
    )


def _gpt2(c: Cfg) -> dict[str, Any]:
    d, heads, head_dim = _widths(c, ("n_embd", "hidden_size"), ("n_head", "num_attention_heads"))
    ff = c.int("n_inner", default=4 * d)
    positions = c.int("n_positions", "max_position_embeddings", default=1024)
    out = dict(d_model=d, n_layers=c.int("n_layer", "num_hidden_layers"), n_heads=heads,
               n_kv_heads=heads, head_dim=head_dim, d_ff=ff, vocab_size=c.int("vocab_size"),
               max_seq_len=positions, learned_positions=positions, gated_mlp=False,
               attn_bias=True, mlp_bias=True, norm="layernorm", norm_bias=True,
               tied_embeddings=c.flag("tie_word_embeddings", True))
    if c.get("num_local_experts"):
        out |= dict(n_experts=c.int("num_local_experts"), top_k=c.int("num_experts_per_tok"),
                    d_ff_expert=ff)
    return out


def _gptj(c: Cfg) -> dict[str, Any]:
    return _gpt2(c) | dict(learned_positions=0, attn_bias=False, parallel_attn=True,
                           norms_per_layer=1, lm_head_bias=True,
                           tied_embeddings=c.flag("tie_word_embeddings", False))


def _neox(c: Cfg) -> dict[str, Any]:
    d, heads, head_dim = _widths(c, ("hidden_size",), ("num_attention_heads",))
    return dict(d_model=d, n_layers=c.int("num_hidden_layers"), n_heads=heads, n_kv_heads=heads,
                head_dim=head_dim, d_ff=c.int("intermediate_size", default=4 * d),
                vocab_size=c.int("vocab_size"), max_seq_len=c.int("max_position_embeddings"),
                gated_mlp=False, attn_bias=True, mlp_bias=True, norm="layernorm", norm_bias=True,
                parallel_attn=c.flag("use_parallel_residual", True),
                tied_embeddings=c.flag("tie_word_embeddings", False))


def _falcon(c: Cfg) -> dict[str, Any]:
    d, heads, head_dim = _widths(c, ("hidden_size",), ("num_attention_heads", "n_head"))
    new_arch = c.flag("new_decoder_architecture", False)
    kv = c.int("num_kv_heads", "n_head_kv", default=heads if new_arch else 1)
    if not new_arch and c.flag("multi_query", True):
        kv = 1
    bias = c.flag("bias", False)
    return dict(d_model=d, n_layers=c.int("num_hidden_layers", "n_layer"), n_heads=heads,
                n_kv_heads=kv, head_dim=head_dim, d_ff=c.int("ffn_hidden_size", default=4 * d),
                vocab_size=c.int("vocab_size"), max_seq_len=c.int("max_position_embeddings",
                                                                  default=2048),
                gated_mlp=False, attn_bias=bias, mlp_bias=bias, norm="layernorm", norm_bias=True,
                parallel_attn=c.flag("parallel_attn", True), norms_per_layer=2 if new_arch else 1,
                tied_embeddings=c.flag("tie_word_embeddings", True))


def _mpt(c: Cfg) -> dict[str, Any]:
    d, heads, head_dim = _widths(c, ("d_model",), ("n_heads",))
    biased = not c.flag("no_bias", True)
    return dict(d_model=d, n_layers=c.int("n_layers"), n_heads=heads, n_kv_heads=heads,
                head_dim=head_dim, d_ff=int(c.ratio("expansion_ratio", 4) * d),
                vocab_size=c.int("vocab_size"), max_seq_len=c.int("max_seq_len"), gated_mlp=False,
                attn_bias=biased, mlp_bias=biased, norm="layernorm", norm_bias=biased,
                tied_embeddings=True)


def _opt(c: Cfg) -> dict[str, Any]:
    d, heads, head_dim = _widths(c, ("hidden_size",), ("num_attention_heads",))
    proj = c.int("word_embed_proj_dim", default=d)
    if proj != d:
        raise ConfigError(f"{c.where}: word_embed_proj_dim {proj} != hidden_size {d} is not "
                          "supported; use a config where they are equal")
    positions = c.int("max_position_embeddings")
    return dict(d_model=d, n_layers=c.int("num_hidden_layers"), n_heads=heads, n_kv_heads=heads,
                head_dim=head_dim, d_ff=c.int("ffn_dim"), vocab_size=c.int("vocab_size"),
                max_seq_len=positions, learned_positions=positions + 2,  # OPT offsets positions by 2
                gated_mlp=False, attn_bias=True, mlp_bias=True, norm="layernorm", norm_bias=True,
                tied_embeddings=c.flag("tie_word_embeddings", True))


def _bloom(c: Cfg) -> dict[str, Any]:
    d, heads, head_dim = _widths(c, ("hidden_size", "n_embed"), ("n_head", "num_attention_heads"))
    return dict(d_model=d, n_layers=c.int("n_layer", "num_hidden_layers"), n_heads=heads,
                n_kv_heads=heads, head_dim=head_dim, d_ff=4 * d, vocab_size=c.int("vocab_size"),
                max_seq_len=c.int("seq_length", default=2048), gated_mlp=False, attn_bias=True,
                mlp_bias=True, norm="layernorm", norm_bias=True, embedding_norm=True,
                tied_embeddings=True)


def _glm(c: Cfg) -> dict[str, Any]:
    d, heads, head_dim = _widths(c, ("hidden_size",), ("num_attention_heads",))
    act = c.get("hidden_act", default="geglu")
    return dict(d_model=d, n_layers=c.int("num_layers", "num_hidden_layers"), n_heads=heads,
                n_kv_heads=heads, head_dim=head_dim, d_ff=c.int("inner_hidden_size"),
                vocab_size=c.int("vocab_size"), max_seq_len=c.int("max_sequence_length",
                                                                  default=2048),
                gated_mlp=act in ("geglu", "swiglu"), attn_bias=True, mlp_bias=True,
                norm="layernorm", norm_bias=True, tied_embeddings=c.flag("tie_word_embeddings", True))


# HF layer_types values (Gemma2/3Config, GptOssConfig, Llama4TextConfig) -> windowed kind
LAYER_TYPES = {"full_attention": "", "sliding_attention": "sliding", "chunked_attention": "chunked"}


def windows_of(c: Cfg, n_layers: int) -> dict[str, Any]:
    """Windowed layers: layer_types where given; else Llama 4's attention_chunk_size on the
    layers no_rope_layers marks 1 (every no_rope_layer_interval-th, default 4, global and NoPE);
    else sliding_window on every layer, or all but every sliding_window_pattern-th (Gemma 3), or
    from max_window_layers on (Qwen2, when use_sliding_window)."""
    chunk = c.int("attention_chunk_size", default=0, minimum=0)
    window = c.int("sliding_window", default=0, minimum=0) if c.flag("use_sliding_window", True) else 0
    kinds = _layer_kinds(c, n_layers, chunk, window)
    if any(k == "chunked" for k in kinds) and any(k == "sliding" for k in kinds):
        raise ConfigError(f"{c.where}: layer_types mixes sliding and chunked layers; "
                          "keep one windowed kind")
    kind = "chunked" if "chunked" in kinds else "sliding"
    span = chunk if kind == "chunked" else window
    layers = tuple(i for i, k in enumerate(kinds) if k)
    if layers and not span:
        key = "attention_chunk_size" if kind == "chunked" else "sliding_window"
        raise ConfigError(f"{c.where}: layer_types names {kind} layers but '{key}' is not set; "
                          f"give {key} in tokens")
    return dict(window_tokens=span, window_kind=kind, window_layers=layers) if layers else {}


def _layer_kinds(c: Cfg, n_layers: int, chunk: int, window: int) -> list[str]:
    types = c.get("layer_types")
    if types is not None:
        if (not isinstance(types, list) or len(types) != n_layers
                or any(not isinstance(t, str) or t not in LAYER_TYPES for t in types)):
            raise ConfigError(f"{c.where}: 'layer_types' must list {n_layers} of "
                              f"{', '.join(LAYER_TYPES)}, one per layer; fix the list")
        return [LAYER_TYPES[t] for t in types]
    if chunk:
        every = c.int("no_rope_layer_interval", default=4)
        rope = c.get("no_rope_layers") or [int((i + 1) % every != 0) for i in range(n_layers)]
        if not isinstance(rope, list) or len(rope) != n_layers or any(r not in (0, 1) for r in rope):
            raise ConfigError(f"{c.where}: 'no_rope_layers' must list {n_layers} values of 0 or 1, "
                              "one per layer; fix the list")
        return ["chunked" if r else "" for r in rope]
    if not window:
        return [""] * n_layers
    pattern = c.int("sliding_window_pattern", default=0, minimum=0)
    first = c.int("max_window_layers", default=0, minimum=0) if "use_sliding_window" in c.raw else 0
    return ["sliding" if i >= first and (not pattern or (i + 1) % pattern) else ""
            for i in range(n_layers)]


READERS: dict[str, Reader] = {
    "llama": _llama, "mistral": _llama, "qwen2": _llama, "qwen3": _qwen3, "mixtral": _mixtral,
    "qwen3_moe": _qwen3_moe, "grok-1": _grok, "grok": _grok, "palm": _palm, "gopher": _gopher,
    "deepseek_v3": _deepseek_v3, "gpt2": _gpt2, "gptj": _gptj, "gpt_neox": _neox,
    "falcon": _falcon, "RefinedWeb": _falcon, "RefinedWebModel": _falcon, "mpt": _mpt,
    "opt": _opt, "bloom": _bloom, "glm": _glm, "gpt_oss": _gpt_oss, "llama4": _llama4,
    "llama4_text": _llama4, "nemotron": _nemotron, "kimi_k2": _deepseek_v3,
}


def from_hf_config(raw: Any, model_id: str, where: str = "") -> ModelSpec:
    """Build a ModelSpec from an HF-style config mapping."""
    where = where or model_id
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: a config must be a JSON object, not a {_json_kind(raw)}; "
                          "write {\"model_type\": ..., ...}")
    model_type = raw.get("model_type")
    if model_type is None:
        raise ConfigError(f"{where}: no model_type; add \"model_type\": one of "
                          f"{', '.join(sorted(READERS))}")
    if not isinstance(model_type, str) or model_type not in READERS:
        raise ConfigError(f"{where}: model_type {shown(model_type)} is not supported; use one of "
                          f"{', '.join(sorted(READERS))}")
    kwargs = READERS[model_type](Cfg(raw, where))
    kwargs |= windows_of(_text(Cfg(raw, where)), kwargs["n_layers"])
    _check(kwargs, where)
    return ModelSpec(
        id=model_id, model_type=model_type,
        name=str(raw.get("wafersim_name") or model_id), source=str(raw.get("wafersim_source", "")),
        notes=str(raw.get("wafersim_notes", "")), origin=where, **kwargs,
    )


def _json_kind(raw: Any) -> str:
    kinds = {list: "list", str: "string", bool: "boolean", int: "number", float: "number"}
    return kinds.get(type(raw), "null" if raw is None else type(raw).__name__)


def _check(k: dict[str, Any], where: str) -> None:
    """What no single key shows: heads, experts and layers that must agree."""
    if k["n_heads"] % k["n_kv_heads"]:
        raise ConfigError(f"{where}: {k['n_heads']} attention heads are not a multiple of "
                          f"{k['n_kv_heads']} key/value heads; make the key/value heads divide "
                          "the attention heads")
    if not 1 <= k["d_ff"] <= LARGEST:
        raise ConfigError(f"{where}: MLP inner size {k['d_ff']} is outside 1 to {LARGEST:,}; "
                          "fix the hidden size or the expansion ratio")
    if k.get("n_experts") and not 0 < k.get("top_k", 0) <= k["n_experts"]:
        raise ConfigError(f"{where}: num_experts_per_tok must be between 1 and the expert count "
                          f"{k['n_experts']}; got {k.get('top_k', 0)}")
    if k.get("n_dense_layers", 0) > k["n_layers"]:
        raise ConfigError(f"{where}: first_k_dense_replace {k['n_dense_layers']} exceeds the "
                          f"{k['n_layers']} layers; make it at most the layer count")
    groups = k.get("expert_groups", 0)
    if groups and (k["n_experts"] % groups or not 1 <= k.get("topk_groups", 0) <= groups):
        raise ConfigError(f"{where}: n_group {groups} must divide the {k['n_experts']} experts "
                          f"and topk_group {k.get('topk_groups', 0)} lie between 1 and n_group")
