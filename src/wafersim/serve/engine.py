"""Batching pools: what the devices run next, iteration by iteration.

- `DecodePool`: continuous (iteration-level) batching (Orca, Yu et al. OSDI 2022). At each
  iteration boundary queued requests join the running batch while their KV cache fits; one
  iteration gives every running request one output token and takes `Curve.decode_s(b)` for b
  running. Between events the batch does not change, so a run of iterations is one event: it ends
  at the first finish, or at the first boundary after the next pending event (which may bring a
  request to admit).
- `PrefillPool`: prompts first come, first served, up to a token budget per scheduler (SGLang
  `--max-prefill-tokens`), prefilled in one pass; each prompt's KV cache is handed on after
  `handoff_s` (its transfer to a decode pool), which is when its first token reaches the client.
- `MixedPool`: one set of devices doing both, prefill first (the default schedule of SGLang and
  vLLM v0): when prompts wait and the KV cache has room, the next iteration prefills them and
  decoding pauses.

Every pool keeps the seconds it spent prefilling and decoding; the rest of the run it is idle.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from wafersim.cost.infer.curve import Curve
from wafersim.serve.events import EventLoop

if TYPE_CHECKING:
    from wafersim.serve.timeline import Observer


@dataclass(eq=False)
class Request:
    """One request's lengths and the times it was sent, got its first token and finished."""

    index: int
    input_tokens: int
    output_tokens: int
    sent_s: float = math.nan
    first_token_s: float = math.nan
    finish_s: float = math.nan


Done = Callable[[Request], None]


class _Batch:
    """Requests decoding together, each keyed by the iteration on which it finishes."""

    def __init__(self) -> None:
        self.steps = 0  # iterations run so far
        self._heap: list[tuple[int, int, Request]] = []

    def __len__(self) -> int:
        return len(self._heap)

    def add(self, req: Request, steps: int) -> None:
        heapq.heappush(self._heap, (self.steps + steps, req.index, req))

    def steps_to_first_finish(self) -> int:
        return self._heap[0][0] - self.steps

    def advance(self, steps: int) -> list[Request]:
        """Run `steps` iterations; returns the requests that finished."""
        self.steps += steps
        done = []
        while self._heap and self._heap[0][0] <= self.steps:
            done.append(heapq.heappop(self._heap)[2])
        return done


def take_prompts(waiting: deque[Request], room: int, budget_tokens: int) -> list[Request]:
    """Prompts from the head of the queue: at most `room`, within the token budget (at least one)."""
    taken: list[Request] = []
    tokens = 0
    while waiting and len(taken) < room:
        nxt = waiting[0].input_tokens
        if taken and tokens + nxt > budget_tokens:
            break
        taken.append(waiting.popleft())
        tokens += nxt
    return taken


class _Pool:
    """A set of devices with its clock, whether it is busy, and its prefill and decode seconds."""

    def __init__(self, loop: EventLoop, observer: Observer | None = None) -> None:
        self.loop, self.observer = loop, observer
        self.busy = False
        self.seconds = {"prefill": 0.0, "decode": 0.0}

    def wake(self) -> None:
        """Start iterating once every event of this instant has run (a burst batches together)."""
        if not self.busy:
            self.busy = True
            self.loop.after(0.0, self.iterate)

    def iterate(self) -> None:
        raise NotImplementedError

    def _observe(self, prompts: list[Request], step_s: float, waiting: int) -> None:
        """Tell the observer (if any) of a prefill iteration and the prompts still waiting."""
        if self.observer is not None:
            self.observer.iteration("prefill", self.loop.now, step_s, len(prompts),
                                    sum(r.input_tokens for r in prompts))
            self.observer.queue(self.loop.now, waiting)


