"""A system's roofline (memory-bandwidth slope, compute ceiling) with a serving workload's points
placed by arithmetic intensity: the prompt's prefill and one decode step at each batch."""

from __future__ import annotations

import math
from collections.abc import Sequence

from wafersim import api
from wafersim.catalog import Catalog, load_catalog
from wafersim.catalog.system import System, resolve
from wafersim.cost.infer.result import InferResult
from wafersim.errors import ConfigError
from wafersim.figures.figure import Chart, Series
from wafersim.figures.serving import fitting_count
from wafersim.models import ModelSpec, load_model
from wafersim.ops.graph import lower

BATCHES = (1, 4, 16, 64, 256)


def replica(cat: Catalog, system: str, r: InferResult) -> System:
    """The devices one replica of the result's plan runs on."""
    return resolve(cat, system).with_devices(max(1, r.devices // r.plan.replicas))


def ceilings(s: System, precision: str) -> tuple[float, float]:
    """Dense peak FLOP/s and memory bandwidth (B/s) of `s`, or a ConfigError naming the gap."""
    peak, bandwidth = s.peak_flops_per_s(precision), s.memory_bandwidth_Bps
    if peak is None or bandwidth is None:
        raise ConfigError(f"{s.id}: the catalog has no {precision} peak or memory bandwidth for "
                          f"{s.chip.id}; a roofline needs both")
    return peak, bandwidth


def prefill_point(m: ModelSpec, r: InferResult, input_tokens: int, precision: str) -> tuple[float, float]:
    """(FLOP per byte, achieved FLOP/s) of one prompt: weights read once, its KV cache written."""
    g = lower(m, "prefill", 1, input_tokens)
    moved = m.weight_bytes(precision) + m.kv_cache_bytes(input_tokens)
    return g.forward_flops / moved, g.forward_flops / r.ttft_s


def decode_point(m: ModelSpec, r: InferResult, context: int, precision: str) -> tuple[float, float]:
    """(FLOP per byte, achieved FLOP/s) of one decode step of a replica: weights and every
    sequence's KV cache read once."""
    batch = math.ceil(r.batch / r.plan.replicas)
    g = lower(m, "decode", batch, context)
    moved = m.weight_bytes(precision) + batch * m.kv_cache_bytes(context)
    return g.forward_flops / moved, g.forward_flops / r.tpot_s


def _guides(peak: float, bandwidth: float, xs: list[float]) -> tuple[Series, Series]:
    """The bandwidth slope up to the ridge point and the compute ceiling past it, spanning the
    points and the ridge with a factor of four either side."""
    ridge = peak / bandwidth
    lo, hi = min([*xs, ridge]) / 4, max([*xs, ridge]) * 4
    return (Series(f"memory bandwidth {bandwidth / 1e12:.3g} TB/s", (lo, ridge), (bandwidth * lo, peak)),
            Series(f"compute peak {peak / 1e15:.3g} PFLOP/s", (ridge, hi), (peak, peak)))


def roofline_figure(model: str, system: str, *, input_tokens: int, output_tokens: int,
                    batches: Sequence[int] = BATCHES, precision: str | None = None,
                    count: int | None = None, catalog: Catalog | None = None) -> Chart:
    """Achieved FLOP/s against FLOP per byte moved for the prefill of one prompt and a decode step
    (context: the prompt and half the output) at each of `batches`, on one replica of the plan
    `infer` picks on `count` devices (default: the fewest that hold the model); batches past the
    most that fit are left out and named in the note."""
    cat, m, prec = catalog or load_catalog(), load_model(model), precision or "bf16"
    count = count or fitting_count(model, system, cat)

    def at(batch: int) -> InferResult:
        return api.infer(m, system, batch=batch, input_tokens=input_tokens,
                         output_tokens=output_tokens, precision=prec, count=count, catalog=cat)
    one = at(1)
    fits = [b for b in batches if b <= one.max_batch]
    decodes = [(b, decode_point(m, one if b == 1 else at(b), input_tokens + output_tokens // 2,
                                prec)) for b in fits]
    prefill = prefill_point(m, one, input_tokens, prec)
    peak, bandwidth = ceilings(replica(cat, system, one), prec)
    series = (Series("prefill (one prompt)", (prefill[0],), (prefill[1],), "scatter", ("prefill",)),
              Series("decode step", tuple(p[0] for _, p in decodes), tuple(p[1] for _, p in decodes),
                     "scatter", tuple(f"decode, batch {b}" for b, _ in decodes)))
    left = [b for b in batches if b not in fits]
    note = (f"{model} on {system}, one replica of {one.devices // one.plan.replicas} devices; "
            f"{prec}; bytes: all weights plus the KV cache read or written once")
    note += f"; batches past the {one.max_batch} that fit: {left}" if left else ""
    return Chart("roofline", f"Roofline of {system} with {model}", "arithmetic intensity (FLOP/byte)",
                  "achieved FLOP/s", series, x_log=True, y_log=True, note=note,
                  guides=_guides(peak, bandwidth, [prefill[0], *(p[0] for _, p in decodes)]))
