"""Predicted against measured for every validated row (log-log), one scatter series per system
family as the catalog classes its chip (device class and vendor), with the y = x guide."""

from __future__ import annotations

from collections.abc import Sequence

from wafersim.catalog import Catalog, load_catalog
from wafersim.catalog.system import resolve
from wafersim.errors import SimError
from wafersim.figures.figure import Chart, Series
from wafersim.validate.run import Outcome


def family(system: str, cat: Catalog) -> str:
    """'NVIDIA GPU', 'Cerebras wafer', 'Huawei NPU', ...: the chip's vendor and device class."""
    try:
        return resolve(cat, system).family
    except SimError:
        return "other"


def plotted(outcomes: Sequence[Outcome]) -> list[Outcome]:
    """Rows a log-log chart can place: predicted, with positive measured and predicted values."""
    return [o for o in outcomes if o.status == "ok" and o.measured is not None and o.predicted
            is not None and o.measured > 0 and o.predicted > 0]


def validation_figure(results: Sequence[Outcome], *, catalog: Catalog | None = None) -> Chart:
    """One point per predicted row (label: its id), one series per family, largest first then by
    name; skipped rows and non-positive values are left out and counted in the note."""
    cat = catalog or load_catalog()
    rows = plotted(results)
    groups: dict[str, list[Outcome]] = {}
    for o in rows:
        groups.setdefault(family(o.system, cat), []).append(o)
    order = sorted(groups, key=lambda f: (-len(groups[f]), f))
    series = tuple(Series(f, tuple(float(o.measured or 0.0) for o in groups[f]),
                          tuple(float(o.predicted or 0.0) for o in groups[f]), "scatter",
                          tuple(o.id for o in groups[f])) for f in order)
    values = [v for o in rows for v in (o.measured or 0.0, o.predicted or 0.0)]
    guide = (Series("y = x", (min(values), max(values)), (min(values), max(values))),) if values else ()
    note = (f"{len(rows)} rows, each in its own metric's SI unit (throughput, latency, FLOP/s, "
            f"bandwidth ...); points on the diagonal are exact; {len(results) - len(rows)} rows "
            "not predicted or not positive are left out")
    return Chart("validation", "Predicted against measured", "measured", "predicted", series,
                  x_log=True, y_log=True, note=note, guides=guide)
