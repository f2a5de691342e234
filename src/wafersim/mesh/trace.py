"""Chrome / Perfetto trace of a simulated kernel: one track per PE, one slice per core activity.

Open the JSON in https://ui.perfetto.dev or chrome://tracing. Times are microseconds at the
catalog clock; each slice also carries its start and end cycle. Only grids of at most
`TRACE_MAX_PES` PEs are traced, so files stay small enough to open.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from wafersim.catalog.edit import Change, write_files
from wafersim.errors import ConfigError, ParameterError
from wafersim.mesh.engine import TRACE_MAX_PES
from wafersim.mesh.plot import check_output_path
from wafersim.mesh.result import MeshResult


def check_traceable(pes: int) -> None:
    """A grid of `pes` PEs can be traced, or a one-line error saying what to change."""
    if pes > TRACE_MAX_PES:
        raise ParameterError("trace", True, f"{{trace.flag}} is limited to grids of at most "
                             f"{TRACE_MAX_PES} PEs (this grid has {pes:,}); use a smaller "
                             "{grid.flag} or drop {trace.flag}",
                             allowed=f"grids of at most {TRACE_MAX_PES} PEs")


def chrome_trace(result: MeshResult) -> dict[str, object]:
    """The trace-event JSON object of `result` (which must have been run with trace=True)."""
    if result.spans is None:
        check_traceable(result.pes)
        raise ConfigError("this result was simulated without trace=True; run it again with it")
    cols = result.grid[0]
    us_per_cycle = 1e6 / result.clock_hz
    events: list[dict[str, object]] = [
        {"ph": "M", "name": "process_name", "pid": 0, "args": {"name": f"{result.kernel} mesh"}}]
    for pe in range(result.pes):
        events.append({"ph": "M", "name": "thread_name", "pid": 0, "tid": pe,
                       "args": {"name": f"PE ({pe // cols}, {pe % cols})"}})
    for span in result.spans:
        start, end = span.start.reshape(-1), span.end.reshape(-1)
        for busy in np.flatnonzero(np.isfinite(start) & np.isfinite(end) & (end > start)):
            events.append({"ph": "X", "name": span.name, "pid": 0, "tid": int(busy),
                           "ts": float(start[busy]) * us_per_cycle,
                           "dur": float(end[busy] - start[busy]) * us_per_cycle,
                           "args": {"start_cycle": float(start[busy]), "end_cycle": float(end[busy])}})
    return {"traceEvents": events, "displayTimeUnit": "ns",
            "metadata": {"cycles": result.cycles, "clock_hz": result.clock_hz}}


def trace_change(result: MeshResult, trace_path: str | Path) -> Change:
    """The trace file to write (its text made in memory; nothing written yet)."""
    check_output_path("trace_path", trace_path)
    return Change(Path(trace_path), json.dumps(chrome_trace(result)))


def write_trace(result: MeshResult, trace_path: str | Path) -> Path:
    """Write the trace JSON to `trace_path` (temporary file and rename)."""
    write_files([trace_change(result, trace_path)])
    return Path(trace_path)
