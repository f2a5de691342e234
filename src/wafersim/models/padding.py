"""Attention heads padded to a tensor-parallel degree that does not divide them.

A degree tp that divides neither the query heads nor (as divisor or multiple) the key/value
heads cannot split attention evenly. AWS NxD Inference pads instead of refusing
(neuronx-distributed-inference modules/attention/gqa.py, `get_shardable_head_counts`):
query heads grow to the next multiple of tp; key/value heads are replicated to tp when tp is a
multiple of them (Megatron-LM and vLLM replicate the same way), and otherwise every query head
gets its own key/value head (GQA converted to MHA). The padded heads hold weights, do FLOPs and
fill KV cache like real ones, so a model padded here is costed by the ordinary formulas.
"""

from __future__ import annotations

from dataclasses import replace

from wafersim.models.spec import ModelSpec


def padded_head_counts(n_heads: int, n_kv_heads: int, tp: int) -> tuple[int, int]:
    """(query heads, key/value heads) after padding for `tp` (NxD Inference's rule)."""
    query = -(-n_heads // tp) * tp
    if n_heads == n_kv_heads:  # multi-head attention: key/value heads follow the queries
        return query, query
    if n_kv_heads >= tp and n_kv_heads % tp == 0:
        return query, n_kv_heads
    return query, tp if tp % n_kv_heads == 0 else query  # replicate, else convert to MHA


def _kv_heads(model: ModelSpec) -> int:
    """Key/value heads as the split sees them (MLA: one latent, shared by all heads)."""
    return model.n_heads if model.is_mla else model.n_kv_heads


def needs_padding(model: ModelSpec, tp: int) -> bool:
    """True when `tp` cannot split `model`'s heads as they are."""
    kv = _kv_heads(model)
    return model.n_heads % tp != 0 or (kv % tp != 0 and tp % kv != 0)


def pad_heads(model: ModelSpec, tp: int) -> ModelSpec:
    """`model` with its heads padded for `tp`, or `model` itself when `tp` splits them."""
    if tp < 1 or not needs_padding(model, tp):
        return model
    query, kv = padded_head_counts(model.n_heads, _kv_heads(model), tp)
    before = model.heads_before_padding or (model.n_heads, model.n_kv_heads)
    return replace(model, n_heads=query, n_kv_heads=kv, heads_before_padding=before)


def padding_note(model: ModelSpec) -> tuple[str, ...]:
    """One assumption line for a padded model (none otherwise)."""
    if model.heads_before_padding is None:
        return ()
    query, kv = model.heads_before_padding
    return (f"attention heads padded to split over the tensor-parallel group (NxD Inference "
            f"rule): {query} -> {model.n_heads} query heads, {kv} -> {model.n_kv_heads} "
            "key/value heads; the padded heads' weights, FLOPs and KV cache are costed",)


def padded_heads_json(model: ModelSpec) -> dict[str, int] | None:
    """The padding as a result shows it (None: no padding)."""
    if model.heads_before_padding is None:
        return None
    query, kv = model.heads_before_padding
    return {"query_heads": model.n_heads, "kv_heads": model.n_kv_heads,
            "query_heads_before": query, "kv_heads_before": kv}


def unpadded(model: ModelSpec) -> ModelSpec:
    """`model` with its own heads again: the useful FLOPs of a padded model (MFU counts these)."""
    if model.heads_before_padding is None:
        return model
    query, kv = model.heads_before_padding
    return replace(model, n_heads=query, n_kv_heads=kv, heads_before_padding=None)
