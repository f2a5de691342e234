"""Training throughput against device count, one curve per system (log-log): the weight-streaming
knee of wafer systems beside the near-linear-then-flattening scaling of accelerator clusters."""

from __future__ import annotations

from collections.abc import Sequence

from wafersim import api
from wafersim.catalog import Catalog, load_catalog
from wafersim.errors import InfeasiblePlan, SimError
from wafersim.figures.figure import Chart, Series

COUNTS = tuple(2 ** i for i in range(13))  # 1 .. 4096 devices


def _curve(model: str, system: str, tokens: float, counts: Sequence[int], precision: str,
           pricing: str, cat: Catalog) -> tuple[Series, Series | None, list[str]]:
    """The system's throughput at each count it can train at, its linear-scaling guide from the
    smallest such count, and the counts it cannot run (with why)."""
    xs: list[float] = []
    ys: list[float] = []
    skipped = []
    for count in counts:
        try:
            r = api.train(model, system, tokens, count=count, precision=precision,
                          pricing=pricing, catalog=cat)
        except SimError as exc:
            skipped.append(f"{count}{'' if isinstance(exc, InfeasiblePlan) else ' (refused)'}")
            continue
        xs.append(float(r.devices))
        ys.append(r.tokens_per_s)
    labels = tuple(f"{system} x{int(x)}" for x in xs)
    curve = Series(system, tuple(xs), tuple(ys), "line", labels)
    if not xs:
        return curve, None, skipped
    ideal = Series(f"{system} linear", (xs[0], xs[-1]), (ys[0], ys[0] * xs[-1] / xs[0]), "line")
    return curve, ideal, skipped


def scaling_figure(model: str, systems: Sequence[str], *, tokens: float,
                   counts: Sequence[int] | None = None, precision: str | None = None,
                   pricing: str = "tco", catalog: Catalog | None = None) -> Chart:
    """Tokens/s of training `model` on `tokens` against devices (wafers for wafer systems), one
    line per system over `counts` (default 1 to 4096 in powers of two); counts a system cannot
    train at (too few devices, past its largest cluster) are left out and named in the note. The
    guides are each system's linear scaling from its smallest count."""
    cat = catalog or load_catalog()
    series, guides, skipped = [], [], []
    for system in systems:
        curve, ideal, missed = _curve(model, system, tokens, counts or COUNTS, precision or "bf16",
                                      pricing, cat)
        series.append(curve)
        guides += [ideal] if ideal is not None else []
        skipped += [f"{system} at " + ", ".join(missed)] if missed else []
    note = (f"{model}, {tokens:.3g} tokens, {precision or 'bf16'}; fastest plan per count; "
            "dashed: linear scaling from the smallest count")
    if skipped:
        note += "; not run (the model does not fit): " + "; ".join(skipped)
    return Chart("scaling", f"Training throughput of {model} against device count", "devices",
                  "training tokens/s", tuple(series), x_log=True, y_log=True, note=note,
                  guides=tuple(guides))
