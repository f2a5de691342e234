"""`decode_pipeline`: greedy decoding of a tiny Llama on a layer pipeline of simulated wafers.

The layers are split into contiguous blocks, one per wafer (the first also holds the embedding,
the last the final norm and LM head); each wafer keeps its layers' weights and KV cache resident,
as SRAM-resident inference across systems does (catalog cs-3: Llama 3.1 70B on 4). A token's
activation vector goes wafer to wafer over the scale-out fabric, and the chosen token returns to
the first wafer. The numbers are NumPy float64 (llama.py); a layer's time is the mesh's
`decode_layer` at that KV length (llama-3.1-8b scaled to this width; it leaves out the rotary
rotation, a few element-wise ops per head), the head's the mesh's `gemv` and RMS `layernorm`, a
hop's the catalog fabric's latency plus the bytes at its bandwidth (alpha-beta; Thakur,
Rabenseifner & Gropp 2005).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from wafersim.catalog import Catalog
from wafersim.errors import ParameterError
from wafersim.mesh import decode_layer, gemv, layernorm
from wafersim.mesh.functional import llama
from wafersim.mesh.functional.cluster import cluster_of
from wafersim.mesh.functional.config import GRID_DEFAULT, LlamaConfig, check_steps
from wafersim.mesh.machine import PRECISION_BYTES, machine_of

SCALED_FROM = "llama-3.1-8b"  # the catalog model whose layer the mesh's decode kernel scales down
TOKEN_BYTES = 4  # the chosen token id sent back to the first wafer


@dataclass(frozen=True)
class DecodeRun:
    """Tokens chosen and, per decoded position, latency split into parts that add up."""

    config: LlamaConfig
    wafers: int
    layers_per_wafer: tuple[int, ...]
    prompt: tuple[int, ...]
    tokens: tuple[int, ...]
    latency_s: tuple[float, ...]  # per generated token
    breakdown_s: tuple[dict[str, float], ...]  # layers, head, hops; sums to latency_s
    hop_s: float
    clock_hz: float
    grid: tuple[int, int]
    pe: str

    def to_json(self) -> dict[str, object]:
        c = self.config
        return {"wafers": self.wafers, "layers_per_wafer": list(self.layers_per_wafer),
                "prompt": list(self.prompt), "tokens": list(self.tokens),
                "latency_s": list(self.latency_s),
                "breakdown_s": [dict(b) for b in self.breakdown_s], "hop_s": self.hop_s,
                "clock_hz": self.clock_hz, "grid": list(self.grid), "pe": self.pe,
                "model": {"n_layers": c.n_layers, "d_model": c.d_model, "n_heads": c.n_heads,
                          "n_kv_heads": c.n_kv_heads, "d_ff": c.d_ff, "vocab": c.vocab}}


@lru_cache(maxsize=512)
def _layer_cycles(d: int, heads: int, seq_len: int, grid: tuple[int, int], pe: str) -> int:
    return decode_layer(SCALED_FROM, d, heads, seq_len, grid, pe).cycles


@lru_cache(maxsize=64)
def _head_cycles(vocab: int, d: int, grid: tuple[int, int], pe: str) -> int:
    return gemv(vocab, d, grid, pe).cycles + layernorm(1, d, grid, pe, rms=True).cycles


def _check(config: LlamaConfig, wafers: int, prompt: tuple[int, ...], new_tokens: int,
           grid: tuple[int, int], pe: str) -> None:
    check_steps(new_tokens)
    if isinstance(wafers, bool) or not isinstance(wafers, int) or not 1 <= wafers <= config.n_layers:
        raise ParameterError("wafers", wafers, f"{{wafers}} must be between 1 and the "
                             f"{config.n_layers} layers", allowed=f"1..{config.n_layers}")
    if not prompt or any(not 0 <= t < config.vocab for t in prompt):
        raise ParameterError("prompt", list(prompt), f"{{prompt}} must be one or more token ids "
                             f"below the vocabulary of {config.vocab}",
                             allowed=f"ids in 0..{config.vocab - 1}")
    if len(prompt) + new_tokens > config.max_seq_len:
        raise ParameterError("new_tokens", new_tokens, f"{{new_tokens}} plus the {len(prompt)}-"
                             f"token prompt exceeds the {config.max_seq_len}-token context",
                             allowed=f"<= {config.max_seq_len - len(prompt)}")
    shape = decode_layer(SCALED_FROM, config.d_model, config.n_heads, 1, grid, pe).params
    if (shape["kv_heads"], shape["d_ff"]) != (config.n_kv_heads, config.d_ff):
        raise ParameterError("d_model", config.d_model, f"the mesh's decode layer is "
                             f"{SCALED_FROM} scaled to {{d_model}}: {shape['kv_heads']} KV heads "
                             f"and d_ff {shape['d_ff']}, not {config.n_kv_heads} and "
                             f"{config.d_ff}; build the model with llama_config",
                             allowed=f"kv heads {shape['kv_heads']}, d_ff {shape['d_ff']}")


def _split(n_layers: int, wafers: int) -> tuple[int, ...]:
    return tuple(len(b) for b in np.array_split(np.arange(n_layers), wafers))


class Stage:
    """One wafer of the pipeline: its layers' weights and its own KV cache, resident."""

    def __init__(self, layers: dict[str, llama.Params]) -> None:
        self.layers = layers
        self.cache = llama.KVCache()

    def run(self, config: LlamaConfig, x: np.ndarray, pos: int) -> np.ndarray:
        for name, p in self.layers.items():
            x = llama.layer_step(config, name, p, x, pos, self.cache)
        return x


