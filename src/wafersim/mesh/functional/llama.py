"""A tiny Llama-style decoder in NumPy (float64) for token-by-token greedy decoding: RMSNorm,
rotary position embeddings (Su et al. 2021, RoFormer; the rotate-half form of Llama), grouped-
query attention over a KV cache, SwiGLU MLP (Shazeer 2020), untied LM head."""

from __future__ import annotations

import numpy as np

from wafersim.mesh.functional.config import LlamaConfig

Params = dict[str, np.ndarray]


def init_params(config: LlamaConfig, seed: int) -> dict[str, Params]:
    """Seeded weights: normal with std 1/sqrt(fan-in), gains 1; `embed`, `layer{i}`, `head`."""
    rng = np.random.default_rng(seed)
    d, hd = config.d_model, config.head_dim

    def mat(k: int, n: int) -> np.ndarray:
        return rng.normal(0.0, 1.0 / np.sqrt(k), size=(k, n))

    units: dict[str, Params] = {"embed": {"tok": rng.normal(0.0, 1.0, size=(config.vocab, d))}}
    for i in range(config.n_layers):
        units[f"layer{i}"] = {
            "g1": np.ones(d), "wq": mat(d, config.n_heads * hd),
            "wk": mat(d, config.n_kv_heads * hd), "wv": mat(d, config.n_kv_heads * hd),
            "wo": mat(config.n_heads * hd, d), "g2": np.ones(d), "wg": mat(d, config.d_ff),
            "wu": mat(d, config.d_ff), "wd": mat(config.d_ff, d)}
    units["head"] = {"g": np.ones(d), "w": mat(d, config.vocab)}
    return units


def rms_norm(x: np.ndarray, g: np.ndarray, eps: float) -> np.ndarray:
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * g


def rope(x: np.ndarray, pos: int, theta: float) -> np.ndarray:
    """Rotate each head's (heads, hd) halves by position-dependent angles."""
    half = x.shape[-1] // 2
    angle = pos * theta ** (-np.arange(half) / half)
    cos, sin = np.cos(angle), np.sin(angle)
    a, b = x[..., :half], x[..., half:]
    return np.concatenate([a * cos - b * sin, a * sin + b * cos], axis=-1)


class KVCache:
    """Keys and values of the positions seen so far, per layer: (kv_heads, positions, hd)."""

    def __init__(self) -> None:
        self.k: dict[str, np.ndarray] = {}
        self.v: dict[str, np.ndarray] = {}

    def append(self, layer: str, k: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if layer in self.k:
            self.k[layer] = np.concatenate([self.k[layer], k[:, None]], axis=1)
            self.v[layer] = np.concatenate([self.v[layer], v[:, None]], axis=1)
        else:
            self.k[layer], self.v[layer] = k[:, None], v[:, None]
        return self.k[layer], self.v[layer]


def layer_step(config: LlamaConfig, name: str, p: Params, x: np.ndarray, pos: int,
               cache: KVCache) -> np.ndarray:
    """One layer on one token's activation x (d_model,) at position `pos`."""
    hd, c = config.head_dim, config
    h = rms_norm(x, p["g1"], c.eps)
    q = rope((h @ p["wq"]).reshape(c.n_heads, hd), pos, c.rope_theta)
    k = rope((h @ p["wk"]).reshape(c.n_kv_heads, hd), pos, c.rope_theta)
    keys, vals = cache.append(name, k, (h @ p["wv"]).reshape(c.n_kv_heads, hd))
    group = c.n_heads // c.n_kv_heads
    s = np.einsum("hd,hpd->hp", q, np.repeat(keys, group, axis=0)) / np.sqrt(hd)
    w = np.exp(s - s.max(-1, keepdims=True))
    o = np.einsum("hp,hpd->hd", w / w.sum(-1, keepdims=True), np.repeat(vals, group, axis=0))
    x1 = x + o.reshape(-1) @ p["wo"]
    h2 = rms_norm(x1, p["g2"], c.eps)
    a = h2 @ p["wg"]
    return x1 + (a / (1.0 + np.exp(-a)) * (h2 @ p["wu"])) @ p["wd"]


def next_token(config: LlamaConfig, p: Params, x: np.ndarray) -> int:
    """Greedy choice from the final norm and LM head."""
    return int(np.argmax(rms_norm(x, p["g"], config.eps) @ p["w"]))


def greedy_reference(config: LlamaConfig, prompt: tuple[int, ...], new_tokens: int,
                     seed: int) -> tuple[int, ...]:
    """Plain NumPy greedy decoding, one process, all layers in order."""
    params, cache = init_params(config, seed), KVCache()
    out: list[int] = []
    token = prompt[0]
    for pos in range(len(prompt) + new_tokens - 1):
        x = params["embed"]["tok"][token]
        for i in range(config.n_layers):
            x = layer_step(config, f"layer{i}", params[f"layer{i}"], x, pos, cache)
        token = prompt[pos + 1] if pos + 1 < len(prompt) else next_token(config, params["head"], x)
        if pos + 1 >= len(prompt):
            out.append(token)
    return tuple(out)
