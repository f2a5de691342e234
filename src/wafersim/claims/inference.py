"""Claims about serving (C17-C19, C26, C32): figures from the inference cost models."""

from __future__ import annotations
