"""Number formats: the one vocabulary every part of wafersim names precisions in.

`Precision` lists the formats a matrix unit can run; `BYTES_PER_ELEMENT` their storage (fp6 packs
four elements in three bytes); `STORAGE` the formats serving keeps weights and KV caches in.
"""

from __future__ import annotations

from enum import StrEnum


class Precision(StrEnum):
    """Number formats a matrix unit can run."""

    fp64 = "fp64"
    fp32 = "fp32"
    tf32 = "tf32"
    bf16 = "bf16"
    fp16 = "fp16"
    fp8 = "fp8"
    fp6 = "fp6"
    fp4 = "fp4"
    int8 = "int8"
    int4 = "int4"


P = Precision
BYTES_PER_ELEMENT: dict[str, float] = {
    P.fp64: 8, P.fp32: 4, P.tf32: 4, P.bf16: 2, P.fp16: 2, P.fp8: 1, P.fp6: 0.75, P.fp4: 0.5,
    P.int8: 1, P.int4: 0.5,
}
# formats serving engines store weights and KV caches in (vLLM, TensorRT-LLM, SGLang quantisation)
STORAGE: tuple[Precision, ...] = (P.bf16, P.fp16, P.fp8, P.int8, P.int4, P.fp4)
