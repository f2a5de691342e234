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

Switches (`Features`; all off by default, which keeps the schedule above):
- chunked prefill mixed with decode (Sarathi-Serve, Agrawal et al. OSDI 2024): each iteration
  runs every decoding request's next token plus prompt chunks up to a token budget; a prompt may
  span iterations and gets its first token when its last chunk is done;
- paged KV with preemption (vLLM, Kwon et al. SOSP 2023): admission by free 16-token blocks;
  when a decode step needs a block and none is free, the most recently admitted request is
  preempted: "recompute" re-queues it for prefill of its prompt and generated tokens, "swap"
  moves its KV to host memory and back (`serve/kv.py`);
- prefix caching: a prompt's prefix already cached on this replica is not prefilled again;
- server-path latency: a fixed time from a request's send until it reaches the scheduler.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from wafersim.cost.infer.curve import Curve
from wafersim.serve.chunked import Chunker
from wafersim.serve.events import EventLoop
from wafersim.serve.kv import Kv, PrefixCache, blocks
from wafersim.serve.request import PLAIN, PREEMPTIONS, Done, Features, Request

if TYPE_CHECKING:
    from wafersim.serve.observe import Observer

__all__ = ["PLAIN", "PREEMPTIONS", "DecodePool", "Done", "Features", "MixedPool", "PrefillPool",
           "Request", "take_prompts"]


class _Batch(list[tuple[int, int, Request]]):
    """Requests decoding together, a heap keyed by the iteration on which each finishes (a list,
    so that its length is read at C speed on the hot path)."""

    def __init__(self) -> None:
        super().__init__()
        self.steps = 0  # iterations run so far

    def add(self, req: Request, steps: int) -> None:
        heapq.heappush(self, (self.steps + steps, req.index, req))

    def steps_to_first_finish(self) -> int:
        return self[0][0] - self.steps

    def advance(self, steps: int) -> list[Request]:
        """Run `steps` iterations; returns the requests that finished."""
        self.steps += steps
        done = []
        while self and self[0][0] <= self.steps:
            done.append(heapq.heappop(self)[2])
        return done

    def take_out(self, req: Request) -> int:
        """Take `req` out (a preemption); returns the iterations it had left."""
        at = next(i for i, entry in enumerate(self) if entry[2] is req)
        left = self[at][0] - self.steps
        self[at] = self[-1]
        self.pop()
        heapq.heapify(self)
        return left


def take_prompts(waiting: deque[Request], room: int, budget_tokens: int) -> list[Request]:
    """Prompts from the head of the queue: at most `room`, within the token budget (at least one)."""
    taken: list[Request] = []
    tokens = 0
    while waiting and len(taken) < room:
        nxt = waiting[0].prompt_left()
        if taken and tokens + nxt > budget_tokens:
            break
        taken.append(waiting.popleft())
        tokens += nxt
    return taken


class _Pool:
    """A set of devices with its clock, whether it is busy, and its prefill and decode seconds."""

    def __init__(self, loop: EventLoop, features: Features, observer: Observer | None) -> None:
        self.loop, self.features, self.observer = loop, features, observer
        # who wants every iteration and queue change (a timeline); a recorder only keeps KV use
        self.watcher = None if observer is None or getattr(observer, "kv_only", False) else observer
        self.busy = False
        self.seconds = {"prefill": 0.0, "decode": 0.0}
        self.waiting: deque[Request] = deque()
        self.cache = PrefixCache(features.prefix_cache_tokens) \
            if features.prefix_cache_tokens > 0 else None

    def submit(self, req: Request) -> None:
        """A new request: its prompt waits for a prefill iteration (after the server path)."""
        if self.features.server_path_s > 0:
            self.loop.after(self.features.server_path_s, partial(self._arrive, req))
        else:
            self._arrive(req)

    def _arrive(self, req: Request) -> None:
        if self.cache is not None:
            req.cached_tokens = self.cache.hit(req.session, req.prefix_tokens)
        self.waiting.append(req)
        self.wake()

    def _started(self, prompts: list[Request], kind: str, step_s: float) -> None:
        """Book a prefill pass of `prompts` lasting `step_s`."""
        now = self.loop.now
        for req in prompts:
            if req.scheduled_s != req.scheduled_s:  # nan: first time in an iteration
                req.scheduled_s = now
        if self.watcher is not None:
            self.watcher.iteration(kind, now, step_s, len(prompts),
                                    sum(r.prompt_left() for r in prompts))
            self.watcher.queue(now, len(self.waiting))

    def _cache_prompt(self, req: Request) -> None:
        """Once prefilled, a session's prompt (or a shared system prompt) is cached."""
        if self.cache is not None:
            if req.session >= 0:
                self.cache.put(req.session, req.input_tokens)
            elif req.prefix_tokens > 0:
                self.cache.put(-1, req.prefix_tokens)

    def wake(self) -> None:
        """Start iterating once every event of this instant has run (a burst batches together)."""
        if not self.busy:
            self.busy = True
            self.loop.after(0.0, self.iterate)

    def iterate(self) -> None:
        raise NotImplementedError


