"""The claims as Markdown: docs/claims.md is this text after its hand-written preface
(`data/preface.md`); a test keeps the committed doc equal to what the command prints."""

from __future__ import annotations

from wafersim.claims.evaluate import ClaimResult
from wafersim.claims.texts import DATA_DIR
from wafersim.units import fmt


def shown_value(value: float | None, unit: str) -> str:
    """A figure in the units people read (`units.fmt`), a ratio as 5.45x, unknown as '-'."""
    if value is None:
        return "-"
    if unit in ("x", "", "fraction"):
        shown = f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"
        return shown + ("x" if unit == "x" else "")
    return fmt(value, unit)


def _table(results: list[ClaimResult]) -> list[str]:
    lines = ["| claim | verdict | headline figure |", "|---|---|---|"]
    for r in results:
        h = r.evaluation.headline
        lines.append(f"| [{r.claim.id}](#{r.claim.id.lower()}) | {r.evaluation.verdict} | "
                     f"{h.name}: {shown_value(h.value, h.unit)} |")
    return lines


def _section(r: ClaimResult) -> list[str]:
    e = r.evaluation
    lines = [f"## {r.claim.id}", "", f"> {r.claim.text}", "", f"Article: `{r.claim.article}`.", ""]
    lines += [f"- stated: {s.name} {shown_value(s.value, s.unit)} ({s.text})" for s in r.claim.stated]
    lines += [f"- wafersim: {f.name} {shown_value(f.value, f.unit)}" + (f" ({f.note})" if f.note else "")
              for f in e.figures]
    lines += ["", f"**Verdict: {e.verdict}.** {e.sentence}"]
    lines += [f"Holds only if: {e.condition}"] if e.condition else []
    lines += [f"Missing: {e.missing}"] if e.missing else []
    lines += [f"Like for like: {e.reading}"] if e.reading else []
    lines += ["", "Assumptions:", *[f"- {a}" for a in e.assumptions]]
    if r.sensitivity:
        lines += ["", "| input | end | value | headline | verdict |", "|---|---|---|---|---|"]
        lines += [f"| {m.part} {m.field} | {m.side} | {m.value:.4g} | "
                  f"{shown_value(m.headline, e.headline.unit)} | {m.verdict or 'not computable'} |"
                  for m in r.sensitivity]
        flips = "none" if not r.flips else ", ".join(f"{m.part} {m.field} ({m.side})" for m in r.flips)
        lines += ["", f"Inputs that flip the verdict alone: {flips}."]
    return lines + [""]


def markdown(results: list[ClaimResult]) -> str:
    """The preface, the verdict table, then one section per claim."""
    preface = (DATA_DIR / "preface.md").read_text(encoding="utf-8").rstrip("\n")
    body = _table(results) + [""]
    for r in results:
        body += _section(r)
    return preface + "\n\n" + "\n".join(body).rstrip("\n") + "\n"
