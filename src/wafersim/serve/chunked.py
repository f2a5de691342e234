"""Chunked prefill mixed with decode (Sarathi-Serve, Agrawal et al. OSDI 2024), for a `MixedPool`
whose `Features.chunk_tokens` is set.

Contract: `Chunker(pool, chunk_tokens).iterate()` replaces the pool's prefill-first iteration.
Each iteration runs every decoding request's next token plus prompt chunks up to
`chunk_tokens` in all; a prompt may span iterations (the part-done one goes first) and gets its
first token when its last chunk is done, through the pool's `_prefilled`. It uses the pool's
admission (`_admit`, `_fits`, `_start`), its paged-KV room (`_room_for`, `_grow`), its curves,
clock and seconds, and keeps only the part-done prompt itself.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wafersim.serve.engine import MixedPool
    from wafersim.serve.request import Request


class Chunker:
    """The chunked iterations of one mixed pool and its prompt part-way through prefill."""

    def __init__(self, pool: MixedPool, chunk_tokens: int) -> None:
        self.pool, self.chunk_tokens = pool, chunk_tokens
        self.partial: Request | None = None  # the prompt part-way through prefill
        self.partial_done = 0  # its tokens prefilled so far

    def iterate(self) -> None:
        """One iteration of every decoding request's next token and prompt chunks up to the
        token budget; a plain decode run when no prompt token fits."""
        pool = self.pool
        pool._admit()
        if pool.kv.paged and len(pool.batch):
            pool._room_for(1)
        taken, done, tokens = self._chunks(self.chunk_tokens - len(pool.batch))
        if not tokens:
            pool.busy = len(pool.batch) > 0
            if pool.busy:
                pool._decode_run()
            return
        pool.busy = True
        decoders = len(pool.batch)
        prefill_s = self._chunk_s(tokens)
        # Sarathi-Serve: a hybrid iteration costs about its prompt chunk's prefill plus the
        # decode batch's step (their sum: the upper bound)
        decode_s = (pool.curve.decode_s(decoders) if decoders else 0.0) + pool._grow(int(decoders > 0))
        pool.seconds["prefill"] += prefill_s
        pool.seconds["decode"] += decode_s
        pool._started(taken, "mixed", prefill_s + decode_s)
        pool.loop.after(prefill_s + decode_s, partial(self._ran, done, decoders > 0))

    def _chunks(self, budget: int) -> tuple[list[Request], list[Request], int]:
        """Prompt chunks filling `budget` tokens, the part-done prompt first: (prompts in the
        iteration, prompts it completes, tokens)."""
        pool = self.pool
        taken: list[Request] = []
        done: list[Request] = []
        tokens = 0
        while budget > 0:
            if self.partial is None:
                if not pool.waiting or not pool._fits(len(done)):
                    break
                self.partial, self.partial_done = pool._start(pool.waiting.popleft()), 0
            req = self.partial
            left = req.prompt_left() - self.partial_done
            n = min(left, budget)
            taken.append(req)
            tokens, budget = tokens + n, budget - n
            if n == left:
                done.append(req)
                self.partial = None
            else:
                self.partial_done += n
        return taken, done, tokens

    def _chunk_s(self, tokens: int) -> float:
        """Prefill seconds of `tokens` prompt tokens: below one nominal prompt, its share of
        one prompt's prefill (compute grows with tokens)."""
        prefill = self.pool.prefill
        prompts = tokens / self.pool.nominal
        return prefill.prefill_s(prompts) if prompts >= 1 else prompts * prefill.prefill_s(1.0)

    def _ran(self, done: list[Request], decoded: bool) -> None:
        if decoded:
            self.pool._stepped(1)
        self.pool._prefilled(done)