class DecodePool(_Pool):
    """Requests with their first token decode here until their last; `on_finish` gets each."""

    def __init__(self, loop: EventLoop, curve: Curve, capacity: int, on_finish: Done, *,
                 features: Features = PLAIN, observer: Observer | None = None,
                 horizon: Callable[[], float] | None = None) -> None:
        super().__init__(loop, features, observer)
        self.curve, self.capacity, self.on_finish = curve, capacity, on_finish
        # when its batch may next change from outside: the loop's next event, or (a replica of
        # a fleet) when a request may next reach it
        self.horizon = loop.next_time if horizon is None else horizon
        if features.paged:  # blocks, not a count of full-context requests, bound the batch
            self.capacity = max(capacity, curve.tpot_s.size)
        self.queue: deque[Request] = deque()
        self.batch = _Batch()
        self.kv = Kv(features.kv_tokens, features.paged)
        self.stall_s = 0.0  # swap transfers the next iteration waits for

    def submit(self, req: Request) -> None:
        """A request whose first token is out joins the queue (or finishes, if that was all)."""
        self._decode_next(req)
        self.wake()

    def _decode_next(self, req: Request) -> None:
        if req.output_tokens <= 1:
            if self.kv.paged:
                self.kv.used_blocks -= blocks(req.context())
            self._finish(req)
        else:
            self.queue.append(req)

    def iterate(self) -> None:
        """Start the next run of iterations, or go idle."""
        if self.queue:
            self._admit()
        self.busy = len(self.batch) > 0
        if self.busy:
            self._decode_run()

    def _admit(self) -> None:
        """Prefilled requests join the batch while it has room (swapped ones: and blocks)."""
        while self.queue and len(self.batch) < self.capacity:
            req = self.queue[0]
            if req.swapped:
                if blocks(req.context()) > self.kv.free_blocks() and len(self.batch):
                    return
                self.kv.used_blocks += blocks(req.context())
                self.stall_s += req.context() * self.features.swap_s_per_token
                req.swapped = False
            self.queue.popleft()
            self.batch.add(req, req.output_tokens - max(1, req.generated))
            self.kv.join(req, req.context(), self.batch.steps)

    def _decode_run(self) -> None:
        """Decode up to the first finish, or to the first boundary past the horizon."""
        batch, paged = self.batch, self.kv.paged
        steps = self._room_for() if paged else batch[0][0] - batch.steps
        step_s = self.curve.decode_s(len(batch))
        run_s = steps * step_s
        horizon_s = self.horizon() - self.loop.now
        if horizon_s < run_s:
            steps = max(1, math.ceil(horizon_s / step_s))
            run_s = steps * step_s
        if paged or self.stall_s:
            run_s += self._grow(steps)
        self.seconds["decode"] += run_s
        if self.observer is not None:
            self._report("decode", run_s, len(batch) * steps)
        self.loop.after(run_s, partial(self._ran, steps))

    def _room_for(self, most: int | None = None) -> int:
        """Decode steps (up to the first finish, or `most`) whose new KV blocks are free,
        preempting the most recently admitted requests until at least one is; a lone request
        runs over the capacity."""
        while True:
            steps = self.batch.steps_to_first_finish() if most is None else most
            fit = self.kv.fitting(self.batch.steps, steps)
            if fit > 0 or len(self.batch) <= 1:
                return fit or steps
            self._preempt()

    def _grow(self, steps: int) -> float:
        """Book the blocks `steps` decode steps take; returns the swap stall the run waits for."""
        if self.kv.paged:
            self.kv.used_blocks += self.kv.need(self.batch.steps, steps)
        stall, self.stall_s = self.stall_s, 0.0
        return stall

    def _preempt(self) -> None:
        """The most recently admitted request gives back its blocks (vLLM's policy)."""
        req = self.kv.newest()
        req.generated = req.output_tokens - self.batch.take_out(req)
        self.kv.leave(req, req.context(), self.batch.steps)
        req.preemptions += 1
        if self.features.preemption == "swap":
            req.swapped = True
            self.stall_s += req.context() * self.features.swap_s_per_token
            self.queue.appendleft(req)
        else:
            self.waiting.appendleft(req)
        if self.observer is not None:
            self.observer.preempted(self.loop.now, req)

    def _report(self, kind: str, run_s: float, tokens: int) -> None:
        """Tell the observer (there is one) of a run and the KV use it starts with."""
        assert self.observer is not None
        now = self.loop.now
        if self.watcher is not None:
            self.watcher.iteration(kind, now, run_s, len(self.batch), tokens)
        self.observer.kv(now, self.kv.used_tokens(self.batch.steps), self.kv.capacity_tokens)

    def _ran(self, steps: int) -> None:
        self._stepped(steps)
        self.iterate()

    def _stepped(self, steps: int) -> None:
        for req in self.batch.advance(steps):
            self.kv.leave(req, req.input_tokens + req.output_tokens, self.batch.steps)
            self._finish(req)

    def _finish(self, req: Request) -> None:
        req.finish_s = self.loop.now
        if self.cache is not None and req.session >= 0:
            self.cache.put(req.session, req.input_tokens + req.output_tokens)
        self.on_finish(req)


