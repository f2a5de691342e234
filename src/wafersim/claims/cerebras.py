"""Claims about Cerebras hardware and systems (C1-C5, C11-C14, C16): figures from the catalog."""

from __future__ import annotations

from wafersim.catalog import Catalog, Chip
from wafersim.claims.claim import ClaimText, Evaluation, Figure, claim
from wafersim.claims.common import ratio_verdict, value_of


@claim("C3", inputs=("wse-3", "h100-sxm"))
def c3(cat: Catalog, text: ClaimText) -> Evaluation:
    """Transistor and area ratios of WSE-3 to H100, straight from the two chips' catalog entries."""
    wse, h100 = cat.typed("wse-3", Chip), cat.typed("h100-sxm", Chip)
    transistors = value_of(wse.transistors_count) / value_of(h100.transistors_count)
    area = value_of(wse.die_area_mm2) / value_of(h100.die_area_mm2)
    verdict, sentence = ratio_verdict({"transistors": (transistors, text.figure("transistor ratio")),
                                       "area": (area, text.figure("area ratio"))}, 0.05)
    return Evaluation(
        (Figure("transistor ratio WSE-3 / H100", transistors, "x"),
         Figure("area ratio WSE-3 / H100", area, "x")),
        ("transistor counts and die areas as catalogued (wse-3, h100-sxm)",),
        verdict, sentence)
