"""Rows of published measurements in the schema of the validation README (public.csv).

Every field is kept as text; typed accessors turn empty fields into None. Plan fields that are
filled are constraints for the prediction; empty ones are searched.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from wafersim.errors import ConfigError
from wafersim.plan.train import Constraints

REQUIRED = ("id", "kind", "system", "metric", "value", "source")


@dataclass(frozen=True)
class Record:
    """One published figure."""

    fields: dict[str, str]

    def text(self, name: str) -> str | None:
        value = self.fields.get(name, "").strip()
        return value or None

    def int(self, name: str) -> int | None:
        value = self.text(name)
        try:
            return None if value is None else int(float(value))
        except ValueError:
            raise ConfigError(f"row {self.id}: {name} {value!r} is not a number") from None

    def float(self, name: str) -> float | None:
        value = self.text(name)
        try:
            return None if value is None else float(value)
        except ValueError:
            raise ConfigError(f"row {self.id}: {name} {value!r} is not a number") from None

    @property
    def id(self) -> str:
        return self.fields.get("id", "?")

    @property
    def year(self) -> int | None:
        """Latest year the source names (the software era of the run), if any."""
        years = [int(y) for y in re.findall(r"\b(20[0-3]\d)\b", self.fields.get("source", ""))]
        return max(years) if years else None

    def constraints(self) -> Constraints:
        """The plan fields the row fixes."""
        return Constraints(tp=self.int("tp"), pp=self.int("pp"), dp=self.int("dp"),
                           cp=self.int("cp"), ep=self.int("ep"),
                           micro_batch=self.int("micro_batch"))


def read(path: str | Path | None = None) -> list[Record]:
    """Rows of a CSV in the public.csv schema (default: the set shipped with wafersim)."""
    if path is None:
        text = resources.files("wafersim.validate").joinpath("data/public.csv").read_text()
        name = "the built-in public.csv"
    else:
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc.strerror}; give an existing CSV file") from None
        name = str(path)
    rows = list(csv.DictReader(text.splitlines()))
    if rows and (missing := [c for c in REQUIRED if c not in rows[0]]):
        raise ConfigError(f"{name} lacks the column(s) {', '.join(missing)}; see the schema in "
                          "docs/validation.md")
    return [Record(r) for r in rows]