def _stages(params: dict[str, llama.Params], blocks: tuple[int, ...]) -> list[Stage]:
    ends = np.cumsum(blocks)
    return [Stage({f"layer{i}": params[f"layer{i}"] for i in range(end - size, end)})
            for size, end in zip(blocks, ends, strict=True)]


def decode_pipeline(config: LlamaConfig, wafers: int = 2, prompt: tuple[int, ...] = (1, 2, 3),
                    new_tokens: int = 8, seed: int = 0, grid: tuple[int, int] = GRID_DEFAULT,
                    pe: str = "wse-3", node: str = "cs-3",
                    catalog: Catalog | None = None) -> DecodeRun:
    """Greedy-decode `new_tokens` after `prompt` on `wafers` pipelined wafers."""
    machine = machine_of(pe, grid, catalog)
    _check(config, wafers, prompt, new_tokens, grid, pe)
    cluster = cluster_of(node, catalog)
    hop_s = cluster.hop_latency_s + config.d_model * PRECISION_BYTES["fp16"] / cluster.hop_Bps
    back_s = cluster.hop_latency_s + TOKEN_BYTES / cluster.hop_Bps if wafers > 1 else 0.0
    blocks = _split(config.n_layers, wafers)
    params = llama.init_params(config, seed)
    stages = _stages(params, blocks)
    head_s = _head_cycles(config.vocab, config.d_model, grid, pe) / machine.clock_hz
    tokens, latency, parts = [], [], []
    token = prompt[0]
    for pos in range(len(prompt) + new_tokens - 1):
        x = params["embed"]["tok"][token]
        for stage in stages:  # each wafer runs its layers on the vector it received
            x = stage.run(config, x, pos)
        token = prompt[pos + 1] if pos + 1 < len(prompt) else llama.next_token(
            config, params["head"], x)
        if pos + 1 >= len(prompt):
            layers_s = config.n_layers * _layer_cycles(config.d_model, config.n_heads, pos + 1,
                                                       grid, pe) / machine.clock_hz
            part = {"layers": layers_s, "head": head_s, "hops": (wafers - 1) * hop_s + back_s}
            tokens.append(token)
            parts.append(part)
            latency.append(sum(part.values()))
    return DecodeRun(config, wafers, blocks, tuple(prompt), tuple(tokens), tuple(latency),
                     tuple(parts), hop_s, machine.clock_hz, grid, pe)


def llama_config(n_layers: int = 4, d_model: int = 64, n_heads: int = 4, vocab: int = 64,
                 max_seq_len: int = 32, grid: tuple[int, int] = GRID_DEFAULT,
                 pe: str = "wse-3") -> LlamaConfig:
    """A tiny Llama whose layer is the mesh decode layer's: the KV heads and d_ff of
    llama-3.1-8b scaled to `d_model` and `n_heads`."""
    shape = decode_layer(SCALED_FROM, d_model, n_heads, 1, grid, pe).params
    return LlamaConfig(n_layers=n_layers, d_model=d_model, n_heads=n_heads,
                       n_kv_heads=int(shape["kv_heads"]),  # type: ignore[call-overload]  # a MeshResult param
                       d_ff=int(shape["d_ff"]),  # type: ignore[call-overload]  # a MeshResult param
                       vocab=vocab, max_seq_len=max_seq_len)