class DecodePool(_Pool):
    """Requests with their first token decode here until their last; `on_finish` gets each."""

    def __init__(self, loop: EventLoop, curve: Curve, capacity: int, on_finish: Done, *,
                 observer: Observer | None = None) -> None:
        super().__init__(loop, observer)
        self.curve, self.capacity, self.on_finish = curve, capacity, on_finish
        self.queue: deque[Request] = deque()
        self.batch = _Batch()

    def submit(self, req: Request) -> None:
        """A request whose first token is out joins the queue (or finishes, if that was all)."""
        self._decode_next(req)
        self.wake()

    def _decode_next(self, req: Request) -> None:
        if req.output_tokens <= 1:
            self._finish(req)
        else:
            self.queue.append(req)

    def iterate(self) -> None:
        """Start the next run of iterations, or go idle."""
        while self.queue and len(self.batch) < self.capacity:
            req = self.queue.popleft()
            self.batch.add(req, req.output_tokens - 1)
        self.busy = len(self.batch) > 0
        if self.busy:
            self._decode_run()

    def _decode_run(self) -> None:
        step_s = self.curve.decode_s(len(self.batch))
        steps = self.batch.steps_to_first_finish()
        horizon_s = self.loop.next_time() - self.loop.now
        if horizon_s < steps * step_s:
            steps = max(1, math.ceil(horizon_s / step_s))
        self.seconds["decode"] += steps * step_s
        if self.observer is not None:
            self.observer.iteration("decode", self.loop.now, steps * step_s, len(self.batch),
                                    steps * len(self.batch))
            self.observer.queue(self.loop.now, len(self.queue))
        self.loop.after(steps * step_s, lambda: self._ran(steps))

    def _ran(self, steps: int) -> None:
        for req in self.batch.advance(steps):
            self._finish(req)
        self.iterate()

    def _finish(self, req: Request) -> None:
        req.finish_s = self.loop.now
        self.on_finish(req)


class MixedPool(DecodePool):
    """Prefill and decode on the same devices, prefill first."""

    def __init__(self, loop: EventLoop, prefill: Curve, decode: Curve, capacity: int,
                 budget_tokens: int, nominal_input: int, on_finish: Done, *,
                 observer: Observer | None = None) -> None:
        super().__init__(loop, decode, capacity, on_finish, observer=observer)
        self.prefill, self.budget, self.nominal = prefill, budget_tokens, nominal_input
        self.waiting: deque[Request] = deque()

    def submit(self, req: Request) -> None:
        """A new request: its prompt waits for a prefill iteration."""
        self.waiting.append(req)
        self.wake()

    def iterate(self) -> None:
        room = self.capacity - len(self.batch) - len(self.queue)
        prompts = take_prompts(self.waiting, room, self.budget)
        if not prompts:
            super().iterate()
            return
        self.busy = True
        step_s = self.prefill.prefill_s(sum(r.input_tokens for r in prompts) / self.nominal)
        self.seconds["prefill"] += step_s
        self._observe(prompts, step_s, len(self.waiting))
        self.loop.after(step_s, lambda: self._prefilled(prompts))

    def _prefilled(self, prompts: list[Request]) -> None:
        for req in prompts:
            req.first_token_s = self.loop.now
            self._decode_next(req)
        self.iterate()


class PrefillPool(_Pool):
    """Prompts only: each prefilled prompt goes to `on_done` after `handoff_s`."""

    def __init__(self, loop: EventLoop, curve: Curve, budget_tokens: int, nominal_input: int,
                 handoff_s: float, on_done: Done, *, observer: Observer | None = None) -> None:
        super().__init__(loop, observer)
        self.curve, self.budget, self.nominal = curve, budget_tokens, nominal_input
        self.handoff_s, self.on_done = handoff_s, on_done
        self.waiting: deque[Request] = deque()

    def submit(self, req: Request) -> None:
        self.waiting.append(req)
        self.wake()

    def iterate(self) -> None:
        prompts = take_prompts(self.waiting, len(self.waiting), self.budget)
        self.busy = bool(prompts)
        if not prompts:
            return
        step_s = self.curve.prefill_s(sum(r.input_tokens for r in prompts) / self.nominal)
        self.seconds["prefill"] += step_s
        self._observe(prompts, step_s, len(self.waiting))
        self.loop.after(step_s, lambda: self._prefilled(prompts))

    def _prefilled(self, prompts: list[Request]) -> None:
        for req in prompts:
            req.first_token_s = self.loop.now + self.handoff_s
            self.loop.after(self.handoff_s, partial(self.on_done, req))
        self.iterate()
