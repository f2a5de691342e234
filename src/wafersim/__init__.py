"""wafersim: simulate AI compute systems (wafer-scale engines, GPU and NPU clusters) running LLMs."""

__version__ = "0.1.0"
