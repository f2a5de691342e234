"""A tiny GPT in NumPy (float64), cut into the units weight streaming moves one at a time:
`embed` (token and position tables), `layer{i}` (pre-norm attention and GELU MLP), `head` (final
LayerNorm and LM head). Each unit has a forward that returns its cache and a backward that returns
the input gradient and the unit's weight gradients. Batches are (sequences, tokens, d_model)."""

from __future__ import annotations

import numpy as np

from wafersim.mesh.functional.config import GPTConfig

Params = dict[str, np.ndarray]
Cache = dict[str, np.ndarray]
GELU_C = np.sqrt(2.0 / np.pi)  # tanh approximation of GELU, Hendrycks & Gimpel 2016
LN_EPS = 1e-5


def unit_names(config: GPTConfig) -> list[str]:
    """The streamed units in forward order."""
    return ["embed", *(f"layer{i}" for i in range(config.n_layers)), "head"]


def init_params(config: GPTConfig, seed: int) -> dict[str, Params]:
    """Seeded initial weights, unit by unit (normal, std 0.02 as in GPT-2; gains 1, biases 0)."""
    rng = np.random.default_rng(seed)
    d, v = config.d_model, config.vocab

    def normal(*shape: int) -> np.ndarray:
        return rng.normal(0.0, 0.02, size=shape)

    units: dict[str, Params] = {"embed": {"tok": normal(v, d), "pos": normal(config.seq_len, d)}}
    for i in range(config.n_layers):
        units[f"layer{i}"] = {"ln1_g": np.ones(d), "ln1_b": np.zeros(d), "wqkv": normal(d, 3 * d),
                              "wo": normal(d, d), "ln2_g": np.ones(d), "ln2_b": np.zeros(d),
                              "w1": normal(d, config.d_ff), "w2": normal(config.d_ff, d)}
    units["head"] = {"lnf_g": np.ones(d), "lnf_b": np.zeros(d), "w": normal(d, v)}
    return units


