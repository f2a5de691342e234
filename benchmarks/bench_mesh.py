"""Speed and memory of the PE mesh simulator.

Run: python benchmarks/bench_mesh.py [--quick]   (prints figures; asserts nothing)

1. An 8192 x 8192 fp16 GEMV on the full WSE-3 fabric (762 x 1172 = 893,064 PEs), chain and tree
   reductions, whole runs; then the same GEMV split into its parts: drawing the inputs, the
   simulation (`gemv_on`: fabric, cores and the kernel's own arithmetic) and the reference check.
2. A fixed 1024^3 SUMMA GEMM on grids from 32x32 up: SUMMA runs max(rows, cols) steps, each a
   pass over every PE, so the cost per PE-step is the figure that must not grow.
3. A few other kernels, and (full run only, minutes) one attention-sized SUMMA GEMM and a
   full-size Llama 3.1 8B decode layer on the full WSE-3 fabric: SUMMA there runs 1,172 steps
   per GEMM, all but K of them on padding panels. Peak memory is the process's maximum resident
   set (getrusage). Each line's wall time is the whole call; its PE-cycles/s is the result's,
   over the simulation's own wall time (drawing the inputs and the reference check left out).

Figures, CPU seconds (docs/mesh.md, "Performance", has the before/after tables): the GEMV
simulation 0.48 s, 5.0e9 PE-cycles/s, best of 3 (3.9e9 and 1.5e9 before), with W drawn into
tile-padded storage (`inputs(..., tiles)`) so it is tiled by a view; on a slower host 0.44 to
0.64 s from run to run (5.5e9 to 3.8e9). The 1024^3 GEMM falls per PE-step as the grid grows
(2,400, 610, 185 and 88 ns on 64^2 to 512^2; 4,300, 950, 320 and 150 ns on the slower host),
so its cost grows less than linearly in PE-steps. SUMMA timed by runs (`mesh/summa_runs.py`),
on the slower host: the attention-sized GEMM on the full WSE-3 0.8 s (11.4 s before; 46.8 s
before the earlier changes) and the full-size decode layer 22 s (181 s before; 758 s before
the earlier changes; target 60 s).
"""

from __future__ import annotations

import resource
import sys
import time

from wafersim.mesh import allreduce, decode_layer, gemm, gemv, machine_of, softmax
from wafersim.mesh.engine import MeshSim
from wafersim.mesh.gemv import checked_rows, gemv_on, inputs, reference
from wafersim.mesh.layout import max_abs_error

FULL = (762, 1172)


def peak_rss_gib() -> float:
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return kib / 2**20


def show(label: str, run) -> None:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    r = run()
    wall = time.perf_counter() - start
    cols, rows = r.grid
    print(f"{label:44s} {cols}x{rows:<5d} {r.cycles:>9,d} cycles  {r.time_s * 1e6:8.2f} us  "
          f"{r.flops_per_s / 1e12:9.1f} TFLOP/s  err {r.max_abs_error:.1e}  wall {wall:6.2f} s  "
          f"{r.pe_cycles_per_s:.2e} PE-cycles/s  peak RSS {peak_rss_gib():.2f} GiB", flush=True)


def gemv_parts(m: int, n: int, grid: tuple[int, int]) -> None:
    """CPU time of the GEMV's parts (steadier than wall time on a shared host) and the
    simulation's PE-cycles per CPU second."""
    t0 = time.process_time()
    w, x = inputs(0, "fp16", m, n, (grid[1], grid[0]))  # W padded to whole tiles of the grid
    t1 = time.process_time()
    sim = MeshSim(machine_of("wse-3", grid))
    y = gemv_on(sim, w, x, "chain", "fp16")
    t2 = time.process_time()
    rows = checked_rows(m, n)
    error = max_abs_error(y[rows], reference(w[rows], x))
    t3 = time.process_time()
    pe_cycles = sim.machine.pes * sim.now()
    print(f"GEMV {m}x{n} parts on {grid[0]}x{grid[1]} (CPU s): inputs {t1 - t0:.2f}, simulation "
          f"{t2 - t1:.2f} ({pe_cycles / (t2 - t1):.2e} PE-cycles/s), reference {t3 - t2:.2f} "
          f"(err {error:.1e})", flush=True)


def gemm_scaling(grids: tuple[int, ...]) -> None:
    for g in grids:
        start, cpu = time.perf_counter(), time.process_time()
        r = gemm(1024, 1024, 1024, (g, g))
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        pe_steps = g * g * g  # PEs x SUMMA steps
        print(f"GEMM 1024^3 fp16 SUMMA {g}x{g}: {r.cycles:>8,d} cycles  wall {wall:7.2f} s  "
              f"CPU {cpu:7.2f} s  {cpu / pe_steps * 1e9:8.1f} CPU ns per PE-step", flush=True)


def main() -> None:
    quick = "--quick" in sys.argv
    for reduction in ("chain", "tree"):
        show(f"GEMV 8192x8192 fp16 full WSE-3 ({reduction})",
             lambda red=reduction: gemv(8192, 8192, FULL, "wse-3", red))
    gemv_parts(8192, 8192, FULL)
    gemm_scaling((32, 64, 128) if quick else (32, 64, 128, 256, 512))
    if quick:
        return
    show("GEMV 8192x8192 fp16 full WSE-2 fabric (chain)",
         lambda: gemv(8192, 8192, (757, 996), "wse-2"))
    show("GEMV 4096x4096 fp16 128x128 (chain)", lambda: gemv(4096, 4096, (128, 128)))
    show("GEMM 2048^3 fp16 SUMMA 128x128", lambda: gemm(2048, 2048, 2048, (128, 128)))
    show("all-reduce 64 fp32 over the full grid (tree)",
         lambda: allreduce(64, FULL, scope="grid", reduction="tree"))
    show("softmax 1172x8192 fp32 on the full grid", lambda: softmax(1172, 8192, FULL))
    show("decode layer llama-3.1-8b @ d=512 on 32x32",
         lambda: decode_layer(d_model=512, n_heads=8, seq_len=64, grid=(32, 32)))
    show("decode layer llama-3.1-8b @ d=1024 on 64x64",
         lambda: decode_layer(d_model=1024, n_heads=16, seq_len=128, grid=(64, 64)))
    show("GEMM 4x128x128 fp16 SUMMA full WSE-3 (scores)", lambda: gemm(4, 128, 128, FULL))
    show("decode layer llama-3.1-8b full size, seq 128, full WSE-3",
         lambda: decode_layer(d_model=4096, n_heads=32, seq_len=128, grid=FULL))


if __name__ == "__main__":
    main()
