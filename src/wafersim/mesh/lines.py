"""Collectives along every row (or column) of the grid at once: multicast, chain and tree reduce.

- multicast: a PE streams a vector along its line; the route delivers it to every PE passed
  (SDK tutorials gemv-06..08: rx WEST -> tx RAMP + EAST).
- chain reduce: partial sums flow PE to PE; each PE adds its own partial to every wavelet as it
  arrives and forwards the sum (two colors alternate so every router has one static route per
  color). First-wavelet times obey f_j = max(f_{j-1} + hop + add, ready_j + add, link_free_j),
  solved for all lines with one running maximum.
- tree reduce: stage s pairs PEs 2^s apart (a binary tree; one color per stage), in the spirit of
  WaferLLM's K-tree all-reduce (He et al., OSDI 2025) with K = 2.

Values are (rows, cols, L) arrays, one value per wavelet (fp32 partial sums). The result lands at
the last PE of each line in the direction of travel. Chain order is the sequential order along
the line, so fp32 results equal a left-to-right NumPy accumulation exactly.
"""

from __future__ import annotations

import numpy as np

from wafersim.mesh.engine import MeshSim
from wafersim.mesh.fabric import PORT_OF, Delivery
from wafersim.mesh.orient import orient
from wafersim.mesh.routes import OPPOSITE, RAMP, line_routes

OPS = {"sum": np.add, "max": np.maximum}
REDUCTIONS = ("chain", "tree")


def _unorient(sim: MeshSim, a: np.ndarray, d: str) -> np.ndarray:
    out = np.zeros(sim.shape, dtype=a.dtype)
    orient(out, d)[...] = a
    return out


def multicast(sim: MeshSim, color: int, d: str, senders: np.ndarray, wavelets: int,
              ready: np.ndarray | float) -> Delivery:
    """Each sender streams `wavelets` to every PE after it in direction `d` up to the edge."""
    if wavelets > 0:
        fast = sim.fabric.multicast(color, d, senders, wavelets, ready)
        if fast is not None:
            return fast
    rows, cols = sim.shape
    x, y = np.arange(cols)[None, :], np.arange(rows)[:, None]
    reach = np.broadcast_to({"E": cols - 1 - x, "W": x, "S": rows - 1 - y, "N": y}[d], sim.shape)
    line_routes(sim.routes, color, PORT_OF[d], senders, reach, deliver=True)
    delivery = sim.fabric.send(color, d, senders, wavelets, ready)
    sim.routes.clear(color)
    return delivery


