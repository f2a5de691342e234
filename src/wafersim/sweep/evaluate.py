"""Evaluate points into flat rows (SI units): one row per point, an error text where it fails.

Infer points that differ only in batch are served in one call, so the vectorised cost path
prices every batch of the group at once (its figures equal one call per batch, bit for bit); the
batches past the KV cache are found by bisection, not costed one by one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import wafersim
from wafersim import api
from wafersim.catalog import Catalog, load_catalog
from wafersim.catalog.system import resolve
from wafersim.cost.backends import serve
from wafersim.cost.infer.common import Serving
from wafersim.cost.infer.result import InferResult
from wafersim.cost.infer.scenario import InferScenario
from wafersim.errors import InfeasibleParameter, SimError, one_line
from wafersim.models import load_model
from wafersim.plan import Constraints
from wafersim.plan.infer import InferConstraints
from wafersim.sweep.spec import FIELDS, SweepPoint

FIGURES = ("devices", "step_time_s", "wall_time_s", "cost_usd", "energy_J", "tokens_per_s", "mfu",
           "ttft_s", "tpot_s", "user_tokens_per_s", "throughput_tokens_per_s",
           "usd_per_million_tokens", "energy_per_token_J")
Row = dict[str, Any]


def row(point: SweepPoint, figures: dict[str, Any], error: str | None = None) -> Row:
    """The store's row: hash, version, the point's fields, every figure (None where not
    measured) and the error text."""
    return {"hash": point.key(), "version": wafersim.__version__, "kind": point.kind,
            **{name: getattr(point, name) for name in FIELDS},
            **{name: figures.get(name) for name in FIGURES}, "error": error}


def _infer_figures(r: InferResult) -> dict[str, Any]:
    return {"devices": r.devices, "ttft_s": r.ttft_s, "tpot_s": r.tpot_s,
            "user_tokens_per_s": r.user_tokens_per_s,
            "throughput_tokens_per_s": r.throughput_tokens_per_s,
            "usd_per_million_tokens": r.usd_per_million_tokens,
            "energy_per_token_J": r.energy_per_token_J}


def _scenario(p: SweepPoint, cat: Catalog) -> InferScenario:
    serving = Serving(p.input_tokens or 1024, p.output_tokens or 1024, p.precision)
    return InferScenario.of(load_model(p.model), resolve(cat, p.system).priced(p.pricing), serving,
                            p.count, InferConstraints(p.tp, p.pp, p.ep, None))


def _guarded(points: list[SweepPoint], run: Callable[[], list[dict[str, Any]]]) -> list[Row] | None:
    """Rows of `run`'s figures for `points`, or None when it raised a SimError."""
    try:
        return [row(p, f) for p, f in zip(points, run(), strict=True)]
    except SimError:
        return None


def _infer_group(points: list[SweepPoint], cat: Catalog) -> list[Row]:
    """Points differing only in batch: one vectorised call. Where one fails, the batches are
    sorted and bisected for the first that fails (a batch that does not fit makes every larger one
    fail: the KV cache grows with it); the fitting ones go in one call again, and each failing one
    gets the first failure's error spelled with its own batch."""
    rows = _served(points, cat)
    if rows is not None:
        return rows
    ranked = sorted(points, key=lambda p: p.batch or 1)
    first, error = _first_failing(ranked, cat)
    if error is None:  # no batch fails alone: the siblings failed together; each half again
        return _halving(points, cat)
    fitting = _halving(ranked[:first], cat) if first else []
    failing = [row(p, {}, _spelled(error, p.batch or 1)) for p in ranked[first:]]
    by_key = {r["hash"]: r for r in fitting + failing}
    return [by_key[p.key()] for p in points]


def _served(points: list[SweepPoint], cat: Catalog) -> list[Row] | None:
    """Rows of one vectorised call over the points' batches, or None where any batch fails."""
    batches = [p.batch or 1 for p in points]
    return _guarded(points, lambda: [_infer_figures(r) for r in serve(_scenario(points[0], cat),
                                                                       batches)])


