"""What an inference run asks for, and the pieces every serving model shares.

`Serving` is the request shape (prompt and output tokens, weight and KV-cache number formats)
and, when it is not the chip's default one, the serving stack (`catalog.Stack`).
MoE decode reads only the experts a batch touches: with top-k routing over E experts and b
tokens routed independently and uniformly, the expected number of distinct experts is
E * (1 - (1 - k/E)^b) (occupancy of E bins by b*k draws without replacement per token, the
standard balls-in-bins expectation). Speculative decoding verifies k drafted tokens per step and
keeps (1 - a^(k+1)) / (1 - a) tokens on average at acceptance rate a (Leviathan, Kalman, Matias
2023, "Fast Inference from Transformers via Speculative Decoding", eq. 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from wafersim.catalog.schema import Chip, Stack
from wafersim.cost.infer.stack import apply_stack, speculative_tokens_per_step, stack_notes
from wafersim.errors import ParameterError
from wafersim.models.spec import ModelSpec, bytes_per_param
from wafersim.precision import STORAGE, WEIGHT_FORMATS, WEIGHT_ONLY
from wafersim.xp import total

ACT_BYTES = 2.0  # activations and all-reduced vectors in 16-bit, as serving engines keep them
KV_BLOCK_TOKENS = 16  # paged KV cache block (vLLM default block size; Kwon et al. 2023)
WEIGHT_PRECISIONS = WEIGHT_FORMATS
KV_PRECISIONS = tuple(str(p) for p in STORAGE)
# assumption: a weight-only GEMM's dequantisation time per weight over a 16-bit read's where the
# stack gives none, that of vLLM's Marlin-based kernels on H100 (stack vllm-rtn-marlin-2025-08).
# Marlin (Frantar et al. 2024, arXiv:2408.11743; IST-DASLab/marlin README) reaches "close to
# ideal (4x)" int4 speed-ups over fp16 up to batch 16-32 on an A10 (about 0); FasterTransformer's
# fused int4 GEMV on A100 (stack fastertransformer-glm-130b) about 0.7; range 0-0.7
DEFAULT_WEIGHT_ONLY_DEQUANT_RATIO = 0.3
# assumption: draft-token acceptance rate where none is given; DeepSeek-V3 report section 5.4.3
# gives 85-90% for its MTP token offline, serving runs report 67-75%; range 0.6-0.9
DEFAULT_ACCEPTANCE = 0.8
Figure = float | npt.NDArray[np.float64]  # one value, or one per point
Seconds = TypeVar("Seconds", float, npt.NDArray[np.float64])  # one time, or one per point


@dataclass(frozen=True)
class Serving:
    """Tokens per request, the number formats weights and KV cache are stored in, and the stack."""

    input_tokens: int = 1024
    output_tokens: int = 1024
    precision: str = "bf16"  # weights
    kv_precision: str = "bf16"
    decode_only: bool = False  # a disaggregated decode pool: prompts are prefilled elsewhere
    stack: Stack | None = None  # None: the chip's default serving stack

    def __post_init__(self) -> None:
        for name, n in (("input_tokens", self.input_tokens), ("output_tokens", self.output_tokens)):
            if n < 1:
                raise ParameterError(name, n, f"{{{name}}} must be at least 1 token", allowed=">= 1")
        for name, p, allowed in (("precision", self.precision, WEIGHT_PRECISIONS),
                                 ("kv_precision", self.kv_precision, KV_PRECISIONS)):
            if p not in allowed:
                known = ", ".join(allowed)
                raise ParameterError(name, p, f"{{{name}!r}} is unknown; use one of {known}",
                                     allowed=f"one of {known}")

    def check_stack(self, chip: Chip) -> None:
        """One-line error when the serving stack does not run on `chip`."""
        if self.stack is not None and self.stack.chips and chip.id not in self.stack.chips:
            raise ParameterError("stack", self.stack.id, f"{{stack}} runs on "
                                 f"{', '.join(self.stack.chips)}, not {chip.id}; pick a stack for "
                                 f"{chip.id} or drop {{stack.flag}}",
                                 allowed=f"a stack for {chip.id}")

    def stack_parts(self, parts: dict[str, Any], efficiency: float, requests: Any,
                    name: str = "serving_stack", model: ModelSpec | None = None,
                    speculate: bool = False) -> dict[str, Any]:
        """`parts` (kernel-level seconds) plus the default stack's share at the chip's calibrated
        `efficiency`; a named stack then runs them its way (`cost/infer/stack.py`: kernel speed by
        operator class of `model`, fixed costs per step, layer and request for `requests`, and,
        with `speculate` (decode parts), its speculative decoding)."""
        out = parts | {name: total(parts.values()) * (1.0 / efficiency - 1.0)}
        if self.stack is None:
            return out
        return apply_stack(out, self.stack, model, requests, speculate)

    @property
    def allreduce(self) -> str:
        """How the stack picks its tensor-parallel all-reduce: "auto" (fastest the network
        allows) or "library" (no custom all-reduce kernel: the collective library's choice)."""
        return "auto" if self.stack is None or self.stack.custom_allreduce else "library"

    def stack_notes(self) -> tuple[str, ...]:
        """What the result assumes of the stack (nothing unless one is named) and of its
        weight-only GEMMs (weight-only formats only)."""
        notes = () if self.stack is None else stack_notes(self.stack)
        ratio = self.weight_only_dequant_ratio
        if ratio is None:
            return notes
        w = WEIGHT_ONLY[self.precision]
        given = self.stack is not None and self.stack.weight_only_dequant_ratio is not None
        return (*notes, f"{self.precision}: {w.weight} weights dequantised to {w.math} for "
                f"{w.math} matmuls, dequantisation {ratio:.2g}x a 16-bit weight's read time "
                + ("(the stack's)" if given else "(assumed; range 0-0.7)"))

    @property
    def weight_only_dequant_ratio(self) -> float | None:
        """Weight-only formats: the GEMMs' dequantisation time per weight over a 16-bit read's
        (the stack's, else the assumption); None for other formats."""
        if self.precision not in WEIGHT_ONLY:
            return None
        q = None if self.stack is None else self.stack.weight_only_dequant_ratio
        return DEFAULT_WEIGHT_ONLY_DEQUANT_RATIO if q is None or q.value is None else float(q.value)

    @property
    def context_tokens(self) -> int:
        """Tokens a request holds in the KV cache at its end."""
        return self.input_tokens + self.output_tokens

    def wall_s(self, ttft_s: Seconds, tpot_s: Seconds) -> Seconds:
        """Time a request occupies the system: its prefill (unless done elsewhere) and decode."""
        return (0.0 if self.decode_only else ttft_s) + self.output_tokens * tpot_s

    @property
    def mean_decode_context(self) -> float:
        """Mean cached context over the output: KV reads grow linearly, so the midpoint is exact."""
        return self.input_tokens + (self.output_tokens - 1) / 2

    def decode_context(self, model: ModelSpec) -> float:
        """Mean cached keys a decode step's token attends to, over the output and the layers:
        `mean_decode_context`, less where windowed layers see only their span."""
        if not model.n_window_layers:
            return self.mean_decode_context
        first = self.input_tokens + 1  # the first output token's position
        return model.causal_keys(first, self.input_tokens + self.output_tokens) / self.output_tokens - 1

    def prefill_keys(self, model: ModelSpec) -> float:
        """Mean keys a prompt token attends to, over the prompt and the layers (causal)."""
        if not model.n_window_layers:
            return (self.input_tokens + 1) / 2  # the mean prompt token sees half the prompt
        return model.causal_keys(1, self.input_tokens) / self.input_tokens

    @property
    def weight_bytes_per_param(self) -> float:
        return bytes_per_param(self.precision)

    def kv_bytes_per_request(self, model: ModelSpec, paged: bool = True) -> float:
        """KV cache of one request at full context, rounded up to whole blocks when paged."""
        tokens = self.context_tokens
        if paged:
            tokens = -(-tokens // KV_BLOCK_TOKENS) * KV_BLOCK_TOKENS
        return model.kv_cache_bytes(tokens, self.kv_precision)  # windowed layers: their span


def expected_experts(n_experts: int, top_k: int, tokens: npt.ArrayLike) -> Figure:
    """Expected distinct experts `tokens` tokens touch with top-k routing over n_experts."""
    t = np.asarray(tokens, dtype=float)
    out = n_experts * (1.0 - (1.0 - top_k / n_experts) ** t)  # balls in bins, uniform routing
    return float(out) if out.ndim == 0 else out


@dataclass(frozen=True)
class SelfDraft:
    """Multi-token prediction (DeepSeek-V3 report section 2.2): the model's own MTP module drafts
    `lookahead` tokens one after another, each accepted with probability `acceptance`, and the
    model verifies them with the next token in one pass."""

    acceptance: float
    lookahead: int = 1

    def __post_init__(self) -> None:
        speculative_tokens_per_step(self.acceptance, self.lookahead)  # validates both

    @property
    def tokens_per_step(self) -> float:
        return speculative_tokens_per_step(self.acceptance, self.lookahead)


def embedding_on_host(model: ModelSpec) -> bool:
    """An untied input embedding is a row lookup a host can do; a tied one is also the LM head."""
    return not model.tied_embeddings


__all__ = ["ACT_BYTES", "DEFAULT_ACCEPTANCE", "KV_BLOCK_TOKENS", "SelfDraft", "Serving",
           "bytes_per_param", "embedding_on_host", "expected_experts", "speculative_tokens_per_step",
           "WEIGHT_PRECISIONS"]
