"""Total throughput against the speed each user sees, one curve per system, sweeping the batch:
the latency/throughput frontier of serving."""

from __future__ import annotations

from collections.abc import Sequence

from wafersim import api
from wafersim.catalog import Catalog, load_catalog
from wafersim.catalog.system import resolve
from wafersim.cost.backends import serving_backend
from wafersim.cost.infer.result import InferResult
from wafersim.cost.infer.scenario import InferScenario
from wafersim.errors import SimError
from wafersim.figures.figure import Chart, Series
from wafersim.models import load_model


def fitting_count(model: str, system: str, cat: Catalog) -> int | None:
    """None when the system as catalogued holds the model, else the whole nodes that hold it."""
    sc = InferScenario.of(load_model(model), resolve(cat, system))
    return serving_backend(sc.system).fitting_count(sc)


def batches_up_to(max_batch: int) -> list[int]:
    """1, 2, 4, ... below `max_batch`, then `max_batch` itself."""
    out = [1]
    while out[-1] * 2 < max_batch:
        out.append(out[-1] * 2)
    return out + ([max_batch] if max_batch > 1 else [])


def sweep(model: str, system: str, input_tokens: int, output_tokens: int, precision: str,
          cat: Catalog) -> list[InferResult]:
    """The system (on the fewest devices that hold the model) at every batch up to its largest."""
    count = fitting_count(model, system, cat)

    def at(batch: int) -> InferResult:
        return api.infer(model, system, batch=batch, input_tokens=input_tokens,
                         output_tokens=output_tokens, precision=precision, count=count,
                         catalog=cat)
    return [at(b) for b in batches_up_to(at(1).max_batch)]


def serving_figure(model: str, systems: Sequence[str], *, input_tokens: int, output_tokens: int,
                   precision: str | None = None, catalog: Catalog | None = None) -> Chart:
    """Output tokens/s of the whole system against output tokens/s per user, one line per system
    through batches 1, 2, 4, ... up to the most requests that fit; a system that cannot serve the
    model is left out and named in the note."""
    cat = catalog or load_catalog()
    series, missing = [], []
    for system in systems:
        try:
            results = sweep(model, system, input_tokens, output_tokens, precision or "bf16", cat)
        except SimError as exc:
            missing.append(f"{system} ({type(exc).__name__})")
            continue
        series.append(Series(system, tuple(r.user_tokens_per_s for r in results),
                             tuple(r.throughput_tokens_per_s for r in results), "line",
                             tuple(f"{system} x{r.devices}, batch {r.batch}" for r in results)))
    note = (f"{model}, {input_tokens} input + {output_tokens} output tokens, {precision or 'bf16'}; "
            "fewest devices that hold the model; one point per batch")
    if missing:
        note += "; cannot serve it: " + ", ".join(missing)
    return Chart("serving", f"Serving {model}: total throughput against speed per user",
                  "output tokens/s per user", "output tokens/s (whole system)", tuple(series),
                  x_log=True, y_log=True, note=note)
