"""The benchmark client: sends each request at its planned time, at most `cap` in flight.

Like `bench_serving --max-concurrency`, a request due while `cap` are in flight waits for one to
finish; its clock (TTFT, latency) starts when it is actually sent. `horizon` says when the client
may next send, so that a replica of a fleet runs on past other replicas' events.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from functools import partial

from wafersim.serve.engine import Request
from wafersim.serve.events import EventLoop


class Client:
    """Sends `requests` to `send` at `planned_s`, holding at most `cap` in flight."""

    def __init__(self, loop: EventLoop, requests: list[Request], planned_s: list[float], cap: int,
                 send: Callable[[Request], None]) -> None:
        if len(requests) != len(planned_s):
            raise ValueError(f"{len(requests)} requests but {len(planned_s)} send times")
        self.loop, self.cap, self.send = loop, cap, send
        self.requests = requests
        self.in_flight = 0
        self.backlog: deque[Request] = deque()
        self.planned_s = planned_s
        self.ordered = all(a <= b for a, b in zip(planned_s, planned_s[1:], strict=False))
        self.due = 0  # requests due so far
        if self.ordered:
            loop.stream(planned_s, self._due)
        else:
            for i, t in enumerate(planned_s):
                loop.at(t, partial(self._due, i))

    def horizon(self, ahead: int = 0) -> float:
        """When the client sends the request `ahead` sends from now, as far as it knows: its due
        time; while requests wait for a slot (or sends are out of order), the loop's next event."""
        if self.backlog or not self.ordered:
            return self.loop.next_time()
        due = self.due + ahead
        return self.planned_s[due] if due < len(self.planned_s) else math.inf

    def _due(self, i: int) -> None:
        """Request `i` is due: sent now, or when a slot frees."""
        req = self.requests[i]
        self.due += 1
        if self.in_flight < self.cap:
            self._send(req)
        else:
            self.backlog.append(req)

    def finished(self, req: Request) -> None:
        """A request completed: its slot goes to the longest-waiting due request."""
        self.in_flight -= 1
        if self.backlog:
            self._send(self.backlog.popleft())

    def _send(self, req: Request) -> None:
        self.in_flight += 1
        req.sent_s = self.loop.now
        self.send(req)
