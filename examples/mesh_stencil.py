"""A 2-D Jacobi stencil written from scratch on the mesh kernel API (docs/mesh-kernels.md).

The field u[H, W] is cut into b x b blocks, one per PE. Each iteration every PE sends the four
edges of its block to its four neighbours (halo exchange), then replaces each value by the mean
of its four neighbours (zero outside the field). Run:

    PYTHONPATH=src python examples/mesh_stencil.py [COLSxROWS] [BLOCK] [ITERATIONS]
"""

from __future__ import annotations

import sys

import numpy as np

from wafersim.mesh import machine_of, parse_grid
from wafersim.mesh.engine import MeshSim
from wafersim.mesh.kernel import PE, Buffer

# direction of travel -> (axis of the block edge sent, index of that edge, halo side it fills)
EDGES = {"E": (1, -1), "W": (1, 0), "S": (0, -1), "N": (0, 0)}


def coordinate(pe: PE, d: str) -> np.ndarray:
    """The PE coordinate along direction d (x for east-west, y for north-south)."""
    return pe.x if d in "EW" else pe.y


def has_neighbour(pe: PE, d: str) -> np.ndarray:
    """Mask of the PEs with a neighbour towards d."""
    return {"E": pe.x < pe.width - 1, "W": pe.x > 0, "S": pe.y < pe.height - 1, "N": pe.y > 0}[d]


def set_routes(pe: PE) -> dict[tuple[str, int], int]:
    """Two colors per direction, by parity: a PE sends on one and receives on the other, so no
    router needs two routes for one color (one color per direction would clash)."""
    back = {"E": "W", "W": "E", "S": "N", "N": "S"}
    colors = {}
    for d in EDGES:
        for parity in (0, 1):
            c = pe.color(f"{d}{parity}")
            send = has_neighbour(pe, d) & (coordinate(pe, d) % 2 == parity)
            receive = has_neighbour(pe, back[d]) & (coordinate(pe, d) % 2 != parity)
            pe.route(c, send, rx="R", tx=d)
            pe.route(c, receive, rx=back[d], tx="R")
            colors[d, parity] = c
    return colors


def exchange(pe: PE, u: Buffer, edge: Buffer, halo: dict[str, Buffer],
             colors: dict[tuple[str, int], int]) -> None:
    """Send each block edge to the neighbour towards d; it lands in that neighbour's halo."""
    for d, (axis, index) in EDGES.items():
        pe.copy(edge, np.take(u.read(), index, axis=2 + axis))
        for parity in (0, 1):
            send = has_neighbour(pe, d) & (coordinate(pe, d) % 2 == parity)
            got = pe.send(colors[d, parity], d, send, data=edge)
            pe.on_data("halo", got, per_wavelet=1, into=halo[d])


def jacobi(pe: PE, u: Buffer, halo: dict[str, Buffer], tmp: Buffer) -> None:
    """u = mean of the four neighbours, the block padded with the halos."""
    b = u.shape[0]
    pad = np.zeros((pe.height, pe.width, b + 2, b + 2), dtype=np.float32)
    pad[:, :, 1:-1, 1:-1] = u.read()
    pad[:, :, 1:-1, 0], pad[:, :, 1:-1, -1] = halo["E"].read(), halo["W"].read()
    pad[:, :, 0, 1:-1], pad[:, :, -1, 1:-1] = halo["S"].read(), halo["N"].read()
    pe.add(tmp, pad[:, :, :-2, 1:-1], pad[:, :, 2:, 1:-1])
    pe.add(tmp, tmp, pad[:, :, 1:-1, :-2])
    pe.add(tmp, tmp, pad[:, :, 1:-1, 2:])
    pe.mul(u, tmp, np.float32(0.25))


def stencil(pe: PE, field: np.ndarray, iterations: int) -> Buffer:
    """The kernel: written once for "the PE at (x, y)", run on every PE at once."""
    b = field.shape[0] // pe.height
    u, tmp, edge = pe.buffer("u", (b, b)), pe.buffer("tmp", (b, b)), pe.buffer("edge", b)
    halo = {d: pe.buffer(f"halo {d}", b) for d in EDGES}  # halo["E"]: what came from the west
    u.write(field.reshape(pe.height, b, pe.width, b).transpose(0, 2, 1, 3))
    for h in halo.values():
        h.write(0.0)  # the field's border: zero outside
    colors = set_routes(pe)
    for _ in range(iterations):
        exchange(pe, u, edge, halo, colors)
        pe.mark("exchange")
        jacobi(pe, u, halo, tmp)
        pe.mark("update")
    return u


def reference(field: np.ndarray, iterations: int) -> np.ndarray:
    u = field.astype(np.float64)
    for _ in range(iterations):
        p = np.pad(u, 1)
        u = 0.25 * (p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:])
    return u


def main(argv: list[str]) -> None:
    cols, rows = parse_grid(argv[0] if argv else "8x6")
    b = int(argv[1]) if len(argv) > 1 else 4
    iterations = int(argv[2]) if len(argv) > 2 else 5
    sim = MeshSim(machine_of("wse-3", (cols, rows)))
    field = np.random.default_rng(0).uniform(-1, 1, (rows * b, cols * b)).astype(np.float32)
    u = stencil(PE(sim), field, iterations)
    got = u.read().transpose(0, 2, 1, 3).reshape(rows * b, cols * b)
    error = float(np.max(np.abs(got - reference(field, iterations))))
    result = sim.finish("stencil", "fp32", 4.0 * field.size * iterations, got, error,
                        {"block": b, "iterations": iterations})
    print(f"stencil {cols}x{rows} PEs, {b}x{b} block, {iterations} iterations")
    print(f"cycles {result.cycles}  " + "  ".join(f"{k} {v}" for k, v in result.breakdown.items()))
    print(f"max abs error vs NumPy {error:.1e}")
    print(f"peak SRAM per PE {result.peak_sram_bytes_per_pe} bytes, colors {result.colors_used}")


if __name__ == "__main__":
    main(sys.argv[1:])
