"""Broadcast and all-reduce along rows, columns or the whole grid, as simulated kernels.

- broadcast "row": PE (r, 0) multicasts its vector east along row r; "col": PE (0, c) multicasts
  south; "grid": PE (0, 0) multicasts east along row 0, then every PE of row 0 south.
- all-reduce "row": chain or tree reduce east (`lines`), then multicast west from the east column;
  "col": the same southwards and back north; "grid": rows east, then the east column south, then
  multicast north up the east column and west along every row (a reduce-then-broadcast
  all-reduce, as in the SDK's `collectives_2d` library and WaferLLM's two-tree all-reduce).

Values are fp32, one per 32-bit wavelet. Receivers store each wavelet with a one-value move.
"""

from __future__ import annotations

import numpy as np

from wafersim.catalog import Catalog
from wafersim.errors import ParameterError
from wafersim.mesh.budget import check_host_memory
from wafersim.mesh.elementwise import unary_cycles
from wafersim.mesh.engine import TRACE_MAX_PES, MeshSim
from wafersim.mesh.gemv import check_reduction
from wafersim.mesh.layout import check_positive, max_abs_error, random_inputs
from wafersim.mesh.lines import OPS, multicast, reduce_line
from wafersim.mesh.machine import machine_of
from wafersim.mesh.result import MeshResult

SCOPES = ("row", "col", "grid")
_OUT = {"row": ("E", "W"), "col": ("S", "N")}
COLOR = 10


def check_scope(scope: str) -> None:
    if scope not in SCOPES:
        raise ParameterError("scope", scope, f"{{scope!r}} is not one of {', '.join(SCOPES)}",
                             allowed=f"one of {', '.join(SCOPES)}")


def _fill(sim: MeshSim, d: str, senders: np.ndarray, wavelets: int) -> None:
    """Multicast from `senders` towards `d`; every receiver stores what it gets."""
    got = multicast(sim, COLOR, d, senders, wavelets, sim.core.free)
    store = unary_cycles(sim.machine, 1)
    sim.consume("store", got, store, store)


def _edge(sim: MeshSim, d: str) -> np.ndarray:
    """Mask of the PEs at the far edge of travel direction d."""
    mask = np.zeros(sim.shape, dtype=bool)
    edges: dict[str, tuple[slice | int, slice | int]] = {
        "E": (slice(None), -1), "W": (slice(None), 0), "S": (-1, slice(None)), "N": (0, slice(None))}
    mask[edges[d]] = True
    return mask


def broadcast_on(sim: MeshSim, values: np.ndarray, scope: str) -> np.ndarray:
    """Spread the source vectors of `values` (rows, cols, L) per `scope`; returns the new values."""
    wavelets = values.shape[-1]
    if scope == "row":
        _fill(sim, "E", _edge(sim, "W"), wavelets)
        out = np.broadcast_to(values[:, :1], values.shape)
    elif scope == "col":
        _fill(sim, "S", _edge(sim, "N"), wavelets)
        out = np.broadcast_to(values[:1, :], values.shape)
    else:
        corner = np.zeros(sim.shape, dtype=bool)
        corner[0, 0] = True
        _fill(sim, "E", corner, wavelets)
        _fill(sim, "S", _edge(sim, "N"), wavelets)
        out = np.broadcast_to(values[:1, :1], values.shape)
    sim.mark("broadcast")
    return out.copy()


def allreduce_on(sim: MeshSim, values: np.ndarray, scope: str, reduction: str = "chain",
                 op: str = "sum") -> np.ndarray:
    """All-reduce `values` (rows, cols, L) with `op` within each row, column or the grid."""
    wavelets = values.shape[-1]
    if scope in _OUT:
        there, back = _OUT[scope]
        red, _ = reduce_line(sim, there, values, reduction, op)
        sim.mark("reduce")
        _fill(sim, back, _edge(sim, there), wavelets)
        sim.mark("broadcast")
        shape = (values.shape[0], 1, wavelets) if scope == "row" else (1, values.shape[1], wavelets)
        return np.broadcast_to(red.reshape(shape), values.shape).copy()
    rows_red, _ = reduce_line(sim, "E", values, reduction, op)  # (rows, L) on the east column
    column = np.zeros_like(values)
    column[:, -1] = rows_red
    last = np.zeros(sim.shape[1], dtype=bool)
    last[-1] = True
    total, _ = reduce_line(sim, "S", column, reduction, op, lines=last)
    sim.mark("reduce")
    corner = np.zeros(sim.shape, dtype=bool)
    corner[-1, -1] = True
    _fill(sim, "N", corner, wavelets)
    _fill(sim, "W", _edge(sim, "E"), wavelets)
    sim.mark("broadcast")
    return np.broadcast_to(total[-1], values.shape).copy()