class MixedPool(DecodePool):
    """Prefill and decode on the same devices: prefill first, or chunked prefill with decode
    (`serve/chunked.py`)."""

    def __init__(self, loop: EventLoop, prefill: Curve, decode: Curve, capacity: int,
                 budget_tokens: int, nominal_input: int, on_finish: Done, *,
                 features: Features = PLAIN, observer: Observer | None = None,
                 horizon: Callable[[], float] | None = None) -> None:
        super().__init__(loop, decode, capacity, on_finish, features=features, observer=observer,
                         horizon=horizon)
        self.prefill, self.budget, self.nominal = prefill, budget_tokens, nominal_input
        self.chunker = None if features.chunk_tokens is None \
            else Chunker(self, features.chunk_tokens)

    submit = _Pool.submit

    def iterate(self) -> None:
        if self.chunker is not None:
            self.chunker.iterate()
            return
        prompts = self._prompts() if self.waiting else None
        if not prompts:
            DecodePool.iterate(self)
            return
        self.busy = True
        step_s = self.prefill.prefill_s(sum(r.prompt_left() for r in prompts) / self.nominal)
        self.seconds["prefill"] += step_s
        self._started(prompts, "prefill", step_s)
        self.loop.after(step_s, partial(self._prefilled, prompts))

    def _prompts(self) -> list[Request]:
        """Prefill first: waiting prompts that fit (room in the batch; paged, free blocks)."""
        if not self.kv.paged:
            room = self.capacity - len(self.batch) - len(self.queue)
            return take_prompts(self.waiting, room, self.budget)
        taken: list[Request] = []
        tokens = 0
        while self.waiting and self._fits(len(taken)):
            tokens += self.waiting[0].prompt_left()
            if taken and tokens > self.budget:
                break
            taken.append(self._start(self.waiting.popleft()))
        return taken

    def _fits(self, starting: int) -> bool:
        """Whether the head prompt may start, with `starting` others starting now."""
        running = len(self.batch) + len(self.queue) + starting
        if running >= self.capacity:
            return False
        if not self.kv.paged:
            return True
        if self.queue and self.queue[0].swapped:
            return False  # swapped-out requests come back first
        return blocks(self.waiting[0].context()) <= self.kv.free_blocks() or running == 0

    def _start(self, req: Request) -> Request:
        if self.kv.paged:
            self.kv.used_blocks += blocks(req.context())
        return req

    def _prefilled(self, prompts: list[Request]) -> None:
        now = self.loop.now
        for req in prompts:
            if req.first_token_s != req.first_token_s:  # nan: its first prefill
                req.first_token_s = now
            if self.cache is not None:
                self._cache_prompt(req)
            self._decode_next(req)
        self.iterate()


class PrefillPool(_Pool):
    """Prompts only: each prefilled prompt goes to `on_done` after `handoff_s`."""

    def __init__(self, loop: EventLoop, curve: Curve, budget_tokens: int, nominal_input: int,
                 handoff_s: float, on_done: Done, *, features: Features = PLAIN,
                 observer: Observer | None = None) -> None:
        super().__init__(loop, features, observer)
        self.curve, self.budget, self.nominal = curve, budget_tokens, nominal_input
        self.handoff_s, self.on_done = handoff_s, on_done

    def iterate(self) -> None:
        prompts = take_prompts(self.waiting, len(self.waiting), self.budget)
        self.busy = bool(prompts)
        if not prompts:
            return
        step_s = self.curve.prefill_s(sum(r.prompt_left() for r in prompts) / self.nominal)
        self.seconds["prefill"] += step_s
        self._started(prompts, "prefill", step_s)
        self.loop.after(step_s, partial(self._prefilled, prompts))

    def _prefilled(self, prompts: list[Request]) -> None:
        for req in prompts:
            req.first_token_s = self.loop.now + self.handoff_s
            self._cache_prompt(req)
            self.loop.after(self.handoff_s, partial(self.on_done, req))
        self.iterate()
