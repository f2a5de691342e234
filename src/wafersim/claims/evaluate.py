"""Evaluate claims: each registered evaluator on the catalog, its sensitivity, and its words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wafersim.catalog import Catalog, load_catalog
from wafersim.claims import (  # noqa: F401 (each module registers its claims' evaluators)
    aws,
    cerebras,
    cerebras_systems,
    competitors,
    inference,
    training,
    training_clusters,
)
from wafersim.claims.claim import REGISTRY, ClaimText, Evaluation, Verdict
from wafersim.claims.sensitivity import Moved, sensitivity
from wafersim.claims.texts import claim_texts
from wafersim.errors import ConfigError


@dataclass(frozen=True)
class ClaimResult:
    """A claim, its stated figures, wafersim's evaluation and what moves it."""

    claim: ClaimText
    evaluation: Evaluation
    sensitivity: tuple[Moved, ...]

    @property
    def flips(self) -> tuple[Moved, ...]:
        return tuple(m for m in self.sensitivity if m.verdict != self.evaluation.verdict)

    def to_json(self) -> dict[str, Any]:
        e = self.evaluation
        return {"id": self.claim.id, "text": self.claim.text, "article": self.claim.article,
                "stated": [s.to_json() for s in self.claim.stated],
                "figures": [f.to_json() for f in e.figures], "assumptions": list(e.assumptions),
                "verdict": str(e.verdict), "sentence": e.sentence, "condition": e.condition,
                "missing": e.missing, "reading": e.reading,
                "sensitivity": [m.to_json() for m in self.sensitivity],
                "verdict_flips": [m.to_json() for m in self.flips]}


def claim_ids() -> list[str]:
    return list(claim_texts())


def evaluate_claims(ids: list[str] | None = None, catalog: Catalog | None = None,
                    with_sensitivity: bool = True) -> list[ClaimResult]:
    """The claims `ids` (default: every one), in C1..C32 order."""
    texts, cat = claim_texts(), catalog or load_catalog()
    wanted = ids or list(texts)
    unknown = [i for i in wanted if i not in texts]
    if unknown:
        raise ConfigError(f"unknown claim id {unknown[0]!r}; the claims are {', '.join(texts)}")
    missing = [i for i in wanted if i not in REGISTRY]
    if missing:
        raise ConfigError(f"claim {missing[0]} has no evaluator yet")
    out = []
    for claim_id in sorted(dict.fromkeys(wanted), key=lambda i: int(i[1:])):
        reg = REGISTRY[claim_id]
        e = reg.evaluate(cat, texts[claim_id])
        moved = sensitivity(reg, cat, texts[claim_id], e) if with_sensitivity else ()
        out.append(ClaimResult(texts[claim_id], e, moved))
    return out


VERDICTS = tuple(Verdict)
