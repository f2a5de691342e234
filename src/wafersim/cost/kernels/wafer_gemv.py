"""A GEMV on a wafer's processing-element mesh, analytically (cycles).

y[m] = W[m, n] @ x[n] on a grid of `cols` x `rows` PEs. PE (r, c) holds the tile
W[r*m/rows : (r+1)*m/rows, c*n/cols : (c+1)*n/cols]; the slice x[c] is multicast down column c,
every PE multiplies its tile as the wavelets of x arrive, widens its partial sums to fp32 and the
partial sums of each row of PEs are reduced along the row (a chain of `cols - 1` add-and-forward
hops, or a binary tree of ceil(log2 cols) stages). Layout after WaferLLM (He et al., OSDI 2025,
"MeshGEMV") and the Cerebras SDK GEMV tutorials; one 32-bit wavelet carries two fp16 values of x
or one fp32 partial sum. With tm = ceil(m/rows), tn = ceil(n/cols), L = ceil(tn / 2) wavelets:

    cycles    = fill + stream + widen + reduction
    fill      = hop * (rows - 1)                               (x reaches the south row)
    column    = ceil(tm / width)                               (one @fmach over a tile column)
    stream    = (L - 1) * max(2 * column, wavelet) + (tn - 2 (L - 1)) * column
                                                               (compute overlaps the x stream)
    widen     = tm                                             (fp16 -> fp32, one per cycle)
    reduction = chain: (hop + 1) * (cols - 1) + tm - 1         (add one cycle per PE, pipelined)
                tree:  hop * (cols - 1) + ceil(log2 cols) * tm

`width` is the @fmach width the SRAM ports allow (`fmach_width`, the rule the PE mesh simulator
charges, mesh/machine.py): y += W[:, j] * x[j] reads W and y and writes y, so 16 B/cycle of reads
give 4 fp16 elements per cycle; WSE-3's 8-wide SIMD runs a GEMV at half rate and WSE-2's 4-wide
at full rate. No fitted parameter (docs/mesh.md, "The bridge"). Vectorised over m, n.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from wafersim.catalog.schema import Chip, Quantity
from wafersim.errors import ConfigError

REDUCTIONS = ("chain", "tree")
Figure = float | npt.NDArray[np.float64]  # one value, or one per (m, n) pair


@dataclass(frozen=True)
class Mesh:
    """The PE-mesh numbers a GEMV needs, read from a wafer chip's catalog entry."""

    cols: int
    rows: int
    simd_fp16: float  # FP16 FMAC per cycle per PE
    hop_cycles: float  # per-hop latency
    clock_hz: float
    sram_per_pe_bytes: float
    sram_read_bytes_per_cycle: float
    sram_write_bytes_per_cycle: float
    cycles_per_wavelet: float = 1.0  # a link carries one 32-bit wavelet per cycle
    simd_fp32: float = 1.0  # FP32 FMAC per cycle per PE
    link_payload_bits: float = 32.0

    @property
    def gemv_width(self) -> float:
        """fp16 elements per cycle of the GEMV's @fmach (reads W and y, writes y)."""
        return fmach_width(self.simd_fp16, self.sram_read_bytes_per_cycle,
                           self.sram_write_bytes_per_cycle, 2.0, reads=2, writes=1)

    @property
    def efficiency(self) -> float:
        """Share of the fp16 SIMD rate a GEMV loop achieves (derived: `gemv_width` / SIMD)."""
        return self.gemv_width / self.simd_fp16


