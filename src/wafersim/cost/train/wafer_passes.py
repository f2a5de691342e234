"""One weight pass of a micro-batch on a wafer, under each home for its activations.

Documented (Cerebras): a micro-batch's activations stay on the wafer while its weights stream
layer by layer ("activations stay present on wafer", ALCF SC24 tutorial; "we store weights in
external memory and activations in on-chip memory", Cerebras blog quoted in HN 38459509), and a
per-system batch too large for device memory is split into micro-batches whose gradients are
accumulated (Cerebras training docs, "Optimize performance with automatic microbatching",
`micro_batch_size`). Every layer's checkpoints of a micro-batch then share the SRAM with the
weight buffer, which caps the sequences per weight pass (`sram`).

Not documented: CS-3 clusters list "activation servers" (ALCF: 4 for 4 CS-3; Model Zoo's
`num_act_servers`, "activation servers to use per device") without saying what they hold. The
alternative (`offload`) assumes they hold the checkpoints: each layer's stored activations leave
the wafer over the system I/O in the forward pass and come back in the backward pass, sharing the
ingress with the weights; SRAM holds one layer's working set only. Recompute (Model Zoo
`recompute_api.py`: checkpoints kept, the rest recomputed) sets what is stored: `full` keeps the
layer input and recomputes the layer's forward; `none` keeps every activation; `selective` equals
`none` here (attention is fused: no scores are kept).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from wafersim.models.spec import ModelSpec
from wafersim.ops.memory import ADAM_FLOPS_PER_PARAM, activation_bytes_per_token


@dataclass(frozen=True)
class Layer:
    """One average layer of one micro-batch, seconds: compute, and the wafer's I/O."""

    fwd: float
    bwd: float
    recompute: float
    stream: float  # the layer's weights in (and its gradients out), one direction
    act_out: float = 0.0  # stored activations leaving in the forward pass (offload)
    ingress: float = 0.0  # weights + stored activations entering in the backward pass (offload)
    refill_latency_s: float = 0.0  # a unit's weights from request to arrival beyond the stream
    buffers: int = 2  # weight units the wafer holds at once (catalog node)

    def _period_s(self, compute_s: float) -> float:
        return period_s(compute_s, self.stream, self.refill_latency_s, self.buffers)

    @property
    def forward_s(self) -> float:
        return max(self._period_s(self.fwd), self.act_out)

    @property
    def backward_s(self) -> float:
        return max(self._period_s(self.bwd + self.recompute), self.ingress)

    @property
    def exposed_stream_s(self) -> float:
        """Weight streaming left uncovered by compute, forward and backward."""
        back = self.bwd + self.recompute
        return self._period_s(self.fwd) - self.fwd + self._period_s(back) - back

    @property
    def exposed_activation_io_s(self) -> float:
        """Activation I/O left uncovered by compute and the weight stream (offload only)."""
        back = self.bwd + self.recompute
        return (self.forward_s - self._period_s(self.fwd)
                + self.backward_s - self._period_s(back))


def unit_starts_s(compute_s: Sequence[float], stream_s: Sequence[float], latency_s: float,
                  buffers: int) -> list[float]:
    """When each unit of one weight stream starts computing on a wafer holding `buffers` units.

    Unit i waits for the unit before it to finish (compute), for its own weights to follow the
    previous unit's down the link (stream), and for its refill: it is requested only once the
    unit `buffers` back has finished and freed its buffer, then streams and crosses the tree."""
    starts: list[float] = []
    for i, s in enumerate(stream_s):
        freed = starts[i - buffers] + compute_s[i - buffers] if i >= buffers else 0.0
        refill = freed + s + latency_s
        if not starts:
            starts.append(refill)
            continue
        # per unit max(compute, stream, latency-bound refill): B-slot prefetch, MemoryX glossary
        starts.append(max(starts[-1] + compute_s[i - 1], starts[-1] + s, refill))
    return starts


def period_s(compute_s: float, stream_s: float, latency_s: float, buffers: int) -> float:
    """Seconds per unit of a long run of equal units: the cycle mean of `unit_starts_s`, where
    `buffers` starts span one unit's compute, its successor's stream and the tree latency."""
    # cycle mean of a max-plus recurrence: Baccelli, Cohen, Olsder & Quadrat 1992, ch. 3
    return max(compute_s, stream_s, (compute_s + stream_s + latency_s) / buffers)


def drain_s(compute_s: Sequence[float], gradient_s: Sequence[float], update_s: Sequence[float],
            latency_s: float) -> float:
    """Seconds from the end of the last backward unit's compute until MemoryX has applied every
    update: unit k's gradient leaves once its compute is done, streams up, crosses the tree, and
    MemoryX applies the updates in order, so the drain is the largest over k of
    g_k + latency + sum(u_j, j >= k) - sum(c_j, j > k) (units in backward order)."""
    drain = updates = later = 0.0
    for c, g, u in zip(reversed(compute_s), reversed(gradient_s), reversed(update_s), strict=True):
        updates += u
        drain = max(drain, g + latency_s + updates - later)
        later += c
    return drain


