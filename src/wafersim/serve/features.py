"""The engine switches a run asks for (`EngineOptions`) turned into a replica's `Features`.

KV capacity in tokens: the plan's KV budget, the requests layer 1 holds at full context
(`Curve.max_batch`) x the request shape's mean prompt + output; windowed attention layers keep
only their span (`ModelSpec.kv_cache_bytes`), so more requests fit and the capacity counts
tokens at the request shape's context. Swapping moves KV across the
host link, which the catalog does not list: a PCIe 5.0 x16 link per accelerator is assumed.
The server path is the serving stack's `server_path_s` (0 without a stack or a fitted value).
"""

from __future__ import annotations

from dataclasses import dataclass

from wafersim.cost.infer.curve import Curve
from wafersim.cost.infer.result import InferResult
from wafersim.cost.infer.scenario import InferScenario
from wafersim.errors import ParameterError
from wafersim.serve.engine import PREEMPTIONS, Features
from wafersim.serve.kv import swap_s_per_token

# PCIe 5.0 x16: 32 GT/s x 16 lanes, 128b/130b coding, about 63 GB/s each way (PCI-SIG base spec 5.0)
HOST_LINK_Bps = 63e9  # per accelerator (assumed: the catalog has no host-link field)
PREFIX_CACHE_SHARE = 0.2  # share of the KV capacity the prefix cache may keep (assumed)


@dataclass(frozen=True)
class EngineOptions:
    """What a run asks of each replica's engine; the defaults keep the prefill-first schedule."""

    chunked_prefill: int | None = None  # tokens per iteration; None: off
    preemption: str | None = None  # "recompute" or "swap": paged KV with preemption; None: off
    prefix_caching: bool = False

    def __post_init__(self) -> None:
        if self.chunked_prefill is not None and self.chunked_prefill < 1:
            raise ParameterError("chunked_prefill", self.chunked_prefill, "{chunked_prefill} must "
                                 "be at least 1 token per iteration", allowed=">= 1")
        if self.preemption is not None and self.preemption not in PREEMPTIONS:
            raise ParameterError("preemption", self.preemption, "{preemption!r} is not a "
                                 f"preemption mode; use {' or '.join(PREEMPTIONS)}",
                                 allowed=", ".join(PREEMPTIONS))

    @property
    def any(self) -> bool:
        return self.chunked_prefill is not None or self.preemption is not None or self.prefix_caching

    def notes(self) -> tuple[str, ...]:
        """What the switches change, as assumptions of a run."""
        notes = []
        if self.chunked_prefill is not None:
            notes.append(f"chunked prefill (Sarathi-Serve): {self.chunked_prefill:,} tokens per "
                         "iteration, decoding requests first, prompt chunks fill the rest")
        if self.preemption is not None:
            notes.append("paged KV cache of 16-token blocks; when blocks run out the newest "
                         f"request is preempted ({self.preemption})")
        if self.prefix_caching:
            notes.append("prefix caching: a session's cached prompt tokens are not prefilled again")
        return tuple(notes)


def kv_tokens(sc: InferScenario, decode: Curve) -> int:
    """The plan's KV capacity in tokens (see the module notes)."""
    return int(decode.max_batch) * (sc.serving.input_tokens + sc.serving.output_tokens)


def features_for(options: EngineOptions, sc: InferScenario, point: InferResult,
                 decode: Curve) -> Features:
    """A replica's `Features` for `options` on the plan `point` (its decode curve `decode`)."""
    if options.any and sc.split is not None:
        raise ParameterError("disaggregate", sc.split, "chunked prefill, preemption and prefix "
                             "caching are modelled on one pool doing both; drop {disaggregate.flag}")
    capacity = kv_tokens(sc, decode)
    swap = 0.0
    if options.preemption == "swap":
        swap = _swap_s_per_token(sc, point, capacity)
    stack = sc.serving.stack
    return Features(chunk_tokens=options.chunked_prefill, kv_tokens=capacity,
                    paged=options.preemption is not None,
                    preemption=options.preemption or "recompute", swap_s_per_token=swap,
                    prefix_cache_tokens=int(PREFIX_CACHE_SHARE * capacity) * options.prefix_caching,
                    server_path_s=0.0 if stack is None else stack.server_path)


def _swap_s_per_token(sc: InferScenario, point: InferResult, capacity: int) -> float:
    node = sc.system.node
    host = None if node is None or node.host_memory_bytes is None else node.host_memory_bytes.value
    if host is None:
        raise ParameterError("preemption", "swap", f"{{preemption!r}} moves KV to host memory; "
                             f"{sc.system.id} lists none; use recompute", allowed="recompute")
    kv_bytes = point.memory.get("kv_cache", 0.0) * point.devices
    per_token = kv_bytes / max(1, point.batch * (sc.serving.input_tokens + sc.serving.output_tokens))
    return swap_s_per_token(per_token, HOST_LINK_Bps * point.devices)
