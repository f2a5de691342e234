"""What a claim's evaluation is: figures with units, the assumptions they rest on, a verdict.

An evaluator is a function of the catalog that computes its figures only through the library
(catalog, models, cost models); the claim's own stated figures live in `data/claims.yaml`. The
first figure is the headline one: sensitivity reports how far each ranged catalog input moves it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from wafersim.catalog import Catalog


class Verdict(StrEnum):
    holds = "holds"
    holds_only_if = "holds-only-if"
    does_not_hold = "does-not-hold"
    cannot_be_checked = "cannot-be-checked"


@dataclass(frozen=True)
class Figure:
    """One figure wafersim computes for a claim (SI units, or a plain ratio)."""

    name: str
    value: float | None  # None: not computable, the note says why
    unit: str
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "unit": self.unit, "note": self.note}


@dataclass(frozen=True)
class Evaluation:
    """A claim as wafersim computes it.

    `condition` (holds-only-if) says what must be true; `missing` (cannot-be-checked) says what
    data would settle it; `reading` is the like-for-like reading a comparison uses.
    """

    figures: tuple[Figure, ...]
    assumptions: tuple[str, ...]
    verdict: Verdict
    sentence: str
    condition: str | None = None
    missing: str | None = None
    reading: str | None = None

    def __post_init__(self) -> None:
        assert self.figures, "a claim has at least one figure (the headline)"
        assert (self.condition is not None) == (self.verdict is Verdict.holds_only_if)
        assert (self.missing is not None) == (self.verdict is Verdict.cannot_be_checked)

    @property
    def headline(self) -> Figure:
        return self.figures[0]


Evaluator = Callable[[Catalog, "ClaimText"], Evaluation]  # the catalog, the claim's own words


Economy = Literal["site", "reliability"]  # a system's economics parts (catalog/data/economics)


@dataclass(frozen=True)
class Registered:
    """An evaluator, the catalog ids whose ranged inputs its sensitivity moves, and which of
    their systems' economics parts (the site's prices and power, the failure rates) it uses."""

    evaluate: Evaluator
    inputs: tuple[str, ...]
    economy: tuple[Economy, ...] = ()


REGISTRY: dict[str, Registered] = {}


def claim(claim_id: str, inputs: tuple[str, ...] = (),
          economy: tuple[Economy, ...] = ()) -> Callable[[Evaluator], Evaluator]:
    """Register `fn` as the evaluator of `claim_id`; `inputs`: the systems, chips or parts whose
    ranged quantities can move its figure; `economy`: the parts of those systems' economics
    ("site": cost and power; "reliability": failures) whose ranged quantities can move it too."""
    def register(fn: Evaluator) -> Evaluator:
        assert claim_id not in REGISTRY, f"{claim_id} registered twice"
        REGISTRY[claim_id] = Registered(fn, inputs, economy)
        return fn
    return register


@dataclass(frozen=True)
class Stated:
    """A figure as the vendor or article states it."""

    name: str
    value: float | None
    unit: str
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "unit": self.unit, "text": self.text}


@dataclass(frozen=True)
class ClaimText:
    """A claim of the seed list: its words, its article and its stated figures."""

    id: str
    text: str
    article: str
    stated: tuple[Stated, ...] = field(default_factory=tuple)

    def figure(self, name: str) -> float:
        """The stated figure called `name` (data/C<n>.yaml)."""
        for s in self.stated:
            if s.name == name and s.value is not None:
                return s.value
        raise KeyError(f"{self.id} states no figure {name!r}")
