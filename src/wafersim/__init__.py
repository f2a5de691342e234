"""wafersim: simulate AI compute systems (wafer-scale engines, GPU and NPU clusters) running LLMs."""

__version__ = "0.1.0"

from wafersim.api import infer, simulate_serving, train  # noqa: E402  (the public API needs __version__ defined first)
from wafersim.cost.infer.result import InferResult  # noqa: E402
from wafersim.serve.result import ServeResult  # noqa: E402

__all__ = ["InferResult", "ServeResult", "__version__", "infer", "simulate_serving", "train"]
