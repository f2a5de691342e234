"""`train_streaming`: a tiny GPT trained by weight streaming on N simulated wafers.

Per step: MemoryX streams each unit's weights (embed, layers, head) through SwarmX to every wafer;
each wafer runs the unit forward on its shard of the batch and keeps the activations in its SRAM;
then the units stream again in reverse for the backward pass, each wafer's weight gradients go up
the SwarmX tree, summed node by node, and MemoryX applies AdamW. The numbers are NumPy float64
(equal to `reference.train_reference` to rounding); cycles come from the mesh kernels
(`kernels.py`), bytes from the arrays actually moved, time from `timeline.py`.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from wafersim.catalog import Catalog
from wafersim.mesh.functional import gpt
from wafersim.mesh.functional.cluster import WaferCluster, cluster_of
from wafersim.mesh.functional.config import GPTConfig, check_steps, check_wafers
from wafersim.mesh.functional.kernels import unit_calls
from wafersim.mesh.functional.memoryx import MemoryX
from wafersim.mesh.functional.results import StepAccount, TrainingRun, UnitPass
from wafersim.mesh.functional.swarmx import Tree, reduce_tree
from wafersim.mesh.functional.timeline import Slot, Times, schedule
from wafersim.mesh.functional.wafer import SimulatedWafer
from wafersim.mesh.machine import PRECISION_BYTES, machine_of


def _step(memx: MemoryX, wafers: list[SimulatedWafer], tree: Tree, units: list[str],
          batch: tuple[np.ndarray, np.ndarray], config: GPTConfig) -> float:
    """One step's numbers: forward, backward with the tree's sums, MemoryX's update inputs."""
    ids, targets = batch
    per = config.batch // len(wafers)
    for i, w in enumerate(wafers):
        w.load(ids[i * per:(i + 1) * per], targets[i * per:(i + 1) * per],
               config.batch * config.seq_len)
    for unit in units:
        weights = memx.stream(unit)
        for w in wafers:
            w.forward(unit, weights)
    for unit in reversed(units):
        weights = memx.stream(unit)
        memx.receive(unit, reduce_tree(tree, [w.backward(unit, weights) for w in wafers]))
    return float(sum(w.loss for w in wafers))


def _passes(config: GPTConfig, memx: MemoryX, units: list[str], sequences: int, clock_hz: float,
            pe: str) -> list[tuple[UnitPass, Slot]]:
    out = []
    for direction in ("forward", "backward"):
        for unit in units if direction == "forward" else reversed(units):
            calls = unit_calls(config, unit, sequences, direction == "backward", pe)
            cycles = sum(c.total_cycles for c in calls)
            wb = memx.unit_bytes(unit)
            gb = wb if direction == "backward" else 0
            p = UnitPass(unit, direction, memx.unit_params(unit), wb, gb, calls, cycles,
                         0.0, 0.0, 0.0)
            out.append((p, Slot(wb, gb, cycles / clock_hz, p.params)))
    return out


def _timed(passes: list[tuple[UnitPass, Slot]], t: Times) -> tuple[UnitPass, ...]:
    return tuple(replace(p, weights_arrive_s=a, compute_start_s=s, compute_done_s=d)
                 for (p, _), a, s, d in zip(passes, t.arrive_s, t.start_s, t.done_s, strict=True))


def _account(step: int, loss: float, passes: tuple[UnitPass, ...], t: Times, tree: Tree,
             clock_hz: float) -> StepAccount:
    down = sum(p.weight_bytes for p in passes)
    up = sum(p.gradient_bytes for p in passes)
    cycles = sum(p.compute_cycles for p in passes)
    compute_s = cycles / clock_hz
    backward_done = t.done_s[-1]
    breakdown = {"compute": compute_s, "waiting_for_weights": backward_done - compute_s,
                 "gradient_reduce_and_update": t.end_s - backward_done}
    return StepAccount(step, loss, down, down, up, up, (down + up) * tree.links(), tree.depth,
                       cycles, sum(breakdown.values()), breakdown)


def train_streaming(config: GPTConfig, wafers: int = 1, steps: int = 3, seed: int = 0,
                    pe: str = "wse-3", node: str = "cs-3",
                    catalog: Catalog | None = None) -> TrainingRun:
    """Train `config` for `steps` AdamW steps by weight streaming to `wafers` simulated wafers."""
    check_wafers(wafers, config.batch)
    check_steps(steps)
    machine = machine_of(pe, config.grid, catalog)
    cluster: WaferCluster = cluster_of(node, catalog)
    value_bytes = PRECISION_BYTES[config.precision]
    memx = MemoryX(gpt.init_params(config, seed), value_bytes)
    units = gpt.unit_names(config)
    cap = machine.pes * machine.sram_per_pe_bytes
    sims = [SimulatedWafer(config, cap, value_bytes) for _ in range(wafers)]
    tree = Tree(wafers, cluster.tree_fan_out)
    planned = _passes(config, memx, units, config.batch // wafers, machine.clock_hz, pe)
    times = schedule([s for _, s in planned], cluster, tree.depth)
    passes = _timed(planned, times)
    losses, accounts = [], []
    for step, batch in enumerate(gpt.batches(config, steps, seed), start=1):
        loss = _step(memx, sims, tree, units, batch, config)
        memx.step(step, config.lr, config.weight_decay)
        losses.append(loss)
        accounts.append(_account(step, loss, passes, times, tree, machine.clock_hz))
    return TrainingRun(config, wafers, steps, seed, pe, node, machine.clock_hz, cluster.stream_Bps,
                       tuple(losses), tuple(accounts), passes,
                       max(w.peak_bytes for w in sims), cap, memx.weights)