@dataclass(frozen=True)
class Pass:
    """Where the activations live, the recompute mode, and the micro-batches that follow."""

    activations: str  # sram or offload
    recompute: str
    cap: int  # sequences the home admits per micro-batch
    micro_batch: float  # sequences per micro-batch (an even share of the system's)
    micro_batches: int
    stored_bytes_per_token: float  # per layer: what the backward pass needs kept
    working_bytes_per_token: float  # per layer: one layer's activations while it computes


def stored_bytes_per_token(model: ModelSpec, recompute: str) -> float:
    return activation_bytes_per_token(model, recompute)


def cap_sequences(model: ModelSpec, activations: str, recompute: str, free_bytes: float,
                  seq_len: int) -> int:
    """Sequences per micro-batch that fit the SRAM left after the weight buffer: every layer's
    stored activations (sram), or one layer's working set plus the next layer's stored ones
    prefetched (offload)."""
    stored = stored_bytes_per_token(model, recompute)
    per_token = (stored * model.n_layers if activations == "sram"
                 else activation_bytes_per_token(model, "none") + stored)
    return int(max(free_bytes, 0.0) // (per_token * seq_len))


def plan_pass(model: ModelSpec, activations: str, recompute: str, free_bytes: float, seqs: int,
              seq_len: int) -> Pass | None:
    """The micro-batches of `seqs` sequences under one home and recompute mode; None if not even
    one sequence fits."""
    cap = cap_sequences(model, activations, recompute, free_bytes, seq_len)
    if cap < 1:
        return None
    n_micro = math.ceil(seqs / min(cap, seqs))
    return Pass(activations, recompute, cap, seqs / n_micro, n_micro,
                stored_bytes_per_token(model, recompute),
                activation_bytes_per_token(model, "none"))


def with_io(layer: Layer, p: Pass, seq_len: int, io_Bps: float, weight_bytes: float) -> Layer:
    """The layer with the offloaded activations' I/O: out in the forward pass (egress, beside the
    gradients of nothing yet), in during the backward pass, sharing the ingress with the weights."""
    if p.activations == "sram":
        return layer
    act = p.stored_bytes_per_token * p.micro_batch * seq_len
    return replace(layer, act_out=act / io_Bps,
                   ingress=max(layer.stream, (weight_bytes + act) / io_Bps))


def offwafer_bytes(model: ModelSpec, p: Pass, seq_len: int) -> float:
    """Activation memory one system's micro-batch holds off the wafer (offload), bytes."""
    if p.activations == "sram":
        return 0.0
    return p.stored_bytes_per_token * model.n_layers * p.micro_batch * seq_len


def optimizer_layer_s(stream_s: float, layer_params: float, optimizer_flops_per_s: float | None) -> float:
    """MemoryX's update of one layer: at the gradient stream rate (its storage and I/O 'can match
    or exceed the I/O bandwidth of a CS-2', glossary), or slower where its compute is catalogued."""
    if not optimizer_flops_per_s:
        return stream_s
    return max(stream_s, ADAM_FLOPS_PER_PARAM * layer_params / optimizer_flops_per_s)


def optimizer_exposed_s(update_s: float, backward_s: float, n_layers: int,
                        gradient_s: float = 0.0) -> float:
    """Update time not hidden: layers are updated as their gradients arrive during the last
    micro-batch's backward pass; the first layer's gradient and update sit at the iteration
    boundary (the only exposed bubble, MemoryX glossary), plus any backlog when an update is
    slower than a layer's backward pass: `drain_s` over equal layers, its tree latency counted
    in the tree fill, i.e. gradient + update + (n - 1) * max(0, update - backward)."""
    n = max(n_layers, 1)
    return drain_s([backward_s] * n, [gradient_s] * n, [update_s] * n, 0.0)


def breakdown(layer: Layer, n_layers: int, n_micro: int, head_s: float, tree_fill_s: float,
              optimizer_s: float) -> dict[str, float]:
    """Seconds per step; the parts add up to the step."""
    parts = {
        "compute": n_micro * (n_layers * (layer.fwd + layer.bwd) + 3 * head_s),
        "recompute": n_micro * n_layers * layer.recompute,
        # the first layer's weights of each pass (forward, backward) cannot stream ahead
        "exposed_weight_streaming": n_micro * (n_layers * layer.exposed_stream_s + 2 * layer.stream),
        "exposed_swarmx_tree": n_micro * tree_fill_s,  # broadcast + reduce pipeline fill
        "optimizer": optimizer_s,
    }
    if layer.act_out or layer.ingress:
        parts["exposed_activation_io"] = n_micro * n_layers * layer.exposed_activation_io_s
    return parts