def _ln(x: np.ndarray, g: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mu = x.mean(-1, keepdims=True)
    inv = 1.0 / np.sqrt(((x - mu) ** 2).mean(-1, keepdims=True) + LN_EPS)
    xhat = (x - mu) * inv
    return xhat * g + b, xhat, inv


def _ln_back(dy: np.ndarray, xhat: np.ndarray, inv: np.ndarray,
             g: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    dxhat = dy * g
    dx = inv * (dxhat - dxhat.mean(-1, keepdims=True)
                - xhat * (dxhat * xhat).mean(-1, keepdims=True))
    axes = tuple(range(dy.ndim - 1))
    return dx, (dy * xhat).sum(axes), dy.sum(axes)


def _heads(t: np.ndarray, n_heads: int) -> np.ndarray:
    b, s, d = t.shape
    return t.reshape(b, s, n_heads, d // n_heads).transpose(0, 2, 1, 3)


def _merge(t: np.ndarray) -> np.ndarray:
    b, h, s, hd = t.shape
    return t.transpose(0, 2, 1, 3).reshape(b, s, h * hd)


def _attention(qkv: np.ndarray, n_heads: int) -> tuple[np.ndarray, Cache]:
    q, k, v = (_heads(t, n_heads) for t in np.split(qkv, 3, axis=-1))
    s = q.shape[2]
    scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(q.shape[-1])
    scores = np.where(np.tril(np.ones((s, s), dtype=bool)), scores, -np.inf)  # causal
    p = np.exp(scores - scores.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    return _merge(p @ v), {"q": q, "k": k, "v": v, "p": p}


def _attention_back(do: np.ndarray, c: Cache, n_heads: int) -> np.ndarray:
    do_h = _heads(do, n_heads)
    dv = c["p"].transpose(0, 1, 3, 2) @ do_h
    dp = do_h @ c["v"].transpose(0, 1, 3, 2)
    ds = c["p"] * (dp - (dp * c["p"]).sum(-1, keepdims=True)) / np.sqrt(c["q"].shape[-1])
    dq, dk = ds @ c["k"], ds.transpose(0, 1, 3, 2) @ c["q"]
    return np.concatenate([_merge(dq), _merge(dk), _merge(dv)], axis=-1)


def _gelu(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GELU and its derivative."""
    t = np.tanh(GELU_C * (u + 0.044715 * u**3))
    grad = 0.5 * (1 + t) + 0.5 * u * (1 - t * t) * GELU_C * (1 + 3 * 0.044715 * u * u)
    return 0.5 * u * (1 + t), grad


def layer_forward(p: Params, x: np.ndarray, n_heads: int) -> tuple[np.ndarray, Cache]:
    """One pre-norm block: x + attn(LN(x)), then + MLP(LN(.))."""
    h1, xhat1, inv1 = _ln(x, p["ln1_g"], p["ln1_b"])
    o, att = _attention(h1 @ p["wqkv"], n_heads)
    x1 = x + o @ p["wo"]
    h2, xhat2, inv2 = _ln(x1, p["ln2_g"], p["ln2_b"])
    u = h2 @ p["w1"]
    g, dgelu = _gelu(u)
    cache = {"h1": h1, "xhat1": xhat1, "inv1": inv1, "o": o, "h2": h2, "xhat2": xhat2,
             "inv2": inv2, "g": g, "dgelu": dgelu, **att}
    return x1 + g @ p["w2"], cache


def _outer(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Sum over sequences and tokens of a^T b: a weight gradient."""
    return a.reshape(-1, a.shape[-1]).T @ b.reshape(-1, b.shape[-1])


def layer_backward(p: Params, c: Cache, dy: np.ndarray, n_heads: int) -> tuple[np.ndarray, Params]:
    """Gradients of one block from its cache and the output gradient."""
    du = (dy @ p["w2"].T) * c["dgelu"]
    dh2 = du @ p["w1"].T
    dx2, dg2, db2 = _ln_back(dh2, c["xhat2"], c["inv2"], p["ln2_g"])
    dx1 = dy + dx2
    dqkv = _attention_back(dx1 @ p["wo"].T, c, n_heads)
    dx, dg1, db1 = _ln_back(dqkv @ p["wqkv"].T, c["xhat1"], c["inv1"], p["ln1_g"])
    grads = {"ln1_g": dg1, "ln1_b": db1, "wqkv": _outer(c["h1"], dqkv), "wo": _outer(c["o"], dx1),
             "ln2_g": dg2, "ln2_b": db2, "w1": _outer(c["h2"], du), "w2": _outer(c["g"], dy)}
    return dx1 + dx, grads


def embed_forward(p: Params, ids: np.ndarray) -> np.ndarray:
    return p["tok"][ids] + p["pos"][None, : ids.shape[1]]


def embed_backward(p: Params, ids: np.ndarray, dx: np.ndarray) -> Params:
    dtok = np.zeros_like(p["tok"])
    np.add.at(dtok, ids, dx)
    return {"tok": dtok, "pos": dx.sum(0)}


def head_forward(p: Params, x: np.ndarray, targets: np.ndarray,
                 total_tokens: int) -> tuple[float, Cache]:
    """Cross-entropy summed over these tokens and divided by `total_tokens` (the global batch's),
    so data-parallel shards' losses and gradients add up to the whole batch's mean."""
    h, xhat, inv = _ln(x, p["lnf_g"], p["lnf_b"])
    logits = h @ p["w"]
    logits = logits - logits.max(-1, keepdims=True)
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    picked = np.take_along_axis(logp, targets[..., None], -1)
    return float(-picked.sum() / total_tokens), {"h": h, "xhat": xhat, "inv": inv, "logp": logp}


def head_backward(p: Params, c: Cache, targets: np.ndarray,
                  total_tokens: int) -> tuple[np.ndarray, Params]:
    dlogits = np.exp(c["logp"])
    np.put_along_axis(dlogits, targets[..., None],
                      np.take_along_axis(dlogits, targets[..., None], -1) - 1.0, -1)
    dlogits /= total_tokens
    dx, dg, db = _ln_back(dlogits @ p["w"].T, c["xhat"], c["inv"], p["lnf_g"])
    return dx, {"lnf_g": dg, "lnf_b": db, "w": _outer(c["h"], dlogits)}


def batches(config: GPTConfig, steps: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Seeded (inputs, targets) per step: counting sequences (next = previous + stride mod
    vocab) from random starts and strides, a pattern a tiny model learns in a few steps."""
    rng = np.random.default_rng(seed + 1)
    out = []
    for _ in range(steps):
        start = rng.integers(0, config.vocab, size=(config.batch, 1))
        stride = rng.integers(1, 3, size=(config.batch, 1))
        seq = (start + stride * np.arange(config.seq_len + 1)) % config.vocab
        out.append((seq[:, :-1], seq[:, 1:]))
    return out
