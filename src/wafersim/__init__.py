"""wafersim: simulate AI compute systems (wafer-scale engines, GPU and NPU clusters) running LLMs.

The public API is imported on first use (`wafersim.infer`, ...), so that ``import wafersim`` and
the command line start without loading numpy, pydantic and the catalog schema up front.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from wafersim.api import infer, infer_models, simulate_serving, size_training, train
    from wafersim.cost.infer.result import CoResidentResult, InferResult
    from wafersim.cost.train.evaluation import EvalSchedule
    from wafersim.serve.result import ServeResult

# public name -> module defining it
_LAZY = {"infer": "wafersim.api", "infer_models": "wafersim.api",
         "simulate_serving": "wafersim.api", "train": "wafersim.api",
         "size_training": "wafersim.api",
         "InferResult": "wafersim.cost.infer.result",
         "CoResidentResult": "wafersim.cost.infer.result", "ServeResult": "wafersim.serve.result",
         "EvalSchedule": "wafersim.cost.train.evaluation"}

__all__ = ["CoResidentResult", "EvalSchedule", "InferResult", "ServeResult", "__version__", "infer",
           "infer_models", "simulate_serving", "size_training", "train"]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'wafersim' has no attribute {name!r}")
    value = getattr(import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
