"""The report's tables as HTML: serving and training across the systems, validation rows and
summary, and the claims. Every cell is escaped; numbers are shown in the units people read."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from wafersim.api import CompareRow
from wafersim.claims.evaluate import ClaimResult
from wafersim.claims.markdown import shown_value
from wafersim.figures.contents import ReportContents, TrainingRow
from wafersim.units import fmt_count, fmt_time, fmt_usd

BASIS = {"tco": "basis tco: buying the hardware, spread over the site's depreciation life, plus "
                "facility rent and electricity",
         "rental": "basis rental: the systems' hourly cloud prices"}


def basis(pricing: str) -> str:
    """The sentence naming what a dollar figure on `pricing` counts."""
    return BASIS.get(pricing, f"basis {pricing}")


def table(heads: Sequence[str], rows: Sequence[Sequence[str]], caption: str = "",
          numeric_from: int = 1) -> str:
    """An HTML table; columns from `numeric_from` on are right-aligned (figures)."""
    def cells(row: Sequence[str], tag: str) -> str:
        return "".join(f'<{tag}{" class=num" if i >= numeric_from else ""}>{escape(c)}</{tag}>'
                       for i, c in enumerate(row))
    head = f"<caption>{escape(caption)}</caption>" if caption else ""
    body = "".join(f"<tr>{cells(r, 'td')}</tr>" for r in rows)
    return (f'<div class="table-wrap"><table>{head}<thead><tr>{cells(heads, "th")}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def _known(value: float | None, template: str, scale: float = 1.0) -> str:
    return "-" if value is None else template.format(value * scale)


def _serving_cells(row: CompareRow) -> list[str]:
    c = row.columns
    if row.error:
        return [row.system, f"cannot serve: {row.error}", *[""] * 7]
    power = None if c["energy_per_token_J"] is None else (
        c["energy_per_token_J"] * c["max_throughput_tokens_per_s"])  # J/token x token/s = W
    return [row.system, f"{c['devices']:,}", f"{c['user_tokens_per_s']:,.0f}", fmt_time(c["ttft_s"]),
            f"{c['max_throughput_tokens_per_s']:,.0f}", f"{c['max_throughput_batch']:,}",
            _known(power, "{:,.1f}", 1e-3), fmt_usd(c["usd_per_million_tokens"]),
            _known(c["energy_per_token_J"], "{:.3g}")]


def serving_table(contents: ReportContents) -> str:
    """One row per system: speed per user at batch 1, the max-throughput point, power, cost."""
    heads = ["system", "devices", "tok/s per user (batch 1)", "TTFT (batch 1)", "max tok/s total",
             "at batch", "power at max (kW)", f"$/M tokens ({contents.pricing})", "J/token"]
    caption = (f"Inference: {contents.model}, {contents.input_tokens:,} prompt + "
               f"{contents.output_tokens:,} output tokens, bf16")
    return table(heads, [_serving_cells(r) for r in contents.serving], caption)


def _training_cells(row: TrainingRow) -> list[str]:
    r = row.result
    if r is None:
        return [row.system, f"cannot train: {row.error}", *[""] * 7]
    e = r.economy
    return [row.system, f"{r.devices:,}", fmt_time(r.wall_time_s), fmt_count(r.tokens_per_s),
            f"{r.mfu:.1%}", f"{r.goodput:.1%}",
            _known(e.facility_power_W if e else None, "{:,.2f}", 1e-6),
            _known(r.energy_J, "{:,.1f}", 1 / 3.6e9), fmt_usd(r.cost_usd)]


def training_table(contents: ReportContents) -> str:
    """One row per system: wall time, tokens/s, MFU, goodput, facility power, energy, cost."""
    heads = ["system", "devices", "wall time", "tokens/s", "MFU", "goodput", "facility MW",
             "energy (MWh)", f"cost ({contents.pricing})"]
    caption = (f"Training: {contents.model} on {fmt_count(contents.tokens)} tokens, "
               f"{contents.train_devices:,} devices (or wafer systems) per system, fastest plan")
    return table(heads, [_training_cells(r) for r in contents.training], caption)


def _measured(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def validation_table(contents: ReportContents) -> str:
    """Every published measurement beside the prediction (c: a calibration row)."""
    rows = [[o.id + (" c" if o.calibration else ""), o.system, o.model, o.metric,
             _measured(o.measured), _measured(o.predicted),
             f"{o.error_pct:+.1f}%" if o.error_pct is not None else f"skipped: {o.reason}"]
            for o in contents.validation]
    heads = ["row", "system", "model", "metric", "measured", "predicted", "error"]
    return table(heads, rows, "Predicted vs measured (c: calibration row)", numeric_from=4)


def summary_table(summary: dict[str, Any]) -> str:
    """Absolute error per kind, over all rows and over the held-out ones."""
    rows = []
    for title, key in (("all rows", "per_kind"), ("held-out", "held_out_per_kind")):
        for kind, s in summary.get(key, {}).items():
            if s.get("n"):
                rows.append([f"{kind} ({title})", f"{s['n']:,}", f"{s['median_abs_error_pct']:.1f}%",
                             f"{s['mean_abs_error_pct']:.1f}%", f"{s['max_abs_error_pct']:.1f}%"])
    return table(["kind", "rows", "median |error|", "mean", "max"], rows,
                 f"Absolute error; skipped rows: {summary.get('skipped', 0)}")


REASONS = (("condition", "Holds only if"), ("missing", "Would be settled by"),
           ("reading", "Like-for-like reading"))


def _reasons(claim: dict[str, Any]) -> str:
    """The verdict's sentence, then its condition, missing data, reading and what flips it."""
    flips = ", ".join(sorted({f"{m['part']} {m['field']}" for m in claim["verdict_flips"]}))
    named = [(title, claim[key]) for key, title in REASONS if claim[key]]
    named += [("Flips within a range", flips)] if flips else []
    return f"<p>{escape(claim['sentence'])}</p>" + "".join(
        f"<p><b>{escape(title)}:</b> {escape(text)}</p>" for title, text in named)


def _claim_block(result: ClaimResult) -> str:
    c = result.to_json()
    figures = "".join(f"<li>{escape(f['name'])}: {escape(shown_value(f['value'], f['unit']))}"
                      + (f" <span class=note>({escape(f['note'])})</span>" if f["note"] else "")
                      + "</li>" for f in c["figures"])
    verdict = escape(c["verdict"])
    return (f'<article class="claim" id="claim-{escape(c["id"].lower())}"><h3>{escape(c["id"])} '
            f'<span class="verdict v-{verdict}">{verdict.replace("-", " ")}</span></h3>'
            f"<blockquote>{escape(c['text'])}</blockquote><ul>{figures}</ul>"
            f"{_reasons(c)}</article>")


def claims_section(contents: ReportContents) -> str:
    """A verdict count, then each claim: its words, verdict, key figures and reasons."""
    verdicts = [str(r.evaluation.verdict) for r in contents.claims]
    counts = ", ".join(f"{verdicts.count(v)} {v.replace('-', ' ')}" for v in sorted(set(verdicts)))
    return f"<p>{escape(counts)}</p>" + "".join(_claim_block(r) for r in contents.claims)
