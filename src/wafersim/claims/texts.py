"""The seed claims' own words and stated figures (`data/C<n>.yaml`, one file per claim), each
naming the article it comes from (../shared/seeds/<article>)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from wafersim.claims.claim import ClaimText, Stated
from wafersim.errors import ConfigError

DATA_DIR = Path(__file__).parent / "data"


def _stated(raw: dict[str, Any], where: str) -> Stated:
    try:
        value = raw.get("value")
        return Stated(str(raw["name"]), None if value is None else float(value), str(raw["unit"]),
                      str(raw["text"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: a stated figure needs name, value, unit and text ({exc})") from None


def _read(path: Path) -> ClaimText:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    where = path.name
    stated = tuple(_stated(s, where) for s in raw.get("stated") or [])
    return ClaimText(str(raw["id"]), str(raw["text"]), str(raw["article"]), stated)


@cache
def claim_texts() -> dict[str, ClaimText]:
    """Every seed claim by id, in C1..C32 order."""
    texts = [_read(p) for p in sorted(DATA_DIR.glob("C*.yaml"))]
    return {t.id: t for t in sorted(texts, key=lambda t: int(t.id[1:]))}