def _first_failing(ranked: list[SweepPoint], cat: Catalog) -> tuple[int, SimError | None]:
    """The index of the smallest batch that fails alone, and its error (the largest should: its
    group failed; None where it does not)."""
    lo, hi, errors = 0, len(ranked) - 1, {}
    while lo < hi:
        mid = (lo + hi) // 2
        error = _failure(ranked[mid], cat)
        if error is not None:
            hi, errors[mid] = mid, error
        else:
            lo = mid + 1
    return lo, errors[lo] if lo in errors else _failure(ranked[lo], cat)


def _failure(p: SweepPoint, cat: Catalog) -> SimError | None:
    """The error of the point alone, or None when it is served."""
    try:
        _figures(p, cat)
    except SimError as exc:
        return exc
    return None


def _spelled(error: SimError, batch: int) -> str:
    """`error`'s text for `batch`: a batch error re-rendered with it, any other error as is."""
    if isinstance(error, InfeasibleParameter) and error.parameter == "batch":
        others = {k: v for k, v in error.values.items() if k != "batch"}
        error = InfeasibleParameter("batch", batch, error.message, allowed=error.allowed, **others)
    return one_line(str(error))


def _halving(points: list[SweepPoint], cat: Catalog) -> list[Row]:
    """One call for the points; where one of them fails, each half again, down to single points
    (the failing ones keep their error text)."""
    rows = _served(points, cat)
    if rows is not None:
        return rows
    if len(points) == 1:
        return [_one(points[0], cat)]
    half = len(points) // 2
    return _halving(points[:half], cat) + _halving(points[half:], cat)


def _one(p: SweepPoint, cat: Catalog) -> Row:
    try:
        return row(p, _figures(p, cat))
    except SimError as exc:
        return row(p, {}, one_line(str(exc)))


def _figures(p: SweepPoint, cat: Catalog) -> dict[str, Any]:
    if p.kind == "infer":
        return _infer_figures(serve(_scenario(p, cat), [p.batch or 1])[0])
    if p.kind == "train":
        return _train_figures(p, cat)
    return _serve_figures(p, cat)


def _train_figures(p: SweepPoint, cat: Catalog) -> dict[str, Any]:
    r = api.train(p.model, p.system, p.tokens or 1e9, count=p.count, global_batch=p.global_batch,
                  seq_len=p.seq_len, precision=p.precision, catalog=cat,
                  plan=Constraints(tp=p.tp, pp=p.pp, ep=p.ep), pricing=p.pricing)
    return {"devices": r.devices, "step_time_s": r.step_time_s, "wall_time_s": r.wall_time_s,
            "cost_usd": r.cost_usd, "energy_J": r.energy_J, "tokens_per_s": r.tokens_per_s,
            "mfu": r.mfu}


def _serve_figures(p: SweepPoint, cat: Catalog) -> dict[str, Any]:
    r = api.simulate_serving(p.model, p.system, requests=p.requests or 100,
                             concurrency=p.concurrency, rate_per_s=p.rate_per_s,
                             input_tokens=p.input_tokens, output_tokens=p.output_tokens,
                             precision=p.precision, count=p.count, tp=p.tp, pp=p.pp, ep=p.ep,
                             catalog=cat, pricing=p.pricing)
    tpot = r.tpot_s["mean"]
    return {"devices": r.devices, "wall_time_s": r.duration_s, "ttft_s": r.ttft_s["mean"],
            "tpot_s": tpot, "user_tokens_per_s": None if not tpot else 1.0 / tpot,
            "throughput_tokens_per_s": r.throughput_tokens_per_s,
            "usd_per_million_tokens": r.usd_per_million_tokens,
            "energy_per_token_J": r.energy_per_token_J}


def _groups(points: Iterable[SweepPoint]) -> list[list[SweepPoint]]:
    """Infer points grouped by every field but batch (first-seen order); others alone."""
    groups: dict[str, list[SweepPoint]] = {}
    for i, p in enumerate(points):
        key = p.siblings() if p.kind == "infer" else str(i)
        groups.setdefault(key, []).append(p)
    return list(groups.values())


def evaluate(points: list[SweepPoint], catalog_dirs: tuple[str, ...] = ()) -> list[Row]:
    """One row per point, in the points' order."""
    cat = load_catalog(catalog_dirs)
    by_key: dict[str, Row] = {}
    for group in _groups(points):
        rows = _infer_group(group, cat) if group[0].kind == "infer" else [_one(group[0], cat)]
        by_key.update((r["hash"], r) for r in rows)
    return [by_key[p.key()] for p in points]
