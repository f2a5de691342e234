"""wafersim: simulate AI compute systems (wafer-scale engines, GPU and NPU clusters) running LLMs."""

__version__ = "0.1.0"

from wafersim.api import infer, train  # noqa: E402  (the public API needs __version__ defined first)
from wafersim.cost.infer_result import InferResult  # noqa: E402

__all__ = ["InferResult", "__version__", "infer", "train"]
