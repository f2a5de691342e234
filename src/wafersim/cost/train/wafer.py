"""Training on wafer-scale clusters by weight streaming (Cerebras CS-2/CS-3 + MemoryX + SwarmX).

Weights live in MemoryX. For each micro-batch, every layer's weights are broadcast through the
SwarmX tree to all N systems for the forward pass and again for the backward pass; gradients
stream back and are summed in the tree at line rate; MemoryX runs the optimizer. Activations stay
in wafer SRAM: the sequences that fit set the micro-batch, the rest is gradient accumulation.
A system computes layer l while layer l+1 streams, so each layer costs max(compute, stream);
when the per-system batch shrinks (more systems, same global batch) compute falls below the
stream time and adding systems stops helping: the knee. Sources: Cerebras weight-streaming docs
and the MemoryX/SwarmX glossary pages (see the cerebras catalog sources); the per-layer max() is
the overlap model those pages describe, not a published equation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from wafersim.catalog.schema import Quantity
from wafersim.catalog.system import System
from wafersim.cost.kernels.collectives import Link, tree_broadcast_s, tree_reduce_s
from wafersim.cost.kernels.economics import economics
from wafersim.cost.train.result import TrainResult
from wafersim.cost.train.scenario import TrainWorkload
from wafersim.errors import ConfigError, InfeasibleParameter, InfeasiblePlan, ParameterError, literal
from wafersim.models.spec import ModelSpec, bytes_per_param
from wafersim.ops.graph import Graph, lower
from wafersim.ops.memory import activation_bytes_per_token, training_state
from wafersim.plan.train import StreamingPlan


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


def _q(q: Quantity | None, what: str, system: System) -> float:
    if q is None or q.value is None:
        raise ConfigError(f"{system.id}: {what} is unknown in the catalog; add it to train on it")
    return float(q.value)


def wafer_of(system: System, precision: str) -> Wafer:
    """Read peak, efficiency, SRAM, stream bandwidth and tree shape from the catalog."""
    chip, notes = system.chip, []
    peak = chip.peak_dense_flops_per_s.get(precision)  # type: ignore[call-overload]  # StrEnum keys match plain str
    if peak is None:
        raise ParameterError("precision", precision, f"{literal(chip.id)} has no dense "
                             f"{literal(precision)} peak; use {{precision.flag}} bf16 or fp16",
                             allowed="bf16 or fp16")
    usable = chip.wafer.sram_usable_fraction if chip.wafer else None
    sram = _q(chip.sram_bytes, "SRAM", system) * (usable.value if usable and usable.value else 1.0)
    streams = [q.value for q in (system.node.io_bandwidth_Bps if system.node else None,
                                 system.memory_service.bandwidth_Bps if system.memory_service else None,
                                 system.broadcast_reduce.bandwidth_per_device_Bps
                                 if system.broadcast_reduce else None) if q and q.value]
    if not streams:
        raise ConfigError(f"{system.id}: no I/O, MemoryX or SwarmX bandwidth in the catalog")
    fill, tree_notes = _tree_fill_s(system)
    notes += tree_notes
    if system.memory_service is None:
        raise ConfigError(f"{system.id} names no memory service (MemoryX); weight streaming needs one")
    notes.append(f"dense {precision} peak {peak.value:.3g} FLOP/s per system (PEs x SIMD x clock), "
                 "not the sparse marketing figure")
    return Wafer(peak_flops_per_s=_q(peak, "dense peak", system),
                 efficiency=_q(system.architecture.matmul_efficiency_fraction
                               if system.architecture else None,
                               "the wafer architecture's matmul efficiency", system),
                 sram_bytes=sram, stream_Bps=min(streams), tree_fill_s=fill,
                 memory_service_bytes=_q(system.memory_service.capacity_bytes, "MemoryX size", system),
                 assumptions=tuple(notes))


def _family(system: System) -> str:
    return system.architecture.id if system.architecture else system.chip.id


def _tree_fill_s(system: System) -> tuple[float, list[str]]:
    """Latency of one broadcast down and one reduce up the SwarmX tree (no payload)."""
    tree = system.broadcast_reduce
    if tree is None or system.devices == 1:
        return 0.0, []
    link = Link.from_network(tree)
    fan = int(tree.fan_out_count.value) if tree.fan_out_count and tree.fan_out_count.value else 2
    n = system.devices
    fill = float(tree_broadcast_s(0.0, n, link, fan) + tree_reduce_s(0.0, n, link, fan))
    return fill, list(link.assumptions)


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


def micro_batch(model: ModelSpec, w: Wafer, seqs: int, seq_len: int, buffers: float,
                recompute: str) -> tuple[float, int, str]:
    """(sequences per micro-batch, micro-batches, recompute) that fit the SRAM; the system's
    `seqs` sequences are split evenly over the micro-batches."""
    free = w.sram_bytes - buffers
    modes = ("none", "full") if recompute == "auto" else (recompute,)
    for mode in modes:
        per_seq = activation_bytes_per_token(model, mode) * model.n_layers * seq_len
        fits = int(free // per_seq)
        if fits >= seqs or (fits >= 1 and mode == modes[-1]):
            n_micro = math.ceil(seqs / min(fits, seqs))
            return seqs / n_micro, n_micro, mode
    need = activation_bytes_per_token(model, "full") * model.n_layers * seq_len
    raise InfeasibleParameter("seq_len", seq_len, f"the activations of one {seq_len}-token "
                              f"sequence of {literal(model.id)} ({need / 1e9:.1f} GB, layer inputs "
                              f"only) exceed the {max(free, 0) / 1e9:.1f} GB of wafer SRAM left "
                              "after the weight buffer; use a shorter {seq_len.flag}")


def _layer_times(graph: Graph, w: Wafer, precision: str, sparsity: float, recompute: str,
                 n_micro: int) -> tuple[float, float, float, float]:
    """Per average layer of one micro-batch (an even share of `graph`): forward, backward,
    recompute compute; and the layer's stream time."""
    layers = graph.model.n_layers * n_micro
    rate = w.peak_flops_per_s * w.efficiency
    gemm = sum(op.flops * op.repeat for op in graph.layer_ops() if op.kind != "attention")
    attn = sum(op.flops * op.repeat for op in graph.layer_ops() if op.kind == "attention")
    fwd = (gemm * (1.0 - sparsity) + attn) / layers / rate  # sparsity skips zero weights only
    recompute_s = fwd if recompute == "full" else 0.0
    weights = sum(op.weight_params * op.repeat for op in graph.layer_ops()) / graph.model.n_layers
    stream = weights * bytes_per_param(precision) / w.stream_Bps
    return fwd, 2.0 * fwd, recompute_s, stream


