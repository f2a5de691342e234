"""Models as plain dictionaries: catalog rows and full derived figures (SI units)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from wafersim.models import ModelSpec

PRECISIONS = ("fp32", "bf16", "fp8", "int4")


def model_summary(m: ModelSpec) -> dict[str, Any]:
    """One row of `wafersim models`."""
    return {
        "id": m.id, "name": m.name, "model_type": m.model_type, "n_layers": m.n_layers,
        "d_model": m.d_model, "n_heads": m.n_heads, "n_kv_heads": m.n_kv_heads,
        "n_experts": m.n_experts, "top_k": m.top_k, "params_total": m.params_total,
        "params_active": m.params_active,
        "kv_cache_bytes_per_token_bf16": m.kv_cache_bytes_per_token("bf16"),
        "max_seq_len": m.max_seq_len,
    }


def model_detail(m: ModelSpec, seq_len: int) -> dict[str, Any]:
    """Architecture plus derived parameters, FLOPs and bytes at `seq_len`."""
    hidden: tuple[str, ...] = ("id", "name", "model_type", "source", "notes", "origin", "extra")
    if not m.n_window_layers:  # every layer global: no window fields
        hidden += ("window_tokens", "window_kind", "window_layers")
    arch = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(m).items()
            if k not in hidden}
    derived = {
        "params_total": m.params_total,
        "params_active": m.params_active,
        "params_matmul_active": m.params_matmul_active,
        "params_embedding": m.embedding_params(),
        "seq_len": seq_len,
        "training_flops_per_token": m.training_flops_per_token(seq_len),
        "training_flops_per_token_6n": 6.0 * m.params_active,
        "training_flops_per_token_full_recompute": m.training_flops_per_token(seq_len, "full"),
        "prefill_flops": m.prefill_flops(seq_len),
        "decode_flops_per_token": m.decode_flops(seq_len),
        "kv_cache_bytes_per_token": {p: m.kv_cache_bytes_per_token(p) for p in ("bf16", "fp8")},
        "weight_bytes": {p: m.weight_bytes(p) for p in PRECISIONS},
    }
    if m.n_window_layers:
        derived |= {"attention": attention_summary(m),
                    "kv_cache_bytes_at_seq_len": {p: m.kv_cache_bytes(seq_len, p)
                                                  for p in ("bf16", "fp8")}}
    return {"id": m.id, "name": m.name, "model_type": m.model_type, "source": m.source,
            "notes": m.notes, "origin": m.origin, "architecture": arch, "derived": derived}


def attention_summary(m: ModelSpec) -> str:
    """Which layers attend to a window or chunk, in words."""
    if not m.n_window_layers:
        return "global on every layer"
    span = "sliding window" if m.window_kind == "sliding" else "chunks"
    rest = ", global on the rest" if m.n_window_layers < m.n_layers else ""
    return f"{span} of {m.window_tokens:,} tokens on {m.n_window_layers} of {m.n_layers} layers{rest}"
