"""KV cache bookkeeping of one replica: the tokens its decoding requests hold, paged blocks, and
the prefix cache.

- `Kv`: the running (decoding) requests' KV tokens as counters, so a run of decode steps costs
  O(1) whatever the batch: each request's context grows by one token a step, so the total is
  sum(context at join - step at join) + requests x step. Paged (vLLM's PagedAttention, Kwon et
  al. SOSP 2023), each request holds ceil(context / 16) blocks from the start of its prefill; a
  decode step needs a new block for each request whose context fills its last block. Requests
  are counted by (context - step) mod 16, so the blocks a run of steps needs cost O(16).
- `PrefixCache`: prompt prefixes kept per session (key -1: a shared system prompt), least
  recently used first out, within a token budget.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any

BLOCK_TOKENS = 16  # vLLM's default --block-size


def blocks(tokens: int) -> int:
    """Blocks holding `tokens` KV tokens."""
    return -(-tokens // BLOCK_TOKENS)


class Kv:
    """KV tokens of the running requests; paged: their blocks and admission order."""

    def __init__(self, capacity_tokens: int, paged: bool) -> None:
        self.capacity_tokens, self.paged = capacity_tokens, paged
        self.total_blocks = capacity_tokens // BLOCK_TOKENS
        self.used_blocks = 0
        self._base = 0  # sum over running requests of (context at join - step at join)
        self._phase = [0] * BLOCK_TOKENS  # running requests by (context - step) mod 16
        self.order: dict[Any, int] = {}  # paged: running requests by admission -> phase

    def used_tokens(self, step: int) -> int:
        """KV tokens held: paged, whole blocks; else the running requests' contexts."""
        if self.paged:
            return self.used_blocks * BLOCK_TOKENS
        return self._base + len(self.order) * step

    def free_blocks(self) -> int:
        return self.total_blocks - self.used_blocks

    def join(self, req: Any, context: int, step: int) -> None:
        """`req` starts decoding at `step` with `context` tokens."""
        self._base += context - step
        phase = (context - step) % BLOCK_TOKENS
        self._phase[phase] += 1
        self.order[req] = phase

    def leave(self, req: Any, context: int, step: int) -> None:
        """`req` stops decoding at `step` with `context` tokens; paged, its blocks come free."""
        self._base -= context - step
        self._phase[self.order.pop(req)] -= 1
        if self.paged:
            self.used_blocks -= blocks(context)

    def need(self, step: int, steps: int) -> int:
        """New blocks `steps` decode steps from `step` take (a request needs one when its
        context is a whole number of blocks)."""
        per_cycle = len(self.order)
        cycles, rest = divmod(steps, BLOCK_TOKENS)
        return cycles * per_cycle + sum(self._phase[-(step + k) % BLOCK_TOKENS] for k in range(rest))

    def fitting(self, step: int, steps: int) -> int:
        """The most of `steps` decode steps from `step` whose new blocks are free."""
        free, per_cycle = max(0, self.free_blocks()), len(self.order)
        n = BLOCK_TOKENS * min(steps // BLOCK_TOKENS, free // per_cycle if per_cycle else steps)
        free -= n // BLOCK_TOKENS * per_cycle
        while n < steps:
            want = self._phase[-(step + n) % BLOCK_TOKENS]
            if want > free:
                break
            free, n = free - want, n + 1
        return n

    def newest(self) -> Any:
        """The most recently admitted running request."""
        return next(reversed(self.order))


class PrefixCache:
    """Prompt prefixes by key (session, or -1 for a shared system prompt), LRU within `tokens`."""

    def __init__(self, tokens: int) -> None:
        self.capacity_tokens, self.held = tokens, 0
        self._entries: OrderedDict[int, int] = OrderedDict()

    def hit(self, key: int, prefix_tokens: int) -> int:
        """Tokens of a `prefix_tokens`-long prefix of `key` already cached."""
        have = self._entries.get(key)
        if have is None or prefix_tokens <= 0:
            return 0
        self._entries.move_to_end(key)
        return min(have, prefix_tokens)

    def put(self, key: int, tokens: int) -> None:
        """Keep `tokens` tokens of `key` (the longest seen), evicting least recently used."""
        if tokens > self.capacity_tokens:
            return
        old = self._entries.pop(key, 0)
        tokens = max(tokens, old)
        self.held += tokens - old
        self._entries[key] = tokens
        while self.held > self.capacity_tokens:
            _, gone = self._entries.popitem(last=False)
            self.held -= gone


def swap_s_per_token(kv_bytes_per_token: float, host_Bps: float) -> float:
    """Seconds to move one token's KV across the host link one way."""
    return kv_bytes_per_token / host_Bps if host_Bps > 0 and math.isfinite(host_Bps) else 0.0
