"""A sweep store's points on two of its figures, one scatter series per system, and the Pareto
front over the chosen figures (`sweep/query.py`), drawn as a line through its points."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from wafersim.figures.figure import Chart, Series
from wafersim.sweep.evaluate import Row
from wafersim.sweep.query import check_figures, check_store, default_front, pareto
from wafersim.sweep.store import read_rows

LABELS = {"step_time_s": "step time (s)", "wall_time_s": "wall time (s)", "cost_usd": "cost ($)",
          "energy_J": "energy (J)", "tokens_per_s": "training tokens/s", "mfu": "MFU",
          "ttft_s": "time to first token (s)", "tpot_s": "time per output token (s)",
          "user_tokens_per_s": "output tokens/s per user",
          "throughput_tokens_per_s": "output tokens/s (whole system)",
          "usd_per_million_tokens": "$ per million output tokens",
          "energy_per_token_J": "energy per output token (J)"}


def point_label(r: Row) -> str:
    """'llama-3.1-8b on dgx-h100 x8, batch 4': what a point is."""
    where = f"{r['model']} on {r['system']}" + (f" x{r['devices']}" if r.get("devices") else "")
    return where + (f", batch {r['batch']}" if r.get("batch") else "")


def _series(name: str, rows: list[Row], x: str, y: str, kind: str) -> Series:
    return Series(name, tuple(float(r[x]) for r in rows), tuple(float(r[y]) for r in rows),
                  "line" if kind == "line" else "scatter", tuple(point_label(r) for r in rows))


def pareto_figure(out: str | Path, figures: Sequence[str] = ()) -> Chart:
    """The store's points on `figures`' first two (x, y; default: `default_front`), one series
    per system, and the front over all of `figures` (two or three) sorted along x."""
    names = list(figures) or default_front(out)
    check_figures(names)
    x, y = names[0], names[1]
    rows = [r for r in read_rows(check_store(out)) if all(r[f] is not None for f in names)]
    front = sorted(pareto(out, names), key=lambda r: (float(r[x]), r["hash"]))
    systems = sorted({r["system"] for r in rows})
    series = [_series(s, [r for r in rows if r["system"] == s], x, y, "scatter") for s in systems]
    series.append(_series("Pareto front", front, x, y, "line"))
    third = f"; the front is over {names[2]} too" if len(names) == 3 else ""
    return Chart("pareto", f"Sweep {Path(out).name}: {LABELS.get(y, y)} against {LABELS.get(x, x)}",
                  LABELS.get(x, x), LABELS.get(y, y), tuple(series), x_log=_positive(rows, x),
                  y_log=_positive(rows, y),
                  note=f"{len(rows)} points, {len(front)} on the front{third}")


def _positive(rows: list[Row], name: str) -> bool:
    """Log scale when every value is positive and they span more than a factor of ten."""
    values = [float(r[name]) for r in rows]
    return bool(values) and min(values) > 0 and max(values) > 10 * min(values)
