"""The machine a mesh simulation runs on: a rectangle of processing elements (PEs) of one wafer.

Every number comes from the wafer section of a catalog chip (`wse-2`, `wse-3`): SRAM per PE, SIMD
width per precision, SRAM read/write bytes per cycle, link payload and rate, hop latency, colors
and the clock with its range. The PE model follows the Cerebras SDK documentation ("A Conceptual
View": a compute engine, 48 KiB of private SRAM and a five-port router per PE; 32-bit wavelets to
a neighbour in one cycle; 24 routable colors) and its CSL appendix (SIMD widths).

Two knobs may be overridden for experiments (`hop_latency_cycles`, `link_wavelets_per_cycle`);
everything else is the catalog's.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from wafersim.catalog import Catalog, load_catalog
from wafersim.catalog.schema import Chip, Quantity
from wafersim.errors import ConfigError, ParameterError, UnknownIdError, literal

PRECISION_BYTES = {"fp16": 2, "fp32": 4}
WAFERS = "a wafer-scale chip id in the catalog (wse-2, wse-3)"


@dataclass(frozen=True)
class PEMachine:
    """A `cols` x `rows` rectangle of identical PEs and the fabric joining them."""

    pe: str  # catalog chip id
    cols: int
    rows: int
    fabric_cols: int
    fabric_rows: int
    sram_per_pe_bytes: int
    simd_fmac_per_cycle: dict[str, float]  # fp16, fp16_fp32, fp32
    sram_read_bytes_per_cycle: float
    sram_write_bytes_per_cycle: float
    link_payload_bits: int
    link_wavelets_per_cycle: float  # per link and direction
    hop_latency_cycles: float
    colors: int
    clock_hz: float
    clock_hz_lo: float
    clock_hz_hi: float

    @property
    def pes(self) -> int:
        return self.cols * self.rows

    @property
    def cycles_per_wavelet(self) -> float:
        """Cycles one wavelet occupies a link (1 at the catalog rate)."""
        return 1.0 / self.link_wavelets_per_cycle

    def values_per_wavelet(self, precision: str) -> int:
        """Values one 32-bit wavelet carries: two fp16 or one fp32."""
        return max(1, self.link_payload_bits // (8 * PRECISION_BYTES[precision]))

    def vector_width(self, precision: str, reads: int, writes: int) -> int:
        """Elements per cycle of a SIMD op that reads `reads` and writes `writes` SRAM operands.

        The SIMD width (CSL appendix: @fmach 4 on WSE-2, 8 on WSE-3) is capped by the SRAM ports
        (HC34: 2 x 64-bit reads and 1 x 64-bit write per cycle): an @fmach y += W[:, j] * x[j]
        reads W and y and writes y, so 16 B/cycle of reads allows 4 fp16 elements per cycle on
        both WSE-2 and WSE-3 (the catalog's note: SIMD-8 needs operand reuse).
        """
        size = PRECISION_BYTES[precision]
        width = self.simd_fmac_per_cycle[precision]
        if reads:
            width = min(width, self.sram_read_bytes_per_cycle // (reads * size))
        if writes:
            width = min(width, self.sram_write_bytes_per_cycle // (writes * size))
        return max(1, int(width))


def parse_grid(text: str) -> tuple[int, int]:
    """'128x128' -> (cols, rows); both must be positive integers."""
    match = re.fullmatch(r"\s*(\d+)\s*[xX*]\s*(\d+)\s*", text)
    if not match:
        raise ParameterError("grid", text, "{grid!r} is not COLSxROWS; write e.g. {grid.flag} "
                             "128x128", allowed="COLSxROWS")
    return int(match.group(1)), int(match.group(2))


def _value(q: Quantity | None, what: str, chip: Chip) -> float:
    if q is None or q.value is None:
        raise ConfigError(f"{chip.id}: wafer {what} is unknown in the catalog; the PE mesh "
                          "simulator needs it")
    return float(q.value)


def _chip(pe: str, catalog: Catalog | None) -> Chip:
    try:
        part = (catalog or load_catalog()).get(pe)
    except UnknownIdError:
        raise ParameterError("pe", pe, "{pe!r} is not in the catalog; use a wafer id such as "
                             "wse-2 or wse-3", allowed=WAFERS) from None
    if not isinstance(part, Chip) or part.wafer is None:
        raise ParameterError("pe", pe, "{pe!r} is not a wafer-scale chip; use wse-2 or wse-3",
                             allowed=WAFERS)
    return part


def machine_of(pe: str = "wse-3", grid: tuple[int, int] = (4, 4), catalog: Catalog | None = None,
               hop_latency_cycles: float | None = None,
               link_wavelets_per_cycle: float | None = None) -> PEMachine:
    """The `grid` = (cols, rows) rectangle of wafer `pe`, checked against the fabric."""
    chip = _chip(pe, catalog)
    w = chip.wafer
    assert w is not None
    fab_cols = int(_value(w.fabric_cols_count, "fabric columns", chip))
    fab_rows = int(_value(w.fabric_rows_count, "fabric rows", chip))
    cols, rows = (int(g) for g in grid)
    if cols < 1 or rows < 1:
        raise ParameterError("grid", grid, f"grid {cols}x{rows} has no PEs; give at least 1x1, "
                             "e.g. {grid.flag} 4x4", allowed=">= 1x1")
    if cols > fab_cols or rows > fab_rows:
        raise ParameterError("grid", grid, f"grid {cols}x{rows} exceeds the {literal(pe)} fabric "
                             f"of {fab_cols}x{fab_rows} PEs; give a smaller {{grid.flag}}",
                             allowed=f"<= {fab_cols}x{fab_rows}")
    clock = w.clock_hz
    machine = PEMachine(
        pe=pe, cols=cols, rows=rows, fabric_cols=fab_cols, fabric_rows=fab_rows,
        sram_per_pe_bytes=int(_value(w.sram_per_pe_bytes, "SRAM per PE", chip)),
        simd_fmac_per_cycle={k: float(q.value) for k, q in w.simd_fmac_per_cycle.items()
                             if q.value is not None},
        sram_read_bytes_per_cycle=_value(w.sram_read_bytes_per_cycle, "SRAM read rate", chip),
        sram_write_bytes_per_cycle=_value(w.sram_write_bytes_per_cycle, "SRAM write rate", chip),
        link_payload_bits=int(_value(w.link_payload_bits, "link payload", chip)),
        link_wavelets_per_cycle=_value(w.link_wavelets_per_cycle, "link rate", chip),
        hop_latency_cycles=_value(w.hop_latency_cycles, "hop latency", chip),
        colors=int(_value(w.colors_count, "colors", chip)),
        clock_hz=_value(clock, "clock", chip),
        clock_hz_lo=float(clock.lo if clock and clock.lo else _value(clock, "clock", chip)),
        clock_hz_hi=float(clock.hi if clock and clock.hi else _value(clock, "clock", chip)),
    )
    return _override(machine, hop_latency_cycles, link_wavelets_per_cycle)


def _override(m: PEMachine, hop: float | None, rate: float | None) -> PEMachine:
    if hop is not None:
        if not (hop >= 0 and math.isfinite(hop)):
            raise ConfigError(f"hop latency {hop!r} cycles must be a finite number >= 0")
        m = replace(m, hop_latency_cycles=float(hop))
    if rate is not None:
        if not (0 < rate <= 1):
            raise ConfigError(f"link rate {rate!r} wavelets/cycle must lie in (0, 1]")
        m = replace(m, link_wavelets_per_cycle=float(rate))
    for precision in PRECISION_BYTES:
        if precision not in m.simd_fmac_per_cycle:
            raise ConfigError(f"{m.pe}: wafer SIMD width for {precision} is unknown in the catalog")
    return m