def _reference(values: np.ndarray, scope: str, op: str) -> np.ndarray:
    ufunc = OPS[op]
    wide = values.astype(np.float64)
    if scope == "row":
        return np.broadcast_to(ufunc.reduce(wide, axis=1, keepdims=True), wide.shape)
    if scope == "col":
        return np.broadcast_to(ufunc.reduce(wide, axis=0, keepdims=True), wide.shape)
    return np.broadcast_to(ufunc.reduce(wide, axis=(0, 1), keepdims=True), wide.shape)


def _sim(pe: str, grid: tuple[int, int], catalog: Catalog | None, trace: bool, hop: float | None,
         rate: float | None) -> MeshSim:
    machine = machine_of(pe, grid, catalog, hop, rate)
    return MeshSim(machine, trace=trace and machine.pes <= TRACE_MAX_PES)


def allreduce(length: int, grid: tuple[int, int] = (4, 4), pe: str = "wse-3", scope: str = "row",
              reduction: str = "chain", op: str = "sum", seed: int = 0, trace: bool = False,
              catalog: Catalog | None = None, hop_latency_cycles: float | None = None,
              link_wavelets_per_cycle: float | None = None) -> MeshResult:
    """All-reduce a random fp32 vector of `length` held by every PE, within `scope`."""
    check_positive(length=length)
    check_scope(scope)
    check_reduction(reduction)
    sim = _sim(pe, grid, catalog, trace, hop_latency_cycles, link_wavelets_per_cycle)
    sim.alloc("vector", length * 4)
    check_host_memory("allreduce", length * sim.machine.pes, sim.machine.pes, True,
                      length=length)
    (values,) = random_inputs(seed, "fp32", (*sim.shape, length))
    out = allreduce_on(sim, values, scope, reduction, op)
    error = max_abs_error(out, _reference(values, scope, op))
    adds = float(values.size - values.size // _group(sim, scope))  # one op per value merged
    return sim.finish("allreduce", "fp32", adds, out, error,
                      {"length": length, "scope": scope, "reduction": reduction, "op": op,
                       "seed": seed})


def _group(sim: MeshSim, scope: str) -> int:
    rows, cols = sim.shape
    return {"row": cols, "col": rows, "grid": rows * cols}[scope]


def broadcast(length: int, grid: tuple[int, int] = (4, 4), pe: str = "wse-3", scope: str = "row",
              seed: int = 0, trace: bool = False, catalog: Catalog | None = None,
              hop_latency_cycles: float | None = None,
              link_wavelets_per_cycle: float | None = None) -> MeshResult:
    """Broadcast a random fp32 vector of `length` from the scope's source PE(s)."""
    check_positive(length=length)
    check_scope(scope)
    sim = _sim(pe, grid, catalog, trace, hop_latency_cycles, link_wavelets_per_cycle)
    sim.alloc("vector", length * 4)
    check_host_memory("broadcast", length * sim.machine.pes, sim.machine.pes, True,
                      length=length)
    (values,) = random_inputs(seed, "fp32", (*sim.shape, length))
    out = broadcast_on(sim, values, scope)
    src = {"row": values[:, :1], "col": values[:1, :], "grid": values[:1, :1]}[scope]
    error = max_abs_error(out, np.broadcast_to(src, values.shape))
    return sim.finish("broadcast", "fp32", 0.0, out, error,
                      {"length": length, "scope": scope, "seed": seed})
