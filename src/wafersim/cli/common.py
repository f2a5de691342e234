"""State and output helpers shared by the subcommands."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any

from rich.console import Console

from wafersim.catalog import Catalog, load_catalog


@dataclass
class State:
    catalog_dirs: tuple[str, ...] = ()


state = State()


def catalog() -> Catalog:
    """The catalog with the user's --catalog directories."""
    return load_catalog(state.catalog_dirs)


def console() -> Console:
    """Rich console on stdout; wide and plain when not a terminal, so tables stay readable."""
    tty = sys.stdout.isatty()
    return Console(width=None if tty else 220, no_color=not tty, highlight=False, soft_wrap=False)


def print_json(data: Any) -> None:
    """Machine output: SI units, stable key order, no NaN."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, allow_nan=False) + "\n")
