"""Progress on stderr for commands that can run for more than a few seconds.

Shown only when stderr is a terminal, so JSON on stdout, pipes and tests see nothing; the bar
disappears when the work is done.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

SECONDS_PER_REQUEST = 4e-5  # measured: 100,000 requests of 1,024 + 1,024 tokens take 2.5-5 s


def terminal() -> Console | None:
    """A console on stderr when stderr is a terminal, else None (no progress shown)."""
    return Console(stderr=True) if sys.stderr.isatty() else None


@contextmanager
def progress(description: str, total: int | None = None) -> Iterator[Callable[[], None]]:
    """A spinner (or a bar of `total` steps) with the elapsed time while the block runs; the
    block gets a function that advances the bar by one step."""
    console = terminal()
    if console is None:
        yield lambda: None
        return
    steps = (BarColumn(), MofNCompleteColumn()) if total else ()
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), *steps, TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda: bar.advance(task)


def serve_estimate(requests: int) -> str:
    """What a serving simulation will take, for its progress line."""
    seconds = 1.0 + requests * SECONDS_PER_REQUEST
    return f"simulating {requests:,} requests (about {seconds:,.0f} s)"
