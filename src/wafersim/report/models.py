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
    arch = {k: v for k, v in asdict(m).items()
            if k not in ("id", "name", "model_type", "source", "notes", "origin", "extra")}
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
    return {"id": m.id, "name": m.name, "model_type": m.model_type, "source": m.source,
            "notes": m.notes, "origin": m.origin, "architecture": arch, "derived": derived}
