"""A request's lengths and times as the serving engine tracks them, and the engine's switches.

`Request` is mutable: pools stamp its times and preemption state as it goes. `Features` holds a
replica engine's switches (`serve/engine.py` describes what each does); `PLAIN`, all off, gives
the prefill-first schedule.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

PREEMPTIONS = ("recompute", "swap")


@dataclass(eq=False, slots=True)
class Request:
    """One request's lengths and the times it was sent, got its first token and finished."""

    index: int
    input_tokens: int
    output_tokens: int
    sent_s: float = math.nan
    first_token_s: float = math.nan
    finish_s: float = math.nan
    session: int = -1  # -1: none
    prefix_tokens: int = 0  # leading prompt tokens shared with earlier requests
    replica: int = -1
    scheduled_s: float = math.nan  # when its prompt first enters an iteration
    preemptions: int = 0
    cached_tokens: int = 0  # prompt tokens found in the prefix cache
    generated: int = 0  # output tokens made before its last preemption
    swapped: bool = False  # its KV waits in host memory

    def prompt_left(self) -> int:
        """Tokens its next prefill runs: the uncached prompt, or after a preemption by
        recompute the prompt and the tokens generated so far."""
        if self.generated:
            return self.input_tokens + self.generated
        return max(1, self.input_tokens - self.cached_tokens)

    def context(self) -> int:
        """KV tokens once its (re)prefill is done: the prompt and the tokens generated."""
        return self.input_tokens + max(1, self.generated)


Done = Callable[[Request], None]


@dataclass(frozen=True)
class Features:
    """A replica engine's switches; the defaults give the prefill-first schedule."""

    chunk_tokens: int | None = None  # tokens per iteration, decode + prompt chunks; None: off
    kv_tokens: int = 0  # KV capacity (for utilisation; paged: the admission limit)
    paged: bool = False  # admission by free blocks, preemption when they run out
    preemption: str = "recompute"  # or "swap"
    swap_s_per_token: float = 0.0  # host link seconds per KV token, each way
    prefix_cache_tokens: int = 0  # prefix cache budget; 0: off
    server_path_s: float = 0.0  # send to scheduler: HTTP, tokenisation, scheduling


PLAIN = Features()
