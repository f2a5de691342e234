"""A serving run as a Chrome / Perfetto trace (the Trace Event Format, opens in ui.perfetto.dev).

One process per replica ("pid"), one thread per pool within it ("tid": the mixed engine, or the
prefill and the decode pool); iterations are complete events ("X", with the batch and tokens as
args), preemptions instant events ("i"), and counters ("C") the queue length and KV tokens in
use. Timestamps and durations in microseconds, as the format has them. The file is written to a
temporary file beside the target and renamed into place, so a reader never sees half of it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from wafersim.catalog.edit import replace_file
from wafersim.errors import writable
from wafersim.serve.engine import Request

US = 1e6  # trace timestamps are in microseconds


class Track:
    """One pool's events, on its replica's process and its own thread."""

    def __init__(self, events: list[dict[str, Any]], pid: int, tid: int) -> None:
        self.events, self.pid, self.tid = events, pid, tid

    def iteration(self, kind: str, start_s: float, duration_s: float, batch: int,
                  tokens: int) -> None:
        self.events.append({"name": kind, "ph": "X", "ts": start_s * US, "dur": duration_s * US,
                            "pid": self.pid, "tid": self.tid,
                            "args": {"batch": batch, "tokens": tokens}})

    def kv(self, time_s: float, used_tokens: int, capacity_tokens: int) -> None:
        self._counter("KV tokens", time_s, {"used": used_tokens, "capacity": capacity_tokens})

    def preempted(self, time_s: float, request: Request) -> None:
        self.events.append({"name": "preempted", "ph": "i", "s": "t", "ts": time_s * US,
                            "pid": self.pid, "tid": self.tid, "args": {"request": request.index}})

    def queue(self, time_s: float, waiting: int) -> None:
        self._counter("queue", time_s, {"waiting": waiting})

    def _counter(self, name: str, time_s: float, values: dict[str, int]) -> None:
        self.events.append({"name": f"{name} (tid {self.tid})", "ph": "C", "ts": time_s * US,
                            "pid": self.pid, "args": values})


class Timeline:
    """The trace of a whole fleet: `track` gives each replica's pools their observers."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def track(self, replica: int, pool: str) -> Track:
        """The observer of `pool` (e.g. "engine", "prefill_pool") on replica `replica`."""
        tid = 1 + sum(1 for e in self.events if e["name"] == "thread_name" and e["pid"] == replica)
        if tid == 1:
            self._meta("process_name", replica, 0, f"replica {replica}")
        self._meta("thread_name", replica, tid, pool)
        return Track(self.events, replica, tid)

    def _meta(self, name: str, pid: int, tid: int, label: str) -> None:
        self.events.append({"name": name, "ph": "M", "pid": pid, "tid": tid,
                            "args": {"name": label}})

    def to_json(self) -> dict[str, Any]:
        return {"traceEvents": self.events, "displayTimeUnit": "ms"}

    def write(self, path: str | Path) -> None:
        """Write the trace to `path` atomically (a temporary file beside it, then a rename)."""
        replace_file(writable("trace", path), json.dumps(self.to_json(), separators=(",", ":")))
