"""``python -m wafersim``."""

from wafersim.cli import entry

entry()
