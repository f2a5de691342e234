"""The event core: a clock and a time-ordered queue of callbacks.

Ties run in the order they were scheduled, so a run is deterministic. Actors (clients, pools)
schedule callbacks with `at` / `after`; `run` pops them in time order until the queue empties.
A batching pool may look ahead with `next_time` to end a multi-step decode run at the first
iteration boundary after the next thing that could change its batch.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable, Sequence
from functools import partial

Action = Callable[[], None]


class EventLoop:
    """Simulated time in seconds and the callbacks still to run."""

    def __init__(self) -> None:
        self.now = 0.0
        self._queue: list[tuple[float, int, Action]] = []
        self._order = itertools.count()

    def at(self, time_s: float, action: Action) -> None:
        """Run `action` at `time_s` (not before now)."""
        if time_s < self.now:
            raise ValueError(f"event at {time_s} s is before now ({self.now} s)")
        heapq.heappush(self._queue, (time_s, next(self._order), action))

    def stream(self, times_s: Sequence[float], action: Callable[[int], None]) -> None:
        """Run `action(i)` at `times_s[i]` for every i, in the order of a run that scheduled
        them all now, but holding only the next one in the queue (`times_s` in order)."""
        first = next(self._order)
        self._order = itertools.count(first + len(times_s))
        if times_s:
            if times_s[0] < self.now:
                raise ValueError(f"event at {times_s[0]} s is before now ({self.now} s)")
            head: Action = partial(self._streamed, times_s, action, first, 0)
            heapq.heappush(self._queue, (times_s[0], first, head))

    def _streamed(self, times_s: Sequence[float], action: Callable[[int], None], first: int,
                  i: int) -> None:
        """Stream item `i` is due: queue the next, then run it."""
        j = i + 1
        if j < len(times_s):
            nxt: Action = partial(self._streamed, times_s, action, first, j)
            heapq.heappush(self._queue, (times_s[j], first + j, nxt))
        action(i)

    def after(self, delay_s: float, action: Action) -> None:
        """Run `action` `delay_s` seconds from now (`at`, without a call in between)."""
        time_s = self.now + delay_s
        if time_s < self.now:
            raise ValueError(f"event at {time_s} s is before now ({self.now} s)")
        heapq.heappush(self._queue, (time_s, next(self._order), action))

    def next_time(self) -> float:
        """When the earliest pending event runs (inf when none is pending)."""
        return self._queue[0][0] if self._queue else math.inf

    def run(self) -> float:
        """Run every event in time order; returns the time of the last one."""
        queue, pop = self._queue, heapq.heappop
        while queue:
            self.now, _, action = pop(queue)
            action()
        return self.now
