"""Speed and memory of the PE mesh simulator.

Run: python benchmarks/bench_mesh.py [--quick]   (prints figures; asserts nothing)

The headline case is an 8192 x 8192 fp16 GEMV on the full WSE-3 fabric (762 x 1172 = 893,064
PEs), chain and tree reductions; then a few smaller kernels. Peak memory is the process's maximum
resident set (resource.getrusage), which includes the inputs and the NumPy reference.
"""

from __future__ import annotations

import resource
import sys
import time

from wafersim.mesh import allreduce, decode_layer, gemm, gemv, softmax


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
          f"{r.pe_cycles_per_s:.2e} PE-cycles/s  peak RSS {peak_rss_gib():.2f} GiB")


def main() -> None:
    quick = "--quick" in sys.argv
    full = (762, 1172)
    for reduction in ("chain", "tree"):
        show(f"GEMV 8192x8192 fp16 full WSE-3 ({reduction})",
             lambda red=reduction: gemv(8192, 8192, full, "wse-3", red))
    if quick:
        return
    show("GEMV 8192x8192 fp16 full WSE-2 fabric (chain)",
         lambda: gemv(8192, 8192, (757, 996), "wse-2"))
    show("GEMV 4096x4096 fp16 128x128 (chain)", lambda: gemv(4096, 4096, (128, 128)))
    show("GEMM 2048^3 fp16 SUMMA 128x128", lambda: gemm(2048, 2048, 2048, (128, 128)))
    show("all-reduce 64 fp32 over the full grid (tree)",
         lambda: allreduce(64, full, scope="grid", reduction="tree"))
    show("softmax 1172x8192 fp32 on the full grid", lambda: softmax(1172, 8192, full))
    show("decode layer llama-3.1-8b @ d=512 on 32x32",
         lambda: decode_layer(d_model=512, n_heads=8, seq_len=64, grid=(32, 32)))


if __name__ == "__main__":
    main()
