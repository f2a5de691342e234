"""Training on wafer-scale clusters by weight streaming (Cerebras CS-2/CS-3 + MemoryX + SwarmX).

Weights live in MemoryX. For each micro-batch, every layer's weights are broadcast through the
SwarmX tree to all N systems for the forward pass and again for the backward pass; gradients
stream back and are summed in the tree at line rate; MemoryX runs the optimizer (Cerebras docs,
"Weight Streaming Execution"; glossary pages MemoryX and SwarmX). A system computes layer l while
layer l+1 streams, so each layer costs max(compute, stream); when the per-system batch shrinks
(more systems, same global batch) compute falls below the stream time and adding systems stops
helping: the knee (`cost/train/knee.py` finds it on a scaling curve). The per-layer max() is the
overlap those pages describe, not a published equation.

Where a micro-batch's activations live, and so how many sequences share a weight pass, is the
choice `activations` (`cost/train/wafer_passes.py`): `sram` as Cerebras documents it, `offload`
(activation servers, not documented as a training mechanism), or `auto`, the faster feasible;
recompute `none`/`full` (or `auto`) sets what is kept. Every candidate is evaluated; the result
reports the chosen one and the others as alternatives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from wafersim.catalog.schema import Quantity
from wafersim.catalog.system import System
from wafersim.cost.kernels.collectives import Link, tree_broadcast_s, tree_reduce_s
from wafersim.cost.train import wafer_passes as wp
from wafersim.cost.train.evaluation import evaluation_of
from wafersim.cost.train.production import production
from wafersim.cost.train.result import TrainResult
from wafersim.cost.train.scenario import TrainWorkload
from wafersim.cost.train.wafer_notes import mechanism_notes
from wafersim.errors import (
    ConfigError,
    InfeasibleParameter,
    InfeasiblePlan,
    ParameterError,
    literal,
)
from wafersim.models.spec import RECOMPUTE, ModelSpec, bytes_per_param
from wafersim.ops.graph import Graph, lower
from wafersim.ops.memory import ADAM_FLOPS_PER_PARAM, activation_bytes_per_token, training_state
from wafersim.plan.train import ACTIVATIONS, StreamingPlan


@dataclass(frozen=True)
class Wafer:
    """The numbers of one wafer system the model needs, read from the catalog."""

    peak_flops_per_s: float  # dense, in the training precision
    efficiency: float  # achieved share of peak on the layer matmuls
    sram_bytes: float  # usable for activations and weight buffers
    stream_Bps: float  # weight/gradient stream per system, per direction
    tree_fill_s: float  # SwarmX broadcast + reduce latency to fill the tree once each
    memory_service_bytes: float
    assumptions: tuple[str, ...]
    io_Bps: float = 0.0  # the system's own I/O, per direction (activations offloaded use it)
    activation_memory: Quantity | None = None  # None: no activation servers catalogued
    optimizer_flops_per_s: float | None = None  # MemoryX update compute; None: not catalogued
    tree_levels: int = 0
    tree_latency_s: float = 0.0  # SwarmX broadcast of no payload: a weight refill's latency
    weight_buffers: int = 2  # layers' weights the wafer holds at once (catalog node)


def _q(q: Quantity | None, what: str, system: System) -> float:
    if q is None or q.value is None:
        raise ConfigError(f"{system.id}: {what} is unknown in the catalog; add it to train on it")
    return float(q.value)


def wafer_of(system: System, precision: str) -> Wafer:
    """Read peak, efficiency, SRAM, stream bandwidth and tree shape from the catalog."""
    chip, notes = system.chip, []
    peak = chip.peak_dense_flops_per_s.get(precision)  # type: ignore[call-overload]  # StrEnum keys match plain str
    if peak is None:
        known = " or ".join(str(p) for p, q in chip.peak_dense_flops_per_s.items()
                            if q.value is not None and p != "fp32") or "none"
        raise ParameterError("precision", precision, f"{literal(chip.id)} has no dense "
                             f"{literal(precision)} peak; use {{precision.flag}} {known}",
                             allowed=known)
    usable = chip.wafer.sram_usable_fraction if chip.wafer else None
    sram = _q(chip.sram_bytes, "SRAM", system) * (usable.value if usable and usable.value else 1.0)
    io = system.node.io_bandwidth_Bps if system.node else None
    streams = [q.value for q in (io,
                                 system.memory_service.bandwidth_Bps if system.memory_service else None,
                                 system.broadcast_reduce.bandwidth_per_device_Bps
                                 if system.broadcast_reduce else None) if q and q.value]
    if not streams:
        raise ConfigError(f"{system.id}: no I/O, MemoryX or SwarmX bandwidth in the catalog")
    down, up, levels, tree_notes = tree_latency_s(system)
    buffers = _q(system.node.weight_buffers_count if system.node else None,
                 "the number of weight buffers (weight_buffers_count)", system)
    notes += tree_notes
    if system.memory_service is None:
        raise ConfigError(f"{system.id} names no memory service (MemoryX); weight streaming needs one")
    notes.append(f"dense {precision} peak {peak.value:.3g} FLOP/s per system (PEs x SIMD x clock), "
                 "not the sparse marketing figure")
    update = system.memory_service.optimizer_flops_per_s
    return Wafer(peak_flops_per_s=_q(peak, "dense peak", system),
                 efficiency=_q(system.architecture.matmul_efficiency_fraction
                               if system.architecture else None,
                               "the wafer architecture's matmul efficiency", system),
                 sram_bytes=sram, stream_Bps=min(streams), tree_fill_s=down + up,
                 memory_service_bytes=_q(system.memory_service.capacity_bytes, "MemoryX size", system),
                 assumptions=tuple(notes), io_Bps=float(io.value) if io and io.value else min(streams),
                 activation_memory=system.node.activation_memory_bytes if system.node else None,
                 optimizer_flops_per_s=update.value if update else None, tree_levels=levels,
                 tree_latency_s=down, weight_buffers=int(buffers))


def _family(system: System) -> str:
    return system.architecture.id if system.architecture else system.chip.id


def tree_latency_s(system: System) -> tuple[float, float, int, list[str]]:
    """Latency of one broadcast down and of one reduce up the SwarmX tree (no payload), its
    depth."""
    tree = system.broadcast_reduce
    if tree is None or system.devices == 1:
        return 0.0, 0.0, 0, []
    link = Link.from_network(tree)
    fan = int(tree.fan_out_count.value) if tree.fan_out_count and tree.fan_out_count.value else 2
    n = system.devices
    return (float(tree_broadcast_s(0.0, n, link, fan)), float(tree_reduce_s(0.0, n, link, fan)),
            math.ceil(math.log(n, fan) - 1e-9), list(link.assumptions))


def _largest_matrix_params(graph: Graph) -> float:
    return max(op.n * op.k / op.fused for op in graph.ops if op.n and op.k)


def _check_capacity(model: ModelSpec, w: Wafer, precision: str, graph: Graph) -> dict[str, float]:
    state = model.params_total * training_state(precision).total
    if state > w.memory_service_bytes:
        raise InfeasiblePlan(f"{model.id} needs {state / 1e12:.1f} TB of weights and optimizer "
                             f"state; the MemoryX holds {w.memory_service_bytes / 1e12:.1f} TB")
    matrix = _largest_matrix_params(graph) * bytes_per_param(precision)
    if matrix > w.sram_bytes:  # one kernel's weights at a time on the wafer (execution-mode docs)
        raise InfeasiblePlan(f"{model.id}'s largest weight matrix ({matrix / 1e9:.1f} GB) does not "
                             f"fit in {w.sram_bytes / 1e9:.1f} GB of usable wafer SRAM")
    return {"memory_service_state": state, "weight_buffers": matrix}


def _layer_times(graph: Graph, w: Wafer, precision: str, sparsity: float, recompute: str,
                 n_micro: int) -> tuple[wp.Layer, float]:
    """Per average layer of one micro-batch (an even share of `graph`): forward, backward,
    recompute compute and the layer's stream time; and the head's forward compute. The one
    place compute time comes from."""
    layers = graph.model.n_layers * n_micro
    rate = w.peak_flops_per_s * w.efficiency
    gemm = sum(op.flops * op.repeat for op in graph.layer_ops() if op.kind != "attention")
    attn = sum(op.flops * op.repeat for op in graph.layer_ops() if op.kind == "attention")
    fwd = (gemm * (1.0 - sparsity) + attn) / layers / rate  # sparsity skips zero weights only
    recompute_s = fwd if recompute == "full" else 0.0
    stream = _layer_weight_bytes(graph, precision) / w.stream_Bps
    head = sum(op.flops for op in graph.ops if not op.layer) / rate / n_micro
    return wp.Layer(fwd, 2.0 * fwd, recompute_s, stream, refill_latency_s=w.tree_latency_s,
                    buffers=w.weight_buffers), head


def _layer_weight_bytes(graph: Graph, precision: str) -> float:
    weights = sum(op.weight_params * op.repeat for op in graph.layer_ops()) / graph.model.n_layers
    return weights * bytes_per_param(precision)


def check_choices(activations: str, recompute: str) -> None:
    """One structured error for an unknown activations home or recompute mode."""
    homes = "auto, " + ", ".join(ACTIVATIONS)
    if activations not in ("auto", *ACTIVATIONS):
        raise ParameterError("activations", activations, "{activations!r} is not a home for the "
                             f"activations; use {homes}", allowed=homes)
    if recompute not in ("auto", *RECOMPUTE):
        raise ParameterError("recompute", recompute, "{recompute!r} is not a recompute mode; use "
                             "auto, " + ", ".join(RECOMPUTE),
                             allowed="auto, " + ", ".join(RECOMPUTE))


def train_wafer(model: ModelSpec, system: System, work: TrainWorkload, sparsity: float = 0.0,
                recompute: str = "auto", activations: str = "sram") -> TrainResult:
    """Step time, throughput and breakdown of weight-streaming training on `system`: the fastest
    feasible of the activations homes and recompute modes asked for ("auto": all of them)."""
    check_choices(activations, recompute)
    if not 0.0 <= sparsity < 1.0:
        raise ConfigError(f"weight sparsity {sparsity} must be in [0, 1)")
    n = system.devices
    if work.global_batch < n:
        raise InfeasibleParameter("global_batch", work.global_batch, f"global batch "
                                  f"{work.global_batch} is smaller than {n} systems; each system "
                                  "needs at least one sequence (raise {global_batch.flag})",
                                  allowed=f">= {n}")
    w = wafer_of(system, work.precision)
    homes = ACTIVATIONS if activations == "auto" else (activations,)
    if "offload" in homes and w.activation_memory is None:
        if activations == "offload":
            raise ParameterError("activations", activations, f"{literal(system.id)} catalogues no "
                                 "activation servers to offload to (activation_memory_TB)",
                                 allowed="sram")
        homes = ("sram",)
    memory = _check_capacity(model, w, work.precision, lower(model, "train", 1, work.seq_len))
    runs = _candidates(model, system, work, w, sparsity, memory, recompute)
    asked = [r for p, r in runs if p.activations in homes
             and (recompute == "auto" or p.recompute == recompute)]
    if not asked:
        raise _infeasible(model, w, work, memory, homes[0])
    fastest = min(r.step_time_s for r in asked)  # ties (to rounding): sram before offload, none
    best = next(r for r in asked if r.step_time_s <= fastest * (1 + 1e-9))  # before full
    others = sorted((r for _, r in runs if r is not best), key=lambda r: r.step_time_s)
    notes = mechanism_notes(best, others, activations, recompute, work.seq_len, w.io_Bps)
    return replace(best, assumptions=best.assumptions + notes,
                   alternatives=tuple(r.summary() for r in others))


def _candidates(model: ModelSpec, system: System, work: TrainWorkload, w: Wafer, sparsity: float,
                memory: dict[str, float], recompute: str) -> list[tuple[wp.Pass, TrainResult]]:
    """Every activations home and recompute mode the system admits that fits, costed;
    `selective` only when asked for (it equals `none` on a wafer)."""
    n = system.devices
    seqs = math.ceil(work.global_batch / n)
    free = w.sram_bytes - memory["weight_buffers"]
    graph = lower(model, "train", seqs, work.seq_len)  # the system's whole share of the batch
    homes = ACTIVATIONS if w.activation_memory is not None else ("sram",)
    modes = ("none", "full", *(() if recompute in ("auto", "none", "full") else (recompute,)))
    passes = [wp.plan_pass(model, home, mode, free, seqs, work.seq_len)
              for home in homes for mode in modes]
    return [(p, _cost(model, system, work, w, sparsity, memory, graph, p)) for p in passes
            if p is not None and _fits_offwafer(model, w, p, work.seq_len)]


def _fits_offwafer(model: ModelSpec, w: Wafer, p: wp.Pass, seq_len: int) -> bool:
    cap = w.activation_memory.value if w.activation_memory else None
    return cap is None or wp.offwafer_bytes(model, p, seq_len) <= cap


def _cost(model: ModelSpec, system: System, work: TrainWorkload, w: Wafer, sparsity: float,
          memory: dict[str, float], graph: Graph, p: wp.Pass) -> TrainResult:
    base, head = _layer_times(graph, w, work.precision, sparsity, p.recompute, p.micro_batches)
    layer = wp.with_io(base, p, work.seq_len, w.io_Bps, _layer_weight_bytes(graph, work.precision))
    layer_params = _layer_weight_bytes(graph, work.precision) / bytes_per_param(work.precision)
    update = wp.optimizer_layer_s(layer.stream, layer_params, w.optimizer_flops_per_s)
    optimizer = wp.optimizer_exposed_s(update, layer.backward_s, model.n_layers, layer.stream)
    parts = wp.breakdown(layer, model.n_layers, p.micro_batches, head, w.tree_fill_s, optimizer)
    return _result(model, system, work, w, parts, memory, p, sparsity, update)


def _infeasible(model: ModelSpec, w: Wafer, work: TrainWorkload, memory: dict[str, float],
                home: str) -> InfeasibleParameter:
    free = w.sram_bytes - memory["weight_buffers"]
    full = wp.stored_bytes_per_token(model, "full") * work.seq_len
    need = full * model.n_layers if home == "sram" else full + (
        activation_bytes_per_token(model, "none") * work.seq_len)
    what = "layer inputs only" if home == "sram" else "one layer's working set"
    return InfeasibleParameter("seq_len", work.seq_len, f"the activations of one {work.seq_len}-"
                               f"token sequence of {literal(model.id)} ({need / 1e9:.1f} GB, {what}) "
                               f"exceed the {max(free, 0) / 1e9:.1f} GB of wafer SRAM left after "
                               "the weight buffer; use a shorter {seq_len.flag}")


def _result(model: ModelSpec, system: System, work: TrainWorkload, w: Wafer, breakdown: dict[str, float],
            memory: dict[str, float], p: wp.Pass, sparsity: float, update_s: float) -> TrainResult:
    n = system.devices
    step = sum(breakdown.values())
    tokens_step = work.global_batch * work.seq_len
    model_flops = model.training_flops_per_token(work.seq_len) * tokens_step
    steps = work.tokens / tokens_step
    evaluated, eval_notes = evaluation_of(model, work, step, model_flops / tokens_step)
    eco, lost = production(system, steps * step + evaluated, breakdown, float(model.params_total))
    tokens_mb = p.micro_batch * work.seq_len
    on_wafer = (p.stored_bytes_per_token * model.n_layers if p.activations == "sram"
                else p.working_bytes_per_token + p.stored_bytes_per_token) * tokens_mb
    memory = memory | {"sram_activations": on_wafer, "sram_usable": w.sram_bytes,
                       "offwafer_activations": wp.offwafer_bytes(model, p, work.seq_len)}
    plan = StreamingPlan(n, math.ceil(work.global_batch / n), p.micro_batch, p.micro_batches,
                         p.recompute, sparsity, work.precision,
                         system.memory_service.id if system.memory_service else None,
                         p.activations, p.cap)
    notes = w.assumptions + eco.assumptions + lost.notes + (
        f"matmul efficiency {w.efficiency:.2f} of dense peak (the {_family(system)} architecture's, "
        "shared by its generations and fitted jointly on their published runs)",
        f"weights stream at {w.stream_Bps / 1e9:.0f} GB/s per system, once per pass per micro-batch",
        "layers averaged: per-layer compute and weights are the model's mean over its layers",
        _refill_note(w),
        _optimizer_note(w, update_s, breakdown["optimizer"]),
        _tree_note(w, n),
    )
    return TrainResult(
        model=model.id, system=system.id, devices=n, step_time_s=step, tokens_per_step=tokens_step,
        steps=steps, mfu=model_flops / step / (n * w.peak_flops_per_s),
        flops_per_s_per_device=model_flops / step / n,
        memory_bytes_per_device=memory["sram_activations"] + memory["weight_buffers"],
        energy_J=eco.energy_J, cost_usd=eco.cost_usd, breakdown=breakdown, plan=plan,
        assumptions=notes + eval_notes, memory=memory, economy=eco, interruptions=lost,
        evaluation_s=evaluated)


def _optimizer_note(w: Wafer, update_s: float, exposed_s: float) -> str:
    how = (f"its catalogued {w.optimizer_flops_per_s:.3g} FLOP/s at {ADAM_FLOPS_PER_PARAM:g} "
           "FLOP per parameter (Adam, assumed) or the gradient stream, the slower"
           if w.optimizer_flops_per_s else "the gradient stream rate (MemoryX compute not "
           "catalogued; assumed to keep pace, as its I/O 'can match or exceed' the system's)")
    return (f"MemoryX updates a layer in {update_s * 1e3:.3g} ms at {how}; updates overlap the "
            "backward pass; only the first layer's gradient stream and update are exposed at the "
            f"iteration boundary ({exposed_s * 1e3:.3g} ms per step)")


def _refill_note(w: Wafer) -> str:
    return (f"the wafer holds {w.weight_buffers} layers' weights: a layer is requested once the "
            f"layer {w.weight_buffers} back has finished, so a layer costs max(compute, stream, "
            f"(compute + stream + {w.tree_latency_s * 1e6:.3g} us of tree latency) / "
            f"{w.weight_buffers})")


def _tree_note(w: Wafer, n: int) -> str:
    if n == 1:
        return "one system: no SwarmX tree to fill"
    return (f"SwarmX tree of depth {w.tree_levels} (log of {n} systems): each micro-batch fills "
            f"a broadcast and a reduce once, {w.tree_fill_s * 1e6:.3g} us")
