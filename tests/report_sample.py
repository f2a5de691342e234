"""A small report built from hand-made figures (every chart kind) and real tables: what the page
and browser tests render without running the figure builders."""

from __future__ import annotations

from functools import cache

from wafersim.api import compare, train
from wafersim.catalog import load_catalog
from wafersim.claims.evaluate import evaluate_claims
from wafersim.figures.contents import ReportContents, TrainingRow
from wafersim.figures.figure import Chart, Series
from wafersim.validate.records import read
from wafersim.validate.run import summary, validate

MODEL, SYSTEMS = "llama-3.1-8b", ("cs-3", "dgx-h100")

FIGURES = (
    Chart("scaling", "Training <scaling>", "devices", "tokens/s",
           (Series("cs-3", (1, 2, 4), (1e5, 2e5, 3.9e5), labels=("1", "2", "4")),
            Series("dgx-h100", (8, 16, 32), (5e4, 9e4, float("nan")))), x_log=True, y_log=True,
           note="Weight streaming & clusters"),
    Chart("breakdown", "Step time by part", "system", "s per step",
           (Series("compute", ("cs-3", "dgx-h100"), (1.0, 2.0), kind="bar"),
            Series("comm", ("cs-3", "dgx-h100"), (0.5, 0.3), kind="bar")), stacked=True),
    Chart("validation", "Predicted vs measured", "measured", "predicted",
           (Series("GPU", (1.0, 10.0), (1.2, 9.0), kind="scatter", labels=("r1", "r2")),),
           x_log=True, y_log=True, guides=(Series("y = x", (0.5, 20.0), (0.5, 20.0)),)),
)


@cache
def sample_contents(with_figures: bool = True) -> ReportContents:
    cat = load_catalog()
    outcomes = validate(read(None, cat), ("train",), cat)[:6]
    return ReportContents(
        model=MODEL, systems=SYSTEMS, pricing="tco", tokens=1e11, train_devices=16,
        serving=tuple(compare(MODEL, SYSTEMS, catalog=cat)),
        training=(TrainingRow("cs-3", train(MODEL, "cs-3", 1e11, count=16, catalog=cat)),
                  TrainingRow("dgx-h100", None, "no <plan> fits")),
        figures=FIGURES if with_figures else (), validation=tuple(outcomes),
        validation_summary=summary(outcomes),
        claims=tuple(evaluate_claims(["C1"], cat, with_sensitivity=False)))
