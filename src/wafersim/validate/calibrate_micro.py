"""Fit per-hardware efficiencies on the micro-benchmark rows (kind micro).

- GEMM rows (flops_per_s): `matmul_efficiency_fraction` of the chip in the row's precision, as
  achieved / dense peak. The catalog value is the best achieved (max over rows): a row with a size
  is one shape and so a lower bound of the best over sizes; when a chip's precision has only such
  rows and the catalog holds a higher figure from a best-over-sizes source outside the data, that
  figure stays.
- HBM rows (bytes_per_s): `hbm_efficiency_fraction`, achieved / nominal bandwidth, best over rows.
- All-reduce rows (busbw_bytes_per_s): `efficiency_fraction` of the one network tier the row
  runs on, solved by bisection through the same hierarchical ring all-reduce `micro.predict` uses;
  best over rows. Rows the model does not express are left out with the reason: NVLS (in-network
  reduction) runs and rows spanning several tiers. A full mesh used by fewer devices than it
  joins runs over their direct links only (`collectives.tiers_for`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from wafersim.catalog import Catalog, Chip, Network, Quantity
from wafersim.catalog.system import resolve
from wafersim.catalog.variants import FieldPath, efficiencies, with_quantities
from wafersim.cost.kernels.collectives import tiers_for
from wafersim.errors import ConfigError, SimError, one_line
from wafersim.validate import micro
from wafersim.validate.fitting import COMMAND, MICRO_SOURCE, Fitted, Skipped, bisect, rows_text, spread
from wafersim.validate.records import Record

DIGITS = 3
NVLS = re.compile(r"\balgo\s+NVLS\b", re.IGNORECASE)
PARAMETERS = {"gemm": "matmul_efficiency_fraction", "hbm_read": "hbm_efficiency_fraction",
              "allreduce": "efficiency_fraction"}
METRICS = {"gemm": "flops_per_s", "hbm_read": "bytes_per_s", "allreduce": "busbw_bytes_per_s"}


@dataclass(frozen=True)
class RowFit:
    """The parameter value one row implies."""

    part: str
    keys: FieldPath
    value: float
    detail: str  # what the value is made of, for the note
    sized: bool = False  # a one-shape GEMM row: a lower bound of the best over sizes


def _chip(row: Record, catalog: Catalog) -> Chip:
    return resolve(catalog, row.system).chip


def _gemm(row: Record, catalog: Catalog, measured: float) -> RowFit:
    chip, precision = _chip(row, catalog), row.precision or "bf16"
    peak = chip.peak_dense_flops_per_s.get(precision)  # type: ignore[call-overload]
    if peak is None or peak.value is None:
        raise ConfigError(f"{chip.id} has no dense {precision} peak in the catalog")
    size = row.size
    shape = f"m=n=k={size:.0f}" if size else "best over sizes"
    efficiency = measured / peak.value  # achieved / dense peak, as MAMF (Bekman, ML Engineering)
    return RowFit(chip.id, ("matmul_efficiency_fraction", precision), efficiency,
                  f"{measured / 1e12:.1f} / {peak.value / 1e12:.1f} TFLOP/s, {shape}", size is not None)


def _hbm(row: Record, catalog: Catalog, measured: float) -> RowFit:
    chip = _chip(row, catalog)
    nominal = chip.hbm_bandwidth_Bps
    if nominal is None or nominal.value is None:
        raise ConfigError(f"{chip.id} has no HBM bandwidth in the catalog")
    efficiency = measured / nominal.value  # achieved / nominal bandwidth (STREAM, McCalpin 1995)
    return RowFit(chip.id, ("hbm_efficiency_fraction",), efficiency,
                  f"{measured / 1e12:.2f} / {nominal.value / 1e12:.2f} TB/s")


def _tier(row: Record, catalog: Catalog) -> tuple[Network, int]:
    """The one network tier an all-reduce row runs on, or why the model cannot express it."""
    if NVLS.search(row.notes or ""):
        raise ConfigError("NVLS (in-network reduction) run; the micro model's all-reduce is ring")
    n = row.count or 8
    system = resolve(catalog, row.system).with_devices(n)
    tiers = tiers_for(system, n)
    if len(tiers) != 1:
        names = ", ".join(f"{link.name} x{g}" for link, g in tiers)
        raise ConfigError(f"spans {len(tiers)} tiers ({names}); one bus bandwidth cannot separate them")
    return catalog.typed(tiers[0][0].name, Network), n


def _allreduce(row: Record, catalog: Catalog, measured: float) -> RowFit:
    network, n = _tier(row, catalog)

    def predict(efficiency: float) -> float:
        q = Quantity(value=efficiency, dimension="fraction", tag="derived", source="derived")
        return micro.predict(row, with_quantities(catalog, {network.id: {("efficiency_fraction",): q}}))

    if predict(1.0) < measured:
        raise ConfigError(f"measured {measured / 1e9:.0f} GB/s exceeds the model's "
                          f"{predict(1.0) / 1e9:.0f} GB/s at efficiency 1")
    value, line = bisect(predict, measured, 0.01, 1.0), _line_Bps(network)
    return RowFit(network.id, ("efficiency_fraction",), value,
                  f"{n}x {_chip(row, catalog).id} {measured / 1e9:.1f} / {line / 1e9:.0f} GB/s")


def _line_Bps(network: Network) -> float:
    q = network.bandwidth_per_device_Bps
    if q is None or q.value is None:
        raise ConfigError(f"network {network.id} has no bandwidth_per_device in the catalog")
    return q.value


FITTERS = {"gemm": _gemm, "hbm_read": _hbm, "allreduce": _allreduce}


def row_fit(row: Record, catalog: Catalog) -> RowFit:
    """The parameter value one micro row implies; SimError says why a row cannot be used."""
    op, metric, measured = row.op or "", row.metric, row.value
    if op not in FITTERS:
        raise ConfigError(f"op {op!r} is not fitted (gemm, hbm_read, allreduce are)")
    if metric != METRICS[op]:
        raise ConfigError(f"metric {metric!r} is not {METRICS[op]}")
    return FITTERS[op](row, catalog, measured)


def _old(catalog: Catalog, part: str, keys: FieldPath) -> Quantity | None:
    return efficiencies(catalog.get(part)).get(keys)


def _fitted(catalog: Catalog, group: list[tuple[str, RowFit]]) -> Fitted:
    first = group[0][1]
    per_row = {row: f.value for row, f in group}
    best_row, best = max(group, key=lambda item: item[1].value)
    value, old = round(best.value, DIGITS), _old(catalog, first.part, first.keys)
    lo, hi, how = spread(list(per_row.values()), value, old, DIGITS)
    what = {"matmul_efficiency_fraction": "best achieved / dense peak",
            "hbm_efficiency_fraction": "best achieved / nominal",
            "efficiency_fraction": "best ring all-reduce bus bandwidth / line rate, solved through "
                                   "the all-reduce model"}[first.keys[0]]
    rows = f"; rows {rows_text(per_row, DIGITS)}" if len(group) > 1 else ""
    note = f"{what}: {best.detail} (micro row {best_row}){rows}; {how}. Command: {COMMAND}"
    kept = ""
    if (all(f.sized for _, f in group) and old is not None and old.value is not None
            and old.source != MICRO_SOURCE and old.value > value + 0.5 * 10**-DIGITS):
        kept = (f"sized GEMM rows are lower bounds of the best over sizes; the catalogued "
                f"{old.value:g} ({old.source}) stays")
    return Fitted(first.part, first.keys, old, value, lo, hi, per_row, MICRO_SOURCE, note, kept)


def fit_micro(rows: list[Record], catalog: Catalog) -> tuple[list[Fitted], list[Skipped]]:
    """Matmul, HBM and network efficiencies from the micro rows, and the rows left out."""
    groups: dict[tuple[str, FieldPath], list[tuple[str, RowFit]]] = defaultdict(list)
    skipped = []
    for row in rows:
        if row.kind != "micro":
            continue
        try:
            f = row_fit(row, catalog)
        except SimError as exc:
            parameter = PARAMETERS.get(row.op or "", row.op or "?")
            skipped.append(Skipped(row.id, parameter, one_line(str(exc))))
            continue
        groups[(f.part, f.keys)].append((row.id, f))
    return [_fitted(catalog, group) for group in groups.values()], skipped
