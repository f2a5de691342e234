"""Units: SI inside, human units only at the edges.

Data files may write a quantity in a human unit, but the unit must be the suffix of the key
(``hbm_bandwidth_TBps``, ``tdp_W``, ``clock_GHz``). `UNITS` maps every accepted suffix to its
dimension and its factor to SI. In memory every field carries the SI suffix of its dimension
(`SI_SUFFIX`): bytes, Bps (bytes/s), flops_per_s (FLOP/s; a count of FLOPs is `flops`), hz, W, s, usd, ...

The formatters at the bottom turn SI values back into short human strings for reports.
"""

from __future__ import annotations

import math
from typing import NamedTuple

KILO, MEGA, GIGA, TERA, PETA, EXA = 1e3, 1e6, 1e9, 1e12, 1e15, 1e18
KIBI, MEBI, GIBI, TEBI, PEBI = 2.0**10, 2.0**20, 2.0**30, 2.0**40, 2.0**50
BITS_PER_BYTE = 8.0
HOUR_S = 3600.0
DAY_S = 86400.0
YEAR_S = 365.25 * DAY_S
MONTH_S = YEAR_S / 12


class Unit(NamedTuple):
    dimension: str
    factor: float  # multiply a value in this unit by factor to get SI


def _family(dimension: str, pairs: dict[str, float]) -> dict[str, Unit]:
    return {suffix: Unit(dimension, factor) for suffix, factor in pairs.items()}


# Suffix -> (dimension, factor to SI). Case matters: Gbps is bits, GBps is bytes.
UNITS: dict[str, Unit] = {
    **_family("bytes", {
        "bytes": 1.0, "KB": KILO, "MB": MEGA, "GB": GIGA, "TB": TERA, "PB": PETA,
        "KiB": KIBI, "MiB": MEBI, "GiB": GIBI, "TiB": TEBI, "PiB": PEBI,
    }),
    **_family("Bps", {
        "Bps": 1.0, "KBps": KILO, "MBps": MEGA, "GBps": GIGA, "TBps": TERA, "PBps": PETA,
        "GiBps": GIBI, "TiBps": TEBI,
        "bps": 1 / BITS_PER_BYTE, "Mbps": MEGA / BITS_PER_BYTE, "Gbps": GIGA / BITS_PER_BYTE,
        "Tbps": TERA / BITS_PER_BYTE, "Pbps": PETA / BITS_PER_BYTE,
    }),
    **_family("flops_per_s", {
        "flops_per_s": 1.0, "flops": 1.0, "FLOPS": 1.0, "GFLOPS": GIGA, "TFLOPS": TERA, "PFLOPS": PETA,
        "EFLOPS": EXA, "TOPS": TERA, "POPS": PETA,
    }),
    **_family("hz", {"hz": 1.0, "Hz": 1.0, "MHz": MEGA, "GHz": GIGA}),
    **_family("W", {"W": 1.0, "kW": KILO, "MW": MEGA}),
    **_family("s", {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9, "h": HOUR_S, "days": DAY_S,
                      "years": YEAR_S}),
    **_family("J", {"J": 1.0, "kWh": 3.6e6, "MWh": 3.6e9}),
    **_family("usd", {"usd": 1.0, "kusd": KILO, "musd": MEGA}),
    **_family("usd_per_hour", {"usd_per_hour": 1.0}),
    # $ per joule: electricity ($/kWh), and facility rent per watt of IT load per second ($/kW/month)
    **_family("usd_per_J", {"usd_per_J": 1.0, "usd_per_kWh": 1 / 3.6e6,
                            "usd_per_kW_month": 1 / (KILO * MONTH_S)}),
    **_family("usd_per_byte", {"usd_per_byte": 1.0, "usd_per_TB": 1 / TERA}),
    **_family("W_per_byte", {"W_per_byte": 1.0, "W_per_TB": 1 / TERA}),
    **_family("mm2", {"mm2": 1.0}),
    **_family("count", {"count": 1.0}),
    **_family("bits", {"bits": 1.0}),
    **_family("cycles", {"cycles": 1.0}),
    **_family("per_cycle", {"per_cycle": 1.0}),
    **_family("fraction", {"fraction": 1.0, "pct": 0.01}),
    **_family("ratio", {"ratio": 1.0}),
}

# The suffix a field carries in memory, per dimension.
SI_SUFFIX: dict[str, str] = {dim: dim for dim in {u.dimension for u in UNITS.values()}}

