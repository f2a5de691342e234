"""Host memory a mesh run needs, checked before its inputs are allocated.

A run holds its inputs, their tiled copies, float64 references and per-PE state at once. Its
peak resident memory is estimated from the shapes as `PER_VALUE` bytes per input value (the peak
RSS growth measured per value, rounded up: GEMV 11.5, SUMMA 13.4, softmax 39, layer norm 31,
collectives 23 per PE-value, decode layer below 30) plus `PER_PE` bytes per PE (about 270
measured on a 750x994 grid). A run whose estimate exceeds the limit is refused with the sizes to
shrink: the limit is `AVAILABLE_SHARE` of the memory the host has available (MemAvailable of
/proc/meminfo), or `ENV_VAR` (bytes; 8e9, 8G) when that is set and lower.
"""

from __future__ import annotations

import os
from pathlib import Path

from wafersim.errors import ConfigError, ParameterError, literal

PER_VALUE = {"gemv": 16, "gemm": 16, "stream-gemm": 16, "softmax": 48, "layernorm": 40,
             "allreduce": 32, "broadcast": 32, "decode-layer": 40}
PER_PE = 400
AVAILABLE_SHARE = 0.8
ENV_VAR = "WAFERSIM_MESH_MAX_BYTES"
SUFFIXES = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def available_bytes() -> int | None:
    """Memory the host can still give (MemAvailable), or None where it is not known."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _env_limit() -> int | None:
    raw = os.environ.get(ENV_VAR, "")
    text = raw.strip().upper().removesuffix("B")
    if not text:
        return None
    factor = SUFFIXES.get(text[-1:], 1)
    try:
        value = float(text[:-1] if factor != 1 else text) * factor
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise ConfigError(f"{ENV_VAR} {raw!r} is not a positive size; write e.g. 8G or 8e9")
    return int(value)


def limit_bytes() -> int | None:
    """The most host memory a run may need (see the module docstring); None: not known."""
    available = available_bytes()
    share = int(available * AVAILABLE_SHARE) if available is not None else None
    caps = [c for c in (share, _env_limit()) if c is not None]
    return min(caps) if caps else None


def gib(n: float) -> str:
    return f"{n / 2**30:.1f} GiB"


def check_host_memory(kernel: str, values: float, pes: int, per_pe: bool = False,
                      **sizes: int) -> None:
    """A run of `kernel` over `values` input values on `pes` PEs fits in host memory, or one line
    naming its estimate, the limit and the sizes (`sizes`, by parameter; the grid too when the
    values are `per_pe`) to shrink."""
    need, limit = PER_VALUE[kernel] * values + PER_PE * pes, limit_bytes()
    if limit is None or need <= limit:
        return
    names = list(sizes)
    shrink = " or ".join(f"{{{n}.flag}}" for n in names) + (" or {grid.flag}" if per_pe else "")
    raise ParameterError(names[0], sizes[names[0]], f"mesh {literal(kernel)} with "
                         + ", ".join(f"{{{n}}}" for n in names)
                         + f" needs about {gib(need)} of host memory but {gib(limit)} may be used "
                         f"({ENV_VAR} or {AVAILABLE_SHARE:.0%} of the available memory); use a "
                         f"smaller {shrink}", allowed=f"runs needing at most {gib(limit)}", **sizes)