def chain_reduce(sim: MeshSim, colors: tuple[int, int], d: str, values: np.ndarray,
                 op: str = "sum", lines: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Reduce `values` along every line (or those in `lines`) towards `d`; returns (result at the
    line ends, done cycles)."""
    length, wavelets = orient(sim.core.free, d).shape[1], values.shape[-1]
    vo = orient(values, d)
    result = OPS[op].accumulate(vo, axis=1)[:, -1]
    if length == 1 or wavelets == 0:
        return result, sim.core.free.copy()
    lines = np.ones(vo.shape[0], dtype=bool) if lines is None else lines
    _chain_routes(sim, colors, d, length, lines)
    first = _chain_timing(sim, d, wavelets, lines[:, None])
    for c in colors:
        sim.routes.clear(c)
    return result, first


def _chain_routes(sim: MeshSim, colors: tuple[int, int], d: str, length: int,
                  lines: np.ndarray) -> None:
    idx = np.arange(length)
    port = PORT_OF[d]
    for parity, color in enumerate(colors):
        send = (idx % 2 == parity) & (idx < length - 1)
        recv = np.roll(send, 1)
        sim.routes.set(color, _unorient(sim, np.outer(lines, send), d), RAMP, (port,))
        sim.routes.set(color, _unorient(sim, np.outer(lines, recv), d), OPPOSITE[port], (RAMP,))


def _chain_timing(sim: MeshSim, d: str, wavelets: int, lm: np.ndarray) -> np.ndarray:
    """The add-and-forward pipeline of the module docstring, for the lines in mask `lm`."""
    fab, core = sim.fabric, sim.core
    views = fab._views(d)
    free = views[0]
    add = float(np.ceil(1.0 / sim.machine.vector_width("fp32", reads=1, writes=1)))
    hop, p = fab.hop, fab.spacing
    q = max(p, add)  # steady spacing once every wavelet is added on its way
    ready = orient(core.free, d).copy()
    idx = np.arange(ready.shape[1] - 1)
    c = ready[:, :-1] + np.where(idx > 0, add, 0.0)
    np.maximum(c, free[:, :-1], out=c)
    step = hop + add
    c -= idx * step
    f = np.maximum.accumulate(c, axis=1, out=c)
    f += idx * step  # first wavelet onto link j
    hold = np.where(idx > 0, q, p) * wavelets
    every = bool(lm.all())
    _count_links(views, f, hold, wavelets if every else np.where(lm, wavelets, 0),
                 None if every else lm)
    done = ready.copy()
    np.add(ready[:, 1:-1], add * wavelets, out=done[:, 1:-1])
    np.maximum(done[:, 1:-1], f[:, 1:] + (wavelets - 1) * q, out=done[:, 1:-1])
    end_first = f[:, -1] + hop
    done[:, -1] = np.maximum(np.maximum(ready[:, -1], end_first) + add * wavelets,
                             end_first + (wavelets - 1) * q + add)
    if every:
        orient(core.free, d)[...] = done
        orient(core.busy, d)[:, 1:] += add * wavelets
    else:
        busy = np.zeros(ready.shape)
        busy[:, 1:] = add * wavelets
        orient(core.free, d)[...] = np.where(lm, done, ready)
        orient(core.busy, d)[...] += np.where(lm, busy, 0.0)
    if sim.spans is not None:
        start = ready.copy()
        start[:, 1:] = np.maximum(f + hop, ready[:, 1:])
        sim.span("reduce", _unorient(sim, np.where(lm, start, np.nan), d),
                 _unorient(sim, np.where(lm, done, np.nan), d))
    return core.free.copy()


def _count_links(views: tuple[np.ndarray, ...], f: np.ndarray, hold: np.ndarray,
                 n: np.ndarray | int, lm: np.ndarray | None) -> None:
    """Link occupancy and counters of the chain (`lm`: the lines it runs on; None: all)."""
    free, link_w, link_c, router_in, ramp_out, ramp_in = views
    if lm is None:
        np.add(f, hold, out=free[:, :-1])
        link_c[:, :-1] += hold
    else:
        free[:, :-1] = np.where(lm, f + hold, free[:, :-1])
        link_c[:, :-1] += np.where(lm, hold, 0.0)
    link_w[:, :-1] += n
    router_in[:, 1:] += n
    ramp_out[:, :-1] += n
    ramp_in[:, 1:] += n


def tree_reduce(sim: MeshSim, colors: list[int], d: str, values: np.ndarray,
                op: str = "sum", lines: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Binary-tree reduce along every line (or those in `lines`) towards `d`; result at the ends."""
    vo = orient(values, d).copy()
    lines = np.ones(vo.shape[0], dtype=bool) if lines is None else lines
    length, wavelets = vo.shape[1], values.shape[-1]
    far = (length - 1) - np.arange(length)  # distance to the line end
    add = float(np.ceil(1.0 / sim.machine.vector_width("fp32", reads=1, writes=1)))
    step, stage = 1, 0
    while step < length:
        senders_o = (far % (2 * step) == step)
        recv_o = (far % (2 * step) == 0) & (far + step <= length - 1)
        vo[:, recv_o] = OPS[op](vo[:, recv_o], vo[:, np.flatnonzero(recv_o) - step])
        mask = _unorient(sim, np.outer(lines, senders_o), d)
        color = colors[stage % len(colors)]
        line_routes(sim.routes, color, PORT_OF[d], mask, np.full(sim.shape, step), deliver=False)
        got = sim.fabric.send(color, d, mask, wavelets, sim.core.free)
        sim.routes.clear(color)
        sim.consume("reduce", got, add, add)
        step, stage = 2 * step, stage + 1
    return vo[:, -1], sim.core.free.copy()


def reduce_line(sim: MeshSim, d: str, values: np.ndarray, pattern: str = "chain",
                op: str = "sum", lines: np.ndarray | None = None,
                first_color: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Chain or tree reduction of `values` (rows, cols, L) along direction `d`."""
    if pattern == "chain":
        return chain_reduce(sim, (first_color, first_color + 1), d, values, op, lines)
    colors = list(range(first_color, sim.machine.colors))
    return tree_reduce(sim, colors, d, values, op, lines)
