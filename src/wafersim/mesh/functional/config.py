"""The tiny models the functional runs use: frozen, checked sizes (errors name the parameter)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from wafersim.errors import ConfigError, ParameterError
from wafersim.mesh.layout import dtype_of

GRID_DEFAULT = (4, 4)


def _positive(**values: int) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ParameterError(name, value, f"{{{name}}} must be a positive integer",
                                 allowed=">= 1")


def _multiple(name: str, value: int, of: str, base: int) -> None:
    if value % base:
        raise ParameterError(name, value, f"{{{name}}} must be a multiple of {of} ({base})",
                             allowed=f"a multiple of {base}")


@dataclass(frozen=True)
class GPTConfig:
    """A GPT-2-style decoder: learned positions, LayerNorm (gain and bias), GELU MLP of 4 d,
    bias-free matrices, untied LM head; trained on `batch` sequences of `seq_len` tokens."""

    n_layers: int = 2
    d_model: int = 64
    n_heads: int = 4
    vocab: int = 32
    seq_len: int = 8
    batch: int = 4
    lr: float = 1e-2
    weight_decay: float = 0.01
    grid: tuple[int, int] = GRID_DEFAULT  # each wafer's PE region (cols, rows)
    precision: str = "fp16"  # what the wafers and links carry (the accounting); numerics in fp64

    def __post_init__(self) -> None:
        _positive(n_layers=self.n_layers, d_model=self.d_model, n_heads=self.n_heads,
                  vocab=self.vocab, seq_len=self.seq_len, batch=self.batch)
        _multiple("d_model", self.d_model, "n_heads", self.n_heads)
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ParameterError("lr", self.lr, "{lr} must be a finite number > 0",
                                 allowed="> 0")
        if not (math.isfinite(self.weight_decay) and self.weight_decay >= 0):
            # no command-line flag sets it, so the error names the field, not a flag
            raise ConfigError(f"weight_decay {self.weight_decay} must be a finite number >= 0")
        dtype_of(self.precision)  # a precision the mesh kernels run, or a ConfigError naming it

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads

    @property
    def d_ff(self) -> int:
        return 4 * self.d_model


@dataclass(frozen=True)
class LlamaConfig:
    """A Llama-style decoder (RMSNorm, RoPE, grouped-query attention, SwiGLU), bias-free."""

    n_layers: int = 4
    d_model: int = 64
    n_heads: int = 4
    n_kv_heads: int = 1
    d_ff: int = 224
    vocab: int = 64
    max_seq_len: int = 32
    eps: float = 1e-5
    rope_theta: float = 10000.0

    def __post_init__(self) -> None:
        _positive(n_layers=self.n_layers, d_model=self.d_model, n_heads=self.n_heads,
                  n_kv_heads=self.n_kv_heads, d_ff=self.d_ff, vocab=self.vocab,
                  max_seq_len=self.max_seq_len)
        _multiple("d_model", self.d_model, "n_heads", self.n_heads)
        _multiple("n_heads", self.n_heads, "n_kv_heads", self.n_kv_heads)
        if self.head_dim % 2:
            raise ParameterError("d_model", self.d_model, "{d_model} / n_heads must be even for "
                                 "rotary embeddings", allowed="an even head width")

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads


def check_wafers(wafers: int, batch: int) -> None:
    """Data parallelism splits the batch evenly: each wafer gets whole sequences."""
    _positive(wafers=wafers)
    if batch % wafers:
        raise ParameterError("wafers", wafers, f"{{wafers}} must divide the batch of {batch} "
                             "sequences evenly", allowed=f"a divisor of {batch}")


def check_steps(steps: int) -> None:
    _positive(steps=steps)