def fmach_width(simd: float, read_bytes_per_cycle: float, write_bytes_per_cycle: float,
                bytes_per_value: float, reads: int, writes: int) -> float:
    """Elements per cycle of a SIMD op reading `reads` and writing `writes` SRAM operands: the
    SIMD width capped by the SRAM ports (HC34: 2 x 64-bit reads, 1 x 64-bit write per cycle)."""
    width = simd
    if reads:
        width = min(width, read_bytes_per_cycle // (reads * bytes_per_value))
    if writes:
        width = min(width, write_bytes_per_cycle // (writes * bytes_per_value))
    return float(max(1, int(width)))


def _value(q: Quantity | None, what: str, chip: Chip) -> float:
    if q is None or q.value is None:
        raise ConfigError(f"{chip.id}: wafer {what} is unknown in the catalog")
    return float(q.value)


def mesh_of(chip: Chip) -> Mesh:
    """The usable PE rectangle and per-PE rates of a wafer chip."""
    w = chip.wafer
    if w is None:
        raise ConfigError(f"{chip.id} is not a wafer-scale chip (no wafer section in the catalog)")
    return Mesh(cols=int(_value(w.usable_cols_count, "usable columns", chip)),
                rows=int(_value(w.usable_rows_count, "usable rows", chip)),
                simd_fp16=_value(w.simd_fmac_per_cycle.get("fp16"), "fp16 SIMD width", chip),
                hop_cycles=_value(w.hop_latency_cycles, "hop latency", chip),
                clock_hz=_value(w.clock_hz, "clock", chip),
                sram_per_pe_bytes=_value(w.sram_per_pe_bytes, "SRAM per PE", chip),
                sram_read_bytes_per_cycle=_value(w.sram_read_bytes_per_cycle, "SRAM read rate",
                                                 chip),
                sram_write_bytes_per_cycle=_value(w.sram_write_bytes_per_cycle, "SRAM write rate",
                                                  chip),
                cycles_per_wavelet=1.0 / _value(w.link_wavelets_per_cycle, "link rate", chip),
                simd_fp32=_value(w.simd_fmac_per_cycle.get("fp32"), "fp32 SIMD width", chip),
                link_payload_bits=_value(w.link_payload_bits, "link payload", chip))


def gemv_cycles(m: npt.ArrayLike, n: npt.ArrayLike, cols: int, rows: int, width: Figure,
                hop_cycles: float = 1.0, reduction: str = "chain",
                bytes_per_value: float = 2.0, cycles_per_wavelet: float = 1.0) -> Figure:
    """Cycles of y = W[m, n] @ x on a cols x rows grid at @fmach `width` (the module formula)."""
    if reduction not in REDUCTIONS:
        raise ConfigError(f"reduction {reduction!r} is not one of {', '.join(REDUCTIONS)}")
    tile_m, tile_n = np.ceil(np.asarray(m, dtype=float) / rows), np.ceil(np.asarray(n, dtype=float) / cols)
    per_wavelet = max(1.0, 4.0 / bytes_per_value)
    wavelets = np.ceil(tile_n / per_wavelet)
    column = np.ceil(tile_m / np.asarray(width, dtype=float))
    fill = hop_cycles * (rows - 1)
    stream = ((wavelets - 1) * np.maximum(per_wavelet * column, cycles_per_wavelet)
              + (tile_n - per_wavelet * (wavelets - 1)) * column)
    widen = tile_m if bytes_per_value < 4 else 0.0
    out = fill + stream + widen + reduction_cycles(tile_m, cols, hop_cycles, reduction)
    return float(out) if out.ndim == 0 else out


def reduction_cycles(values: npt.NDArray[np.float64], length: int, hop_cycles: float,
                     reduction: str) -> npt.NDArray[np.float64]:
    """Reducing `values` fp32 partial sums (one per wavelet) along a line of `length` PEs:
    chain add-and-forward, pipelined, or a binary tree of ceil(log2 length) stages."""
    if length <= 1:
        return 0.0 * values
    if reduction == "chain":
        return (hop_cycles + 1.0) * (length - 1) + values - 1.0
    return hop_cycles * (length - 1) + np.ceil(np.log2(length)) * values


def gemv_time_s(m: npt.ArrayLike, n: npt.ArrayLike, mesh: Mesh, reduction: str = "chain",
                cols: int | None = None, rows: int | None = None) -> Figure:
    """Seconds of one GEMV on (a `cols` x `rows` part of) the wafer at the catalog clock."""
    cycles = gemv_cycles(m, n, cols or mesh.cols, rows or mesh.rows, mesh.gemv_width,
                         mesh.hop_cycles, reduction, cycles_per_wavelet=mesh.cycles_per_wavelet)
    return cycles / mesh.clock_hz
