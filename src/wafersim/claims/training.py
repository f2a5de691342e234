"""Claims about training (C6-C10, C15, C21, C23, C31): figures from the training cost models."""

from __future__ import annotations