def train_wafer(model: ModelSpec, system: System, work: TrainWorkload, sparsity: float = 0.0,
                recompute: str = "auto") -> TrainResult:
    """Step time, throughput and breakdown of weight-streaming training on `system`."""
    if not 0.0 <= sparsity < 1.0:
        raise ConfigError(f"weight sparsity {sparsity} must be in [0, 1)")
    n = system.devices
    if work.global_batch < n:
        raise InfeasibleParameter("global_batch", work.global_batch, f"global batch "
                                  f"{work.global_batch} is smaller than {n} systems; each system "
                                  "needs at least one sequence (raise {global_batch.flag})",
                                  allowed=f">= {n}")
    w = wafer_of(system, work.precision)
    seqs = math.ceil(work.global_batch / n)
    full = lower(model, "train", 1, work.seq_len)
    memory = _check_capacity(model, w, work.precision, full)
    mb, n_micro, mode = micro_batch(model, w, seqs, work.seq_len, memory["weight_buffers"], recompute)
    graph = lower(model, "train", seqs, work.seq_len)  # the system's whole share of the batch
    fwd, bwd, rec, stream = _layer_times(graph, w, work.precision, sparsity, mode, n_micro)
    breakdown = _breakdown(model, w, n_micro, fwd, bwd, rec, stream, graph)
    step = sum(breakdown.values())
    return _result(model, system, work, w, breakdown, step, memory, mb, n_micro, mode, sparsity)


def _breakdown(model: ModelSpec, w: Wafer, n_micro: int, fwd: float, bwd: float,
               rec: float, stream: float, graph: Graph) -> dict[str, float]:
    L = model.n_layers
    exposed = L * (max(fwd, stream) - fwd + max(bwd + rec, stream) - (bwd + rec)) + 2 * stream
    head = sum(op.flops for op in graph.ops if not op.layer) / (w.peak_flops_per_s * w.efficiency) / n_micro
    return {
        "compute": n_micro * (L * (fwd + bwd) + 3 * head),
        "recompute": n_micro * L * rec,
        "exposed_weight_streaming": n_micro * exposed,
        "exposed_swarmx_tree": n_micro * w.tree_fill_s,  # broadcast + reduce pipeline fill
        "optimizer": stream,  # MemoryX updates the last layer after its gradients arrive
    }


def _result(model: ModelSpec, system: System, work: TrainWorkload, w: Wafer, breakdown: dict[str, float],
            step: float, memory: dict[str, float], mb: float, n_micro: int, mode: str,
            sparsity: float) -> TrainResult:
    n = system.devices
    tokens_step = work.global_batch * work.seq_len
    model_flops = model.training_flops_per_token(work.seq_len) * tokens_step
    steps = work.tokens / tokens_step
    eco = economics(system, steps * step)
    per_seq = activation_bytes_per_token(model, mode) * model.n_layers * work.seq_len
    memory = memory | {"sram_activations": mb * per_seq, "sram_usable": w.sram_bytes}
    plan = StreamingPlan(n, math.ceil(work.global_batch / n), mb, n_micro, mode, sparsity,
                         work.precision, system.memory_service.id if system.memory_service else None)
    notes = w.assumptions + eco.assumptions + (
        f"matmul efficiency {w.efficiency:.2f} of dense peak (the {_family(system)} architecture's, "
        "shared by its generations and fitted jointly on their published runs)",
        f"weights stream at {w.stream_Bps / 1e9:.0f} GB/s per system, once per pass per micro-batch",
        "layers averaged: per-layer compute and weights are the model's mean over its layers",
        "MemoryX applies the optimizer at the gradient stream rate; only the last layer's update "
        "is exposed",
    )
    return TrainResult(
        model=model.id, system=system.id, devices=n, step_time_s=step, tokens_per_step=tokens_step,
        steps=steps, mfu=model_flops / step / (n * w.peak_flops_per_s),
        flops_per_s_per_device=model_flops / step / n,
        memory_bytes_per_device=memory["sram_activations"] + memory["weight_buffers"],
        energy_J=eco.energy_J, cost_usd=eco.cost_usd, breakdown=breakdown, plan=plan,
        assumptions=notes, memory=memory)
