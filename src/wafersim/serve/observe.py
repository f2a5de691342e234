"""What a pool reports as it runs, for metrics and timelines.

Pools call an `Observer` (when given one) at each run of iterations, each change of KV use, each
preemption and each change of the queue. `Recorder` keeps what `summarise` reports: the
time-weighted KV utilisation and its peak, and the preemptions; `Fanout` passes every call on
to several observers (a recorder and a timeline).
"""

from __future__ import annotations

from typing import Protocol

from wafersim.serve.engine import Request


class Observer(Protocol):
    """Receives a pool's events (times in simulated seconds)."""

    def iteration(self, kind: str, start_s: float, duration_s: float, batch: int,
                  tokens: int) -> None: ...  # kind: "prefill", "decode" or "mixed"

    def kv(self, time_s: float, used_tokens: int, capacity_tokens: int) -> None: ...

    def preempted(self, time_s: float, request: Request) -> None: ...

    def queue(self, time_s: float, waiting: int) -> None: ...


class Recorder:
    """Time-weighted KV utilisation (used / capacity, held until the next report), its peak,
    and the preemptions. `kv_only`: pools spare it their iteration and queue calls."""

    kv_only = True

    def __init__(self) -> None:
        self.preemptions = 0
        self.peak = 0.0
        self._area_s = 0.0  # integral of utilisation over time
        self._last_s = 0.0
        self._util = 0.0

    def iteration(self, kind: str, start_s: float, duration_s: float, batch: int,
                  tokens: int) -> None:
        pass

    def kv(self, time_s: float, used_tokens: int, capacity_tokens: int) -> None:
        self._area_s += self._util * (time_s - self._last_s)
        self._last_s = time_s
        self._util = used_tokens / capacity_tokens if capacity_tokens > 0 else 0.0
        if self._util > self.peak:
            self.peak = self._util

    def preempted(self, time_s: float, request: Request) -> None:
        self.preemptions += 1

    def queue(self, time_s: float, waiting: int) -> None:
        pass

    def utilisation(self, duration_s: float) -> dict[str, float]:
        """Mean (over `duration_s`) and peak KV utilisation."""
        area = self._area_s + self._util * max(0.0, duration_s - self._last_s)
        return {"mean": float(area / duration_s) if duration_s > 0 else 0.0, "peak": float(self.peak)}


class Fanout:
    """Passes every call to each of `observers`."""

    def __init__(self, *observers: Observer) -> None:
        self.observers = observers

    def iteration(self, kind: str, start_s: float, duration_s: float, batch: int,
                  tokens: int) -> None:
        for o in self.observers:
            o.iteration(kind, start_s, duration_s, batch, tokens)

    def kv(self, time_s: float, used_tokens: int, capacity_tokens: int) -> None:
        for o in self.observers:
            o.kv(time_s, used_tokens, capacity_tokens)

    def preempted(self, time_s: float, request: Request) -> None:
        for o in self.observers:
            o.preempted(time_s, request)

    def queue(self, time_s: float, waiting: int) -> None:
        for o in self.observers:
            o.queue(time_s, waiting)


class Combined(Recorder):
    """Several replicas' recorders read as one: preemptions add up, KV utilisation is the
    replicas' mean (each over the same run), its peak the highest."""

    def __init__(self, recorders: list[Recorder]) -> None:
        super().__init__()
        self.recorders = recorders
        self.preemptions = sum(r.preemptions for r in recorders)

    def utilisation(self, duration_s: float) -> dict[str, float]:
        each = [r.utilisation(duration_s) for r in self.recorders]
        return {"mean": sum(u["mean"] for u in each) / len(each),
                "peak": max(u["peak"] for u in each)}


def combined(recorders: list[Recorder]) -> Recorder:
    """One recorder as itself; several as their `Combined` view."""
    return recorders[0] if len(recorders) == 1 else Combined(recorders)
