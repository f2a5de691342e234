"""The functional weight-streaming run checked against the analytical weight-streaming model.

Above mesh and cost (neither imports the other). For a `TrainingRun` of the tiny GPT:

- bytes: the model's parameter count from `models.spec.ModelSpec` (the analytical side's count)
  times the bytes per weight, twice down per step (forward and backward passes) and once up
  (gradients), as cost/train/wafer.py streams them: must equal the bytes the simulated MemoryX
  actually sent and received, exactly;
- compute: every mesh kernel the run charged, re-costed by the analytical kernel formulas
  (cost/kernels/wafer_gemm.stream_gemm_cycles, wafer_decode.summa_cycles and softmax_cycles);
  LayerNorms over many rows have no analytical formula and count at the simulator's cycles;
- time: the analytical step from cost/train/wafer_passes' weight-streaming mechanism, per unit
  rather than per average layer: the units stream forward then backward as one stream
  (`unit_starts_s`: each unit waits for the one before it, for its own stream, and for its
  refill, requested once the unit `weight_buffers_count` places back has freed its buffer, then
  down the SwarmX tree, tree_broadcast_s of no payload), and the gradients drain after the last
  unit (`drain_s`: stream up, tree_reduce_s, MemoryX's updates, optimizer_layer_s each).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from wafersim.catalog import Catalog, load_catalog
from wafersim.catalog.system import resolve
from wafersim.cost.kernels.wafer_decode import KernelCoefficients, softmax_cycles, summa_cycles
from wafersim.cost.kernels.wafer_gemm import stream_gemm_cycles
from wafersim.cost.kernels.wafer_gemv import Mesh
from wafersim.cost.train.wafer import tree_latency_s, wafer_of
from wafersim.cost.train.wafer_passes import drain_s, optimizer_layer_s, unit_starts_s
from wafersim.mesh.functional.config import GPTConfig
from wafersim.mesh.functional.kernels import KernelCall
from wafersim.mesh.functional.results import TrainingRun, UnitPass
from wafersim.models.spec import ModelSpec, bytes_per_param
from wafersim.validate.kernels import coefficients, mesh_for

TIME_TOLERANCE = 0.15  # stated bound on |analytical / simulated - 1| of a step's time (docs)


@dataclass(frozen=True)
class Agreement:
    """Simulated and analytical figures of one step; `*_error` = analytical / simulated - 1."""

    wafers: int
    weight_bytes_sim: int
    weight_bytes_model: int
    gradient_bytes_sim: int
    gradient_bytes_model: int
    compute_cycles_sim: int
    compute_cycles_model: float
    step_time_s_sim: float
    step_time_s_model: float

    @property
    def compute_error(self) -> float:
        return self.compute_cycles_model / self.compute_cycles_sim - 1.0

    @property
    def time_error(self) -> float:
        return self.step_time_s_model / self.step_time_s_sim - 1.0

    def to_json(self) -> dict[str, object]:
        return {"wafers": self.wafers, "weight_bytes": [self.weight_bytes_sim,
                                                        self.weight_bytes_model],
                "gradient_bytes": [self.gradient_bytes_sim, self.gradient_bytes_model],
                "compute_cycles": [self.compute_cycles_sim, self.compute_cycles_model],
                "step_time_s": [self.step_time_s_sim, self.step_time_s_model],
                "compute_error": self.compute_error, "time_error": self.time_error}


def spec_of(config: GPTConfig) -> ModelSpec:
    """The tiny GPT as the analytical side describes a model."""
    return ModelSpec(id="tiny-gpt", name="tiny GPT", model_type="gpt2", n_layers=config.n_layers,
                     d_model=config.d_model, n_heads=config.n_heads, n_kv_heads=config.n_heads,
                     head_dim=config.head_dim, d_ff=config.d_ff, vocab_size=config.vocab,
                     max_seq_len=config.seq_len, learned_positions=config.seq_len,
                     gated_mlp=False, norm="layernorm", norm_bias=True)


def _call_cycles(call: KernelCall, mesh: Mesh, grid: tuple[int, int], precision: str,
                 coef: KernelCoefficients) -> float:
    cols, rows = grid
    s = call.sizes
    if call.kernel == "stream-gemm":
        one = float(stream_gemm_cycles(s[0], s[1], s[2], mesh, precision, "chain", cols, rows))
    elif call.kernel == "gemm":
        one = summa_cycles(mesh, s[0], s[1], s[2], cols, rows, coef.summa_step_cycles)
    elif call.kernel == "softmax":
        one = float(softmax_cycles(mesh, math.ceil(s[0] / rows), math.ceil(s[1] / cols), cols,
                                   coef.transcendental_passes))
    else:
        one = float(call.cycles)  # no analytical LayerNorm over many rows: the simulator's
    return call.count * one


def _step_s(passes: tuple[UnitPass, ...], compute_s: list[float], stream_Bps: float,
            tree: tuple[float, float], buffers: int, optimizer_flops_per_s: float | None) -> float:
    """The analytical step: the units' weight pipeline, then the gradients' drain."""
    down, up = tree
    starts = unit_starts_s(compute_s, [p.weight_bytes / stream_Bps for p in passes], down, buffers)
    back = [i for i, p in enumerate(passes) if p.direction == "backward"]
    grads = [passes[i].gradient_bytes / stream_Bps for i in back]
    updates = [optimizer_layer_s(g, passes[i].params, optimizer_flops_per_s)
               for g, i in zip(grads, back, strict=True)]
    return starts[-1] + compute_s[-1] + drain_s([compute_s[i] for i in back], grads, updates, up)


def agreement(run: TrainingRun, catalog: Catalog | None = None) -> Agreement:
    """Compare one step of `run` with the analytical model at the run's size."""
    cat = catalog or load_catalog()
    config, n = run.config, run.wafers
    mesh, coef = mesh_for(run.pe, cat), coefficients(cat)
    compute = [sum(_call_cycles(c, mesh, config.grid, config.precision, coef) for c in p.calls)
               for p in run.passes]
    params = spec_of(config).params_total
    size = bytes_per_param(config.precision)
    system = resolve(cat, run.node)
    wafer = wafer_of(system, config.precision)
    down, up, _, _ = tree_latency_s(system.with_devices(n))
    latency = (down, up)
    step = _step_s(run.passes, [c / run.clock_hz for c in compute], wafer.stream_Bps, latency,
                   wafer.weight_buffers, wafer.optimizer_flops_per_s)
    account = run.accounts[0]
    return Agreement(n, account.weight_bytes_per_wafer, int(2 * params * size),
                     account.gradient_bytes_to_memoryx, int(params * size),
                     account.compute_cycles, sum(compute), account.time_s, step)
