"""Keys a windowed attention layer attends to, and the KV cache it keeps.

A sliding-window layer (Mistral 7B, gpt-oss, Gemma) lets the query at position p (1-based)
see the last `span` keys up to itself: min(p, span) keys (Beltagy et al. 2020, Longformer;
HF's sliding-window mask keeps keys with p - key < span). A chunked layer (Llama 4's
attention_chunk_size) cuts the sequence into chunks of `span` tokens and lets a query see the
keys of its own chunk up to itself: ((p - 1) mod span) + 1 keys. Either layer keeps at most
`span` tokens of KV cache.
"""

from __future__ import annotations

WINDOW_KINDS = ("sliding", "chunked")


def keys_through(kind: str, span: int, n: int) -> float:
    """Keys attended by the queries at positions 1..n together (causal)."""
    if n <= 0:
        return 0.0
    if kind == "chunked":
        chunks, rest = divmod(n, span)  # each whole chunk is a causal triangle of its own
        return chunks * span * (span + 1) / 2 + rest * (rest + 1) / 2
    if n <= span:
        return n * (n + 1) / 2
    return span * (span + 1) / 2 + (n - span) * span  # past the window each query sees `span`


def keys_between(kind: str, span: int, first: int, last: int) -> float:
    """Keys attended by the queries at positions first..last together (causal)."""
    return keys_through(kind, span, last) - keys_through(kind, span, first - 1)


def held_tokens(span: int, tokens: float) -> float:
    """Tokens of KV cache a windowed layer keeps for a sequence of `tokens` tokens."""
    return min(tokens, span)
