"""The kernel runs whose cycle counts, counters and outputs are pinned in pinned_cycles.json."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from wafersim.mesh import allreduce, broadcast, decode_layer, gemm, gemv, layernorm, softmax, stream_gemm
from wafersim.mesh.result import MeshResult


def _cases() -> dict[str, Callable[[], MeshResult]]:
    cases: dict[str, Callable[[], MeshResult]] = {}
    for grid in ((1, 1), (3, 2), (5, 7), (8, 8)):
        g = f"{grid[0]}x{grid[1]}"
        for red in ("chain", "tree"):
            for prec in ("fp16", "fp32"):
                cases[f"gemv 37x53 {g} {red} {prec}"] = (
                    lambda grid=grid, red=red, prec=prec: gemv(37, 53, grid, reduction=red, precision=prec))
            cases[f"stream-gemm 9x40x6 {g} {red}"] = (
                lambda grid=grid, red=red: stream_gemm(9, 40, 6, grid, reduction=red))
            cases[f"softmax 11x29 {g} {red}"] = (
                lambda grid=grid, red=red: softmax(11, 29, grid, reduction=red))
            cases[f"layernorm 11x29 {g} {red}"] = (
                lambda grid=grid, red=red: layernorm(11, 29, grid, reduction=red))
            cases[f"rmsnorm 11x29 {g} {red}"] = (
                lambda grid=grid, red=red: layernorm(11, 29, grid, reduction=red, rms=True))
            for scope in ("row", "col", "grid"):
                for op in ("sum", "max"):
                    cases[f"allreduce 5 {g} {scope} {red} {op}"] = (
                        lambda grid=grid, red=red, scope=scope, op=op:
                        allreduce(5, grid, scope=scope, reduction=red, op=op))
        for scope in ("row", "col", "grid"):
            cases[f"broadcast 6 {g} {scope}"] = lambda grid=grid, scope=scope: broadcast(6, grid, scope=scope)
        for prec in ("fp16", "fp32"):
            cases[f"gemm 19x23x17 {g} {prec}"] = (
                lambda grid=grid, prec=prec: gemm(19, 23, 17, grid, precision=prec))
    cases["gemv 300x260 16x12 tree fp16"] = lambda: gemv(300, 260, (16, 12), reduction="tree")
    cases["decode 8x8 fp16 chain"] = lambda: decode_layer(grid=(8, 8))
    cases["decode 8x8 fp32 chain"] = lambda: decode_layer(grid=(8, 8), precision="fp32")
    cases["decode 64 h8 s5 4x6 tree"] = lambda: decode_layer(d_model=64, n_heads=8, seq_len=5,
                                                             grid=(4, 6), reduction="tree")
    return cases


CASES = _cases()


def summary(r: MeshResult) -> dict[str, object]:
    """What must not change: cycles, breakdown, counters, SRAM, error and the output's bytes."""
    return {"cycles": r.cycles, "breakdown": r.breakdown, "wavelets_sent": r.wavelets_sent,
            "wavelets_received": r.wavelets_received, "colors_used": r.colors_used,
            "peak_sram": r.peak_sram_bytes_per_pe, "busy": float(r.compute_util.sum() * r.cycles),
            "link": float(r.link_util.sum() * r.cycles), "error": r.max_abs_error,
            "output": hashlib.sha256(r.output.tobytes()).hexdigest()[:16]}