DIMENSION_HELP: dict[str, str] = {
    "bytes": "a size, e.g. _GB, _GiB, _KiB or _bytes",
    "Bps": "a bandwidth, e.g. _TBps, _GBps (bytes/s) or _Gbps (bits/s)",
    "flops_per_s": "a compute rate, e.g. _TFLOPS, _PFLOPS or _TOPS",
    "hz": "a frequency, e.g. _GHz or _MHz",
    "W": "a power, e.g. _W or _kW",
    "s": "a time, e.g. _s, _ms, _us or _ns",
    "J": "an energy, e.g. _J or _kWh",
    "usd": "a price, e.g. _usd",
    "usd_per_hour": "an hourly price, _usd_per_hour",
    "usd_per_J": "a price per energy, e.g. _usd_per_kWh, or per watt and month, _usd_per_kW_month",
    "usd_per_byte": "a price per size, e.g. _usd_per_TB",
    "W_per_byte": "a power per size, e.g. _W_per_TB",
    "mm2": "an area, _mm2",
    "count": "a count, _count",
    "bits": "a width, _bits",
    "cycles": "a latency in clock cycles, _cycles",
    "per_cycle": "a rate per clock cycle, _per_cycle",
    "fraction": "a share, _fraction (0..1) or _pct",
    "ratio": "a dimensionless ratio, _ratio",
}


def split_unit(key: str) -> tuple[str, Unit] | None:
    """Split ``hbm_bandwidth_TBps`` into ``("hbm_bandwidth", Unit)``; None if no known suffix."""
    matches = [s for s in UNITS if key.endswith("_" + s) and len(key) > len(s) + 1]
    if not matches:
        return None
    suffix = max(matches, key=len)  # "usd_per_hour" wins over "hour"-like shorter tails
    return key[: -len(suffix) - 1], UNITS[suffix]


# ---- human formatting (reports only) ----

_DECIMAL = [(EXA, "E"), (PETA, "P"), (TERA, "T"), (GIGA, "G"), (MEGA, "M"), (KILO, "k")]


def _scaled(value: float, unit: str, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    value = float(f"{value:.{digits}g}")  # round first: 999.7e12 is '1 P', not '1e+03 T'
    for factor, prefix in _DECIMAL:
        if abs(value) >= factor:
            return f"{value / factor:.{digits}g} {prefix}{unit}"
    return f"{value:.{digits}g} {unit}"


def fmt_bytes(value: float | None) -> str:
    """Decimal bytes: 80e9 -> '80 GB'."""
    return "-" if value is None else _scaled(value, "B")


def fmt_bandwidth(value: float | None) -> str:
    """Bytes per second: 3.35e12 -> '3.35 TB/s'."""
    return "-" if value is None else _scaled(value, "B/s")


def fmt_flops(value: float | None) -> str:
    """FLOP/s: 9.89e14 -> '989 TFLOP/s'."""
    return "-" if value is None else _scaled(value, "FLOP/s")


def fmt_power(value: float | None) -> str:
    return "-" if value is None else _scaled(value, "W")


def fmt_hz(value: float | None) -> str:
    return "-" if value is None else _scaled(value, "Hz")


def fmt_count(value: float | None) -> str:
    """Large counts: 4.05e11 -> '405 B'."""
    if value is None:
        return "-"
    for factor, name in [(TERA, "T"), (GIGA, "B"), (MEGA, "M"), (KILO, "k")]:
        if abs(value) >= factor:
            return f"{value / factor:.4g} {name}"
    return f"{value:.4g}"


TIME_STEPS = [(365 * DAY_S, "years"), (DAY_S, "days"), (HOUR_S, "h"), (60.0, "min"),
              (1.0, "s"), (1e-3, "ms"), (1e-6, "us")]


def fmt_time(value: float | None) -> str:
    """Seconds to the most readable unit."""
    if value is None:
        return "-"
    for factor, name in TIME_STEPS:
        if abs(value) >= factor:
            return f"{value / factor:.3g} {name}"
    return f"{value / 1e-9:.3g} ns"


def fmt_usd(value: float | None) -> str:
    if value is None:
        return "-"
    return "$" + _scaled(value, "", 3).strip() if value >= KILO else f"${value:,.2f}"


def fmt_usd_per_hour(value: float | None) -> str:
    return "-" if value is None else f"${value:,.2f}/h"


FORMATTERS = {
    "bytes": fmt_bytes, "Bps": fmt_bandwidth, "flops_per_s": fmt_flops, "W": fmt_power, "hz": fmt_hz,
    "s": fmt_time, "usd": fmt_usd, "usd_per_hour": fmt_usd_per_hour, "count": fmt_count,
}


def fmt(value: float | None, dimension: str) -> str:
    """Format an SI value of any dimension for humans."""
    if value is None:
        return "-"
    if dimension in FORMATTERS:
        return FORMATTERS[dimension](value)
    if dimension == "fraction":
        return f"{value:.3g}"
    return f"{value:.4g} {dimension}"
