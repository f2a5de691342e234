"""Validate: predict every published row, compare with the measurement, summarise the errors.

A row the tool cannot simulate (unknown id, missing input, a workload not modelled yet) is kept
as `skipped` with the reason, never dropped. CatalogCalibration rows are marked, so held-out error can
be read apart from in-sample error: a row is one when its `calibrates` cell names a fit, and
every micro row is. With `with_range`, each predicted row also gets the low and
high predictions of its efficiency ranges (`band.py`) and whether the measurement lies inside.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any, get_args

from wafersim.catalog import Catalog, load_catalog
from wafersim.errors import SimError, one_line
from wafersim.validate import infer, micro, train
from wafersim.validate.band import Corners, band
from wafersim.validate.records import Kind, Record

KINDS: tuple[str, ...] = get_args(Kind)


@dataclass(frozen=True)
class Outcome:
    """One row, predicted (status ok) or not (status skipped, with the reason)."""

    id: str
    kind: str
    system: str
    model: str
    metric: str
    measured: float | None
    predicted: float | None
    error_pct: float | None
    status: str
    reason: str
    source: str
    calibration: bool
    family: str = ""  # kind: serving stack (infer), framework engine (train) or op (micro)
    low: float | None = None  # band of the efficiency ranges (with_range only)
    high: float | None = None
    inside: bool | None = None  # measured within [low, high]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _predict_train(row: Record, catalog: Catalog) -> float:
    return train.predict(row, train.run(row, catalog))


def _predict_infer(row: Record, catalog: Catalog) -> float:
    return infer.predict_row(row, catalog)


PREDICTORS: dict[str, Callable[[Record, Catalog], float]] = {
    "train": _predict_train,
    "infer": _predict_infer,
    "micro": micro.predict,
}


def predicted(row: Record, catalog: Catalog) -> float:
    """The row's metric as `catalog` predicts it."""
    return PREDICTORS[row.kind](row, catalog)


def outcome(row: Record, catalog: Catalog, corners: Corners | None = None) -> Outcome:
    """Predict one row; any modelling limit becomes a skipped outcome with its reason. With
    `corners`, an ok row also gets its low/high band."""
    kind, measured = row.kind, row.value
    base: dict[str, Any] = dict(id=row.id, kind=kind, system=row.system, model=row.model or "",
                metric=row.metric, source=row.source or "",
                calibration=row.calibrates is not None or kind == "micro", family=family(row))
    try:
        predicted = PREDICTORS[kind](row, catalog)
    except SimError as exc:
        return Outcome(**base, measured=measured, predicted=None, error_pct=None,
                       status="skipped", reason=one_line(str(exc)))
    error = 100.0 * (predicted - measured) / measured
    ranged: dict[str, Any] = {}
    if corners is not None:
        b = band(row, predicted, PREDICTORS[kind], corners)
        ranged = {"low": b.low, "high": b.high, "inside": b.holds(measured)}
    return Outcome(**base, measured=measured, predicted=predicted, error_pct=error,
                   status="ok", reason="", **ranged)


def family(row: Record) -> str:
    """The row's family for error summaries: its kind and serving stack, training framework
    (engine, without the release) or micro op; `unnamed` where the row leaves it empty."""
    name = {"infer": row.stack, "train": (row.framework or "").split(":")[0], "micro": row.op}
    return f"{row.kind}: {name[row.kind] or 'unnamed'}"


def validate(rows: Iterable[Record], kinds: tuple[str, ...] = KINDS,
             catalog: Catalog | None = None, with_range: bool = False) -> list[Outcome]:
    """Outcomes of every row of the chosen kinds, in file order; `with_range` adds the bands."""
    cat = catalog or load_catalog()
    corners = Corners(cat) if with_range else None
    return [outcome(r, cat, corners) for r in rows if r.kind in kinds]


def stats(outcomes: Iterable[Outcome]) -> dict[str, float]:
    """n, median, mean and max absolute error (%) of the ok outcomes."""
    errors = [abs(o.error_pct) for o in outcomes if o.status == "ok" and o.error_pct is not None]
    if not errors:
        return {"n": 0}
    return {"n": len(errors), "median_abs_error_pct": statistics.median(errors),
            "mean_abs_error_pct": statistics.fmean(errors), "max_abs_error_pct": max(errors)}


def coverage(outcomes: Iterable[Outcome]) -> dict[str, float]:
    """Rows with a band, how many hold their measurement, that share, and how many bands are
    wider than a point."""
    banded = [o for o in outcomes if o.inside is not None]
    inside = sum(bool(o.inside) for o in banded)
    return {"n": len(banded), "inside": inside, "inside_fraction": inside / len(banded) if banded else 0.0,
            "with_spread": sum((o.high or 0.0) > (o.low or 0.0) for o in banded)}


def summary(outcomes: list[Outcome]) -> dict[str, Any]:
    """Error statistics per kind and per family (all rows and held-out rows), per system and per
    metric; with
    bands, their coverage per kind (all rows and held-out rows)."""
    def group(key: Callable[[Outcome], str]) -> dict[str, dict[str, float]]:
        return {k: stats(o for o in outcomes if key(o) == k) for k in sorted({key(o) for o in outcomes})}
    held_out = [o for o in outcomes if not o.calibration]
    report = {"per_kind": group(lambda o: o.kind),
              "held_out_per_kind": {k: stats(o for o in held_out if o.kind == k)
                                    for k in sorted({o.kind for o in held_out})},
              "per_family": group(lambda o: o.family),
              "held_out_per_family": {k: stats(o for o in held_out if o.family == k)
                                      for k in sorted({o.family for o in held_out})},
              "per_system": group(lambda o: o.system), "per_metric": group(lambda o: o.metric),
              "skipped": sum(o.status == "skipped" for o in outcomes)}
    if any(o.inside is not None for o in outcomes):
        report["range_per_kind"] = {k: coverage(o for o in outcomes if o.kind == k)
                                    for k in sorted({o.kind for o in outcomes})}
        report["range_held_out_per_kind"] = {k: coverage(o for o in held_out if o.kind == k)
                                             for k in sorted({o.kind for o in held_out})}
    return report
