"""Number formats: the one vocabulary every part of wafersim names precisions in.

`Precision` lists the formats a matrix unit can run; `BYTES_PER_ELEMENT` their storage (fp6 packs
four elements in three bytes); `STORAGE` the formats serving keeps weights and KV caches in.
`WEIGHT_ONLY` names the weight-only quantised formats (w4a16, w8a16): weights stored in a narrow
integer format and dequantised in registers to 16-bit, the matmul run in 16-bit
(FasterTransformer's and TensorRT-LLM's weight-only GEMMs, Marlin, AWQ and GPTQ kernels), so the
storage precision and the math precision differ.
"""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class WeightOnly:
    """A weight-only quantised format: weights stored in `weight`, matmuls run in `math`."""

    name: str
    weight: Precision
    math: Precision


P = Precision
WEIGHT_ONLY: dict[str, WeightOnly] = {w.name: w for w in (
    WeightOnly("w4a16", P.int4, P.fp16), WeightOnly("w8a16", P.int8, P.fp16))}
BYTES_PER_ELEMENT: dict[str, float] = {
    P.fp64: 8, P.fp32: 4, P.tf32: 4, P.bf16: 2, P.fp16: 2, P.fp8: 1, P.fp6: 0.75, P.fp4: 0.5,
    P.int8: 1, P.int4: 0.5,
}
BYTES_PER_ELEMENT |= {name: BYTES_PER_ELEMENT[w.weight] for name, w in WEIGHT_ONLY.items()}
# formats serving engines store weights and KV caches in (vLLM, TensorRT-LLM, SGLang quantisation)
STORAGE: tuple[Precision, ...] = (P.bf16, P.fp16, P.fp8, P.int8, P.int4, P.fp4)
WEIGHT_FORMATS: tuple[str, ...] = (*(str(p) for p in STORAGE), *WEIGHT_ONLY)  # serving weights


def math_precision(weight_format: str) -> str:
    """The format the matmuls run in for weights stored in `weight_format`."""
    w = WEIGHT_ONLY.get(weight_format)
    return weight_format if w is None else str(w.math)
