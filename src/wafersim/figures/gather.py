"""The report's contents computed for one model on a few systems: `compare`'s serving columns,
a training run per system, the charts, the validation outcomes and the claims."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from wafersim.api import compare, train
from wafersim.catalog import Catalog, load_catalog
from wafersim.catalog.system import resolve
from wafersim.claims.evaluate import evaluate_claims
from wafersim.errors import ParameterError, SimError, literal, one_line
from wafersim.figures.breakdown import breakdown_figure
from wafersim.figures.contents import (
    DEFAULT_DEVICES,
    DEFAULT_TOKENS,
    REPORT_SYSTEMS,
    ReportContents,
    TrainingRow,
)
from wafersim.figures.figure import Chart
from wafersim.figures.pareto import pareto_figure
from wafersim.figures.roofline import roofline_figure
from wafersim.figures.scaling import scaling_figure
from wafersim.figures.serving import serving_figure
from wafersim.figures.validation import validation_figure
from wafersim.models import ModelSpec, load_model
from wafersim.sweep.query import check_store
from wafersim.validate.records import read
from wafersim.validate.run import KINDS, Outcome, summary, validate

INPUT_TOKENS = OUTPUT_TOKENS = 1024  # the serving workload, as `wafersim compare` runs it


def check_systems(systems: Sequence[str], catalog: Catalog) -> tuple[str, ...]:
    """At least one system, each named once and known to the catalog."""
    ids = tuple(s.strip() for s in systems)
    if not ids or not all(ids):
        raise ParameterError("systems", ",".join(systems), "{systems!r} has an empty item; give "
                             "system ids separated by single commas (wafersim systems lists them)",
                             allowed="comma-separated system ids")
    twice = next((s for s in ids if ids.count(s) > 1), None)
    if twice is not None:
        raise ParameterError("systems", ",".join(systems), "{systems!r} names "
                             f"{literal(twice)} twice; list each system once",
                             allowed="each system once")
    for system in ids:
        resolve(catalog, system)
    return ids


def _training(spec: ModelSpec, systems: tuple[str, ...], tokens: float, devices: int,
              pricing: str, cat: Catalog) -> tuple[TrainingRow, ...]:
    rows = []
    for system in systems:
        try:
            rows.append(TrainingRow(system, train(spec, system, tokens, count=devices, catalog=cat,
                                                  pricing=pricing)))
        except SimError as exc:
            rows.append(TrainingRow(system, None, one_line(str(exc))))
    return tuple(rows)


def _charts(model: str, systems: tuple[str, ...], tokens: float, pricing: str, cat: Catalog,
            training: tuple[TrainingRow, ...], outcomes: Sequence[Outcome],
            sweep: Path | None) -> tuple[Chart, ...]:
    """Scaling, the serving frontier, a roofline per system, the training breakdown, the
    validation scatter and, with a sweep, its Pareto front."""
    trained = [(t.system, t.result) for t in training if t.result is not None]
    figures = [scaling_figure(model, systems, tokens=tokens, pricing=pricing, catalog=cat),
               serving_figure(model, systems, input_tokens=INPUT_TOKENS,
                              output_tokens=OUTPUT_TOKENS, catalog=cat)]
    figures += [replace(roofline_figure(model, s, input_tokens=INPUT_TOKENS,
                                        output_tokens=OUTPUT_TOKENS, catalog=cat),
                        name=f"roofline-{s}") for s in systems]  # one chart id per system
    if trained:
        figures.append(breakdown_figure([r for _, r in trained], [s for s, _ in trained]))
    if outcomes:
        figures.append(validation_figure(outcomes, catalog=cat))
    if sweep is not None:
        figures.append(pareto_figure(sweep))
    return tuple(figures)


def gather(model: str, systems: Sequence[str] = REPORT_SYSTEMS,
           tokens: float = DEFAULT_TOKENS, pricing: str = "tco",
           sweep: str | Path | None = None, catalog: Catalog | None = None, *,
           train_devices: int = DEFAULT_DEVICES, claim_ids: Sequence[str] | None = None,
           with_validation: bool = True) -> ReportContents:
    """Everything the report of `model` shows. `claim_ids` picks claims (default: all of them; empty:
    none);
    `with_validation` False leaves out the validation table and scatter; `sweep` is a results
    directory (`wafersim sweep run`) whose Pareto front is charted."""
    cat = catalog or load_catalog()
    spec = load_model(model)
    ids = check_systems(systems, cat)
    store = check_store(sweep) if sweep is not None else None
    serving = compare(spec, ids, groups=("serving",), catalog=cat,
                      options={"serving": {"pricing": pricing}})
    training = _training(spec, ids, tokens, train_devices, pricing, cat)
    outcomes = validate(read(None, cat), KINDS, cat) if with_validation else []
    return ReportContents(
        model=spec.name, systems=ids, pricing=pricing, tokens=tokens, train_devices=train_devices,
        serving=tuple(serving), training=training,
        figures=_charts(model, ids, tokens, pricing, cat, training, outcomes, store),
        validation=tuple(outcomes), validation_summary=summary(outcomes) if outcomes else {},
        claims=() if claim_ids is not None and not claim_ids else tuple(
            evaluate_claims(list(claim_ids) if claim_ids else None, cat)),
        sweep=str(sweep) if sweep is not None else None,
        input_tokens=INPUT_TOKENS, output_tokens=OUTPUT_TOKENS)
