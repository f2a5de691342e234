"""Helpers shared by the benchmark scripts that run peer tools (llm-analysis, GenZ).

Peers are optional (`pip install -e '.[peers]'`) and never imported by wafersim itself. Both are
fed wafersim's own model configurations, since their name look-ups would need the model hub.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import warnings
from collections.abc import Iterator
from importlib import import_module, metadata
from pathlib import Path
from types import ModuleType

from wafersim.models.spec import ModelSpec

PEERS = {"llm-analysis": "llm_analysis.analysis", "genz-llm": "GenZ"}  # distribution -> module
GENZ_SCRATCH = Path("/tmp/genz/data/model")  # GenZ writes one CSV per call here (a fixed path)


def load_peer(dist: str) -> tuple[ModuleType | None, str]:
    """The peer's module and a one-line label ("llm-analysis 0.2.2"), or None and why not."""
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")  # llm-analysis imports transformers
    try:
        with quiet():
            module = import_module(PEERS[dist])
        version = metadata.version(dist)
    except Exception as exc:  # an optional peer: any import failure means "not run"
        return None, f"{dist}: not importable ({type(exc).__name__}: {str(exc)[:80]})"
    if dist == "llm-analysis":
        from llm_analysis.logger import logger

        logger.setLevel(logging.ERROR)  # it logs every figure at INFO
    return module, f"{dist} {version}"


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence a peer's prints and warnings (GenZ prints hints, pandas warns)."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


@contextlib.contextmanager
def genz_scratch() -> Iterator[None]:
    """Remove the layer files GenZ writes during the block (and only those)."""
    before = set(GENZ_SCRATCH.iterdir()) if GENZ_SCRATCH.is_dir() else set()
    try:
        yield
    finally:
        if GENZ_SCRATCH.is_dir():
            for path in set(GENZ_SCRATCH.iterdir()) - before:
                path.unlink(missing_ok=True)


def mlp_matrices(spec: ModelSpec) -> int:
    return 3 if spec.gated_mlp else 2


def llm_analysis_model(spec: ModelSpec, max_seq_len: int | None = None):  # type: ignore[no-untyped-def]
    """An llm-analysis ModelConfig for `spec`.

    llm-analysis counts two MLP matrices of width ffn_embed_dim; a gated MLP (three matrices of
    width d_ff) is given as width 1.5 x d_ff so that its weight bytes match. Its MLP FLOPs are
    fixed at 16 b s h^2 whatever the width (its own formula), and it assumes head_dim = h / heads.
    """
    from llm_analysis.config import ModelConfig

    moe = spec.is_moe
    width = (spec.d_ff_expert if moe else spec.d_ff) * mlp_matrices(spec) / 2
    return ModelConfig(name=spec.id, num_layers=spec.n_layers, n_head=spec.n_heads,
                       hidden_dim=spec.d_model, vocab_size=spec.vocab_size,
                       max_seq_len=max(spec.max_seq_len, max_seq_len or 0),
                       num_key_value_heads=spec.n_kv_heads, ffn_embed_dim=round(width),
                       expansion_ratio=width / spec.d_model, model_type=spec.model_type,
                       moe_num_experts=spec.n_experts if moe else 1,
                       moe_top_k=spec.top_k if moe else 1)


def genz_model(spec: ModelSpec):  # type: ignore[no-untyped-def]
    """A GenZ ModelConfig for `spec` (GenZ's gated MLP is num_ffi = 2)."""
    from GenZ import ModelConfig

    moe = spec.is_moe
    return ModelConfig(model=spec.id, vocab_size=spec.vocab_size, max_model_len=spec.max_seq_len,
                       hidden_size=spec.d_model,
                       intermediate_size=spec.d_ff_expert if moe else spec.d_ff,
                       num_ffi=2 if spec.gated_mlp else 1, num_decoder_layers=spec.n_layers,
                       num_attention_heads=spec.n_heads, head_dim=spec.head_dim,
                       num_key_value_heads=spec.n_kv_heads,
                       num_experts=spec.n_experts if moe else 1,
                       expert_top_k=spec.top_k if moe else 1)
