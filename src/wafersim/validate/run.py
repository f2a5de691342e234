"""Validate: predict every published row, compare with the measurement, summarise the errors.

A row the tool cannot simulate (unknown id, missing input, a workload not modelled yet) is kept
as `skipped` with the reason, never dropped. Calibration rows are marked, so held-out error can
be read apart from in-sample error.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

from wafersim.catalog import Catalog, load_catalog
from wafersim.errors import SimError, one_line
from wafersim.validate import infer, micro, train
from wafersim.validate.calibrate import CALIBRATION_ROWS, WAFER_CALIBRATION_ROWS
from wafersim.validate.records import Record

KINDS = ("train", "infer", "micro")
CALIBRATION = {row for rows in CALIBRATION_ROWS.values() for row in rows} | set(WAFER_CALIBRATION_ROWS)


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

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _predict_train(row: Record, catalog: Catalog) -> float:
    return train.predict(row, train.run(row, catalog))


def _predict_infer(row: Record, catalog: Catalog) -> float:
    return infer.predict(row, infer.run(row, catalog))


PREDICTORS: dict[str, Callable[[Record, Catalog], float]] = {
    "train": _predict_train,
    "infer": _predict_infer,
    "micro": micro.predict,
}


def outcome(row: Record, catalog: Catalog) -> Outcome:
    """Predict one row; any modelling limit becomes a skipped outcome with its reason."""
    kind, measured = row.text("kind") or "", None
    base = dict(id=row.id, kind=kind, system=row.text("system") or "", model=row.text("model") or "",
                metric=row.text("metric") or "", source=row.text("source") or "",
                calibration=row.id in CALIBRATION or kind == "micro")
    try:
        measured = row.float("value")
        if kind not in PREDICTORS:
            raise SimError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
        if not measured:
            raise SimError("the row has no measured value")
        predicted = PREDICTORS[kind](row, catalog)
    except SimError as exc:
        return Outcome(**base, measured=measured, predicted=None, error_pct=None,  # type: ignore[arg-type]
                       status="skipped", reason=one_line(str(exc)))
    error = 100.0 * (predicted - measured) / measured
    return Outcome(**base, measured=measured, predicted=predicted, error_pct=error,  # type: ignore[arg-type]
                   status="ok", reason="")


def validate(rows: Iterable[Record], kinds: tuple[str, ...] = KINDS,
             catalog: Catalog | None = None) -> list[Outcome]:
    """Outcomes of every row of the chosen kinds, in file order."""
    cat = catalog or load_catalog()
    return [outcome(r, cat) for r in rows if (r.text("kind") or "") in kinds]


def stats(outcomes: Iterable[Outcome]) -> dict[str, float]:
    """n, median, mean and max absolute error (%) of the ok outcomes."""
    errors = [abs(o.error_pct) for o in outcomes if o.status == "ok" and o.error_pct is not None]
    if not errors:
        return {"n": 0}
    return {"n": len(errors), "median_abs_error_pct": statistics.median(errors),
            "mean_abs_error_pct": statistics.fmean(errors), "max_abs_error_pct": max(errors)}


def summary(outcomes: list[Outcome]) -> dict[str, Any]:
    """Error statistics per kind (all rows and held-out rows), per system and per metric."""
    def group(key: Callable[[Outcome], str]) -> dict[str, dict[str, float]]:
        return {k: stats(o for o in outcomes if key(o) == k) for k in sorted({key(o) for o in outcomes})}
    held_out = [o for o in outcomes if not o.calibration]
    return {"per_kind": group(lambda o: o.kind),
            "held_out_per_kind": {k: stats(o for o in held_out if o.kind == k)
                                  for k in sorted({o.kind for o in held_out})},
            "per_system": group(lambda o: o.system), "per_metric": group(lambda o: o.metric),
            "skipped": sum(o.status == "skipped" for o in outcomes)}
