"""The Python API: one call per question, each returning a frozen result."""

from __future__ import annotations

from wafersim.cost.training import train

__all__ = ["train"]
