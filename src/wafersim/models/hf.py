"""Read Hugging Face style ``config.json`` mappings into `ModelSpec`.

The only module that knows HF key names. One small reader per ``model_type`` turns the config
into ModelSpec keyword arguments; defaults follow the transformers config classes
(LlamaConfig, MixtralConfig, GPT2Config, GPTJConfig, GPTNeoXConfig, FalconConfig, MptConfig,
DeepseekV3Config, Qwen3MoeConfig, OPTConfig, BloomConfig) and the papers for models without one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wafersim.errors import ConfigError
from wafersim.models.spec import ModelSpec

Reader = Callable[["Cfg"], dict[str, Any]]


class Cfg:
    """A config mapping whose lookups fail with a one-line message naming the key."""

    def __init__(self, raw: dict[str, Any], where: str):
        self.raw, self.where = raw, where

    def get(self, *keys: str, default: Any = None) -> Any:
        for key in keys:
            if self.raw.get(key) is not None:
                return self.raw[key]
        return default

    def int(self, *keys: str, default: int | None = None) -> int:
        value = self.get(*keys, default=default)
        if value is None:
            raise ConfigError(f"{self.where}: missing '{keys[0]}'; add it to the config "
                              "(an HF config.json of this model_type has it)")
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"{self.where}: '{keys[0]}' = {value!r} must be a non-negative "
                              "integer")
        return value


def _llama(c: Cfg) -> dict[str, Any]:
    d, heads = c.int("hidden_size"), c.int("num_attention_heads")
    if heads == 0 or d % heads and c.get("head_dim") is None:
        raise ConfigError(f"{c.where}: hidden_size {d} is not divisible by num_attention_heads "
                          f"{heads}; fix one of them or give head_dim")
    return dict(
        d_model=d, n_layers=c.int("num_hidden_layers"), n_heads=heads,
        n_kv_heads=c.int("num_key_value_heads", default=heads),
        head_dim=c.int("head_dim", default=d // heads), d_ff=c.int("intermediate_size"),
        vocab_size=c.int("vocab_size"), max_seq_len=c.int("max_position_embeddings", default=2048),
        tied_embeddings=bool(c.get("tie_word_embeddings", default=False)),
        attn_bias=bool(c.get("attention_bias", default=False)),
        mlp_bias=bool(c.get("mlp_bias", default=False)),
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


def _grok(c: Cfg) -> dict[str, Any]:
    base = _llama(c)
    # Grok-1 (xai-org/grok-1 model.py): four RMSNorms per layer around attention and MoE.
    return base | dict(n_experts=c.int("num_experts", "num_local_experts"),
                       top_k=c.int("num_experts_per_tok"), d_ff_expert=base["d_ff"],
                       norms_per_layer=4)


def _palm(c: Cfg) -> dict[str, Any]:
    return _llama(c) | dict(parallel_attn=bool(c.get("parallel_attn", default=True)),
                            norms_per_layer=1, tied_embeddings=bool(c.get("tie_word_embeddings",
                                                                          default=True)))


def _gopher(c: Cfg) -> dict[str, Any]:
    return _llama(c) | dict(gated_mlp=False, relative_position_projection=bool(
        c.get("relative_position_projection", default=True)))


def _deepseek_v3(c: Cfg) -> dict[str, Any]:
    base = _llama(c)
    return base | dict(
        n_experts=c.int("n_routed_experts"), top_k=c.int("num_experts_per_tok"),
        d_ff_expert=c.int("moe_intermediate_size"), n_shared_experts=c.int("n_shared_experts"),
        n_dense_layers=c.int("first_k_dense_replace", default=0),
        moe_every=c.int("moe_layer_freq", default=1), router_bias=True,
        expert_groups=c.int("n_group", default=0), topk_groups=c.int("topk_group", default=0),
        q_lora_rank=c.int("q_lora_rank", default=0), kv_lora_rank=c.int("kv_lora_rank"),
        qk_nope_head_dim=c.int("qk_nope_head_dim"), qk_rope_head_dim=c.int("qk_rope_head_dim"),
        v_head_dim=c.int("v_head_dim"), mtp_layers=c.int("num_nextn_predict_layers", default=0),
    )


def _gpt2(c: Cfg) -> dict[str, Any]:
    d, heads = c.int("n_embd", "hidden_size"), c.int("n_head", "num_attention_heads")
    ff = c.get("n_inner") or 4 * d
    positions = c.int("n_positions", "max_position_embeddings", default=1024)
    out = dict(d_model=d, n_layers=c.int("n_layer", "num_hidden_layers"), n_heads=heads,
               n_kv_heads=heads, head_dim=d // heads, d_ff=ff, vocab_size=c.int("vocab_size"),
               max_seq_len=positions, learned_positions=positions, gated_mlp=False,
               attn_bias=True, mlp_bias=True, norm="layernorm", norm_bias=True,
               tied_embeddings=bool(c.get("tie_word_embeddings", default=True)))
    if c.get("num_local_experts"):
        out |= dict(n_experts=c.int("num_local_experts"), top_k=c.int("num_experts_per_tok"),
                    d_ff_expert=ff)
    return out


def _gptj(c: Cfg) -> dict[str, Any]:
    return _gpt2(c) | dict(learned_positions=0, attn_bias=False, parallel_attn=True,
                           norms_per_layer=1, lm_head_bias=True,
                           tied_embeddings=bool(c.get("tie_word_embeddings", default=False)))


def _neox(c: Cfg) -> dict[str, Any]:
    d, heads = c.int("hidden_size"), c.int("num_attention_heads")
    return dict(d_model=d, n_layers=c.int("num_hidden_layers"), n_heads=heads, n_kv_heads=heads,
                head_dim=d // heads, d_ff=c.int("intermediate_size", default=4 * d),
                vocab_size=c.int("vocab_size"), max_seq_len=c.int("max_position_embeddings"),
                gated_mlp=False, attn_bias=True, mlp_bias=True, norm="layernorm", norm_bias=True,
                parallel_attn=bool(c.get("use_parallel_residual", default=True)),
                tied_embeddings=bool(c.get("tie_word_embeddings", default=False)))


def _falcon(c: Cfg) -> dict[str, Any]:
    d, heads = c.int("hidden_size"), c.int("num_attention_heads", "n_head")
    new_arch = bool(c.get("new_decoder_architecture", default=False))
    kv = c.int("num_kv_heads", "n_head_kv", default=heads if new_arch else 1)
    if not new_arch and c.get("multi_query", default=True):
        kv = 1
    return dict(d_model=d, n_layers=c.int("num_hidden_layers", "n_layer"), n_heads=heads,
                n_kv_heads=kv, head_dim=d // heads, d_ff=c.int("ffn_hidden_size", default=4 * d),
                vocab_size=c.int("vocab_size"), max_seq_len=c.int("max_position_embeddings",
                                                                  default=2048),
                gated_mlp=False, attn_bias=bool(c.get("bias", default=False)),
                mlp_bias=bool(c.get("bias", default=False)), norm="layernorm", norm_bias=True,
                parallel_attn=bool(c.get("parallel_attn", default=True)),
                norms_per_layer=2 if new_arch else 1,
                tied_embeddings=bool(c.get("tie_word_embeddings", default=True)))


def _mpt(c: Cfg) -> dict[str, Any]:
    d, heads = c.int("d_model"), c.int("n_heads")
    biased = not c.get("no_bias", default=True)
    return dict(d_model=d, n_layers=c.int("n_layers"), n_heads=heads, n_kv_heads=heads,
                head_dim=d // heads, d_ff=int(c.get("expansion_ratio", default=4) * d),
                vocab_size=c.int("vocab_size"), max_seq_len=c.int("max_seq_len"), gated_mlp=False,
                attn_bias=biased, mlp_bias=biased, norm="layernorm", norm_bias=biased,
                tied_embeddings=True)


def _opt(c: Cfg) -> dict[str, Any]:
    d, heads = c.int("hidden_size"), c.int("num_attention_heads")
    proj = c.int("word_embed_proj_dim", default=d)
    if proj != d:
        raise ConfigError(f"{c.where}: word_embed_proj_dim {proj} != hidden_size {d} is not "
                          "supported; use a config where they are equal")
    positions = c.int("max_position_embeddings")
    return dict(d_model=d, n_layers=c.int("num_hidden_layers"), n_heads=heads, n_kv_heads=heads,
                head_dim=d // heads, d_ff=c.int("ffn_dim"), vocab_size=c.int("vocab_size"),
                max_seq_len=positions, learned_positions=positions + 2,  # OPT offsets positions by 2
                gated_mlp=False, attn_bias=True, mlp_bias=True, norm="layernorm", norm_bias=True,
                tied_embeddings=bool(c.get("tie_word_embeddings", default=True)))


def _bloom(c: Cfg) -> dict[str, Any]:
    d, heads = c.int("hidden_size", "n_embed"), c.int("n_head", "num_attention_heads")
    return dict(d_model=d, n_layers=c.int("n_layer", "num_hidden_layers"), n_heads=heads,
                n_kv_heads=heads, head_dim=d // heads, d_ff=4 * d, vocab_size=c.int("vocab_size"),
                max_seq_len=c.int("seq_length", default=2048), gated_mlp=False, attn_bias=True,
                mlp_bias=True, norm="layernorm", norm_bias=True, embedding_norm=True,
                tied_embeddings=True)


def _glm(c: Cfg) -> dict[str, Any]:
    d, heads = c.int("hidden_size"), c.int("num_attention_heads")
    act = c.get("hidden_act", default="geglu")
    return dict(d_model=d, n_layers=c.int("num_layers", "num_hidden_layers"), n_heads=heads,
                n_kv_heads=heads, head_dim=d // heads, d_ff=c.int("inner_hidden_size"),
                vocab_size=c.int("vocab_size"), max_seq_len=c.int("max_sequence_length",
                                                                  default=2048),
                gated_mlp=act in ("geglu", "swiglu"), attn_bias=True, mlp_bias=True,
                norm="layernorm", norm_bias=True,
                tied_embeddings=bool(c.get("tie_word_embeddings", default=True)))


READERS: dict[str, Reader] = {
    "llama": _llama, "mistral": _llama, "qwen2": _llama, "qwen3": _llama, "mixtral": _mixtral,
    "qwen3_moe": _qwen3_moe, "grok-1": _grok, "grok": _grok, "palm": _palm, "gopher": _gopher,
    "deepseek_v3": _deepseek_v3, "gpt2": _gpt2, "gptj": _gptj, "gpt_neox": _neox,
    "falcon": _falcon, "RefinedWeb": _falcon, "RefinedWebModel": _falcon, "mpt": _mpt,
    "opt": _opt, "bloom": _bloom, "glm": _glm,
}


def from_hf_config(raw: Any, model_id: str, where: str = "") -> ModelSpec:
    """Build a ModelSpec from an HF-style config mapping."""
    where = where or model_id
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: a config must be a JSON object")
    model_type = raw.get("model_type")
    if model_type not in READERS:
        raise ConfigError(f"{where}: model_type {model_type!r} is not supported; use one of "
                          f"{', '.join(sorted(READERS))}")
    kwargs = READERS[model_type](Cfg(raw, where))
    if kwargs["n_layers"] == 0 or kwargs["d_model"] == 0 or kwargs["vocab_size"] == 0:
        raise ConfigError(f"{where}: layers, hidden size and vocab size must be positive")
    if kwargs.get("n_experts") and not 0 < kwargs.get("top_k", 0) <= kwargs["n_experts"]:
        raise ConfigError(f"{where}: num_experts_per_tok must be between 1 and the expert count")
    if kwargs["n_heads"] % max(kwargs["n_kv_heads"], 1):
        raise ConfigError(f"{where}: {kwargs['n_heads']} attention heads are not a multiple of "
                          f"{kwargs['n_kv_heads']} key/value heads")
    return ModelSpec(
        id=model_id, model_type=str(model_type),
        name=str(raw.get("wafersim_name") or model_id), source=str(raw.get("wafersim_source", "")),
        notes=str(raw.get("wafersim_notes", "")), origin=where, **kwargs,
    )
