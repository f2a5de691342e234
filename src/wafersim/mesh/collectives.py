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
from wafersim.mesh.kernel import PE, Buffer
from wafersim.mesh.layout import check_positive, max_abs_error, random_inputs
from wafersim.mesh.lines import OPS
from wafersim.mesh.machine import machine_of
from wafersim.mesh.result import MeshResult

SCOPES = ("row", "col", "grid")
_OUT = {"row": ("E", "W"), "col": ("S", "N")}
COLOR = 10


def check_scope(scope: str) -> None:
    if scope not in SCOPES:
        raise ParameterError("scope", scope, f"{{scope!r}} is not one of {', '.join(SCOPES)}",
                             allowed=f"one of {', '.join(SCOPES)}")


def _fill(pe: PE, d: str, senders: np.ndarray, buf: Buffer) -> None:
    """Multicast `buf` from `senders` towards `d`; every receiver stores what it gets."""
    got = pe.multicast(COLOR, d, senders, data=buf, ready=pe.sim.core.free)
    store = unary_cycles(pe.machine, 1)
    pe.on_data("store", got, store, store, into=buf)


def _edge(pe: PE, d: str) -> np.ndarray:
    """Mask of the PEs at the far edge of travel direction d."""
    return {"E": pe.x == pe.width - 1, "W": pe.x == 0, "S": pe.y == pe.height - 1,
            "N": pe.y == 0}[d]


def _vector(sim: MeshSim, values: np.ndarray) -> tuple[PE, Buffer]:
    pe = PE(sim)
    buf = pe.buffer("vector", values.shape[-1], account=False)  # the caller reserved it
    buf.write(values)
    return pe, buf


def broadcast_on(sim: MeshSim, values: np.ndarray, scope: str) -> np.ndarray:
    """Spread the source vectors of `values` (rows, cols, L) per `scope`; returns the new values."""
    pe, buf = _vector(sim, values)
    if scope == "row":
        _fill(pe, "E", _edge(pe, "W"), buf)
    elif scope == "col":
        _fill(pe, "S", _edge(pe, "N"), buf)
    else:
        _fill(pe, "E", pe.at(0, 0), buf)
        _fill(pe, "S", _edge(pe, "N"), buf)
    pe.mark("broadcast")
    return buf.read().copy()


def allreduce_on(sim: MeshSim, values: np.ndarray, scope: str, reduction: str = "chain",
                 op: str = "sum") -> np.ndarray:
    """All-reduce `values` (rows, cols, L) with `op` within each row, column or the grid."""
    pe, buf = _vector(sim, values)
    if scope in _OUT:
        there, back = _OUT[scope]
        red = pe.reduce_line(there, buf, reduction, op)
        pe.mark("reduce")
        ends = red[:, None] if scope == "row" else red[None, :]
        buf.write(ends, where=_edge(pe, there))
        _fill(pe, back, _edge(pe, there), buf)
        pe.mark("broadcast")
        return buf.read().copy()
    rows_red = pe.reduce_line("E", buf, reduction, op)  # (rows, L) on the east column
    column = np.zeros_like(values)
    column[:, -1] = rows_red
    total = pe.reduce_line("S", column, reduction, op, lines=np.arange(pe.width) == pe.width - 1)
    pe.mark("reduce")
    corner = pe.at(pe.width - 1, pe.height - 1)
    buf.write(total[-1], where=corner)
    _fill(pe, "N", corner, buf)
    _fill(pe, "W", _edge(pe, "E"), buf)
    pe.mark("broadcast")
    return buf.read().copy()


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
    with sim.off_clock():
        (values,) = random_inputs(seed, "fp32", (*sim.shape, length))
    out = allreduce_on(sim, values, scope, reduction, op)
    with sim.off_clock():
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
    with sim.off_clock():
        (values,) = random_inputs(seed, "fp32", (*sim.shape, length))
    out = broadcast_on(sim, values, scope)
    with sim.off_clock():
        src = {"row": values[:, :1], "col": values[:1, :], "grid": values[:1, :1]}[scope]
        error = max_abs_error(out, np.broadcast_to(src, values.shape))
    return sim.finish("broadcast", "fp32", 0.0, out, error,
                      {"length": length, "scope": scope, "seed": seed})
