"""wafersim: simulate AI compute systems (wafer-scale engines, GPU and NPU clusters) running LLMs."""

__version__ = "0.1.0"

from wafersim.api import train  # noqa: E402  (the public API needs __version__ defined first)

__all__ = ["__version__", "train"]
