"""Sweep specs: a YAML grid (or a seeded random sample) of points, each a frozen typed question.

A spec names its `kind` (train, infer or serve), lists values per field under `grid:` and either
takes every combination or, with `sample: {n, seed}`, n combinations drawn with that seed. Every
point carries a stable hash: sha256 of its canonical JSON and the wafersim version.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticError

import wafersim
from wafersim.catalog import Catalog
from wafersim.catalog.system import resolve
from wafersim.errors import ConfigError, reading
from wafersim.models import load_model

Kind = Literal["train", "infer", "serve"]
Pricing = Literal["tco", "rental"]
FROZEN = ConfigDict(frozen=True, extra="forbid")
POINTS_MAX = 2_000_000  # a sweep past this is a typo, not a question


class SweepPoint(BaseModel):
    """One question of a sweep; fields a kind does not use stay None."""

    model_config = FROZEN
    kind: Kind
    model: str
    system: str
    count: int | None = Field(None, ge=1)
    precision: str = "bf16"
    pricing: Pricing = "tco"
    tp: int | None = Field(None, ge=1)
    pp: int | None = Field(None, ge=1)
    ep: int | None = Field(None, ge=1)
    tokens: float | None = Field(None, gt=0)
    global_batch: int | None = Field(None, ge=1)
    seq_len: int | None = Field(None, ge=1)
    batch: int | None = Field(None, ge=1)
    input_tokens: int | None = Field(None, ge=1)
    output_tokens: int | None = Field(None, ge=1)
    requests: int | None = Field(None, ge=1, le=100_000)
    rate_per_s: float | None = Field(None, gt=0)
    concurrency: int | None = Field(None, ge=1)

    def canonical(self) -> str:
        """The point as canonical JSON (sorted keys, no spaces)."""
        return json.dumps(self.model_dump(), sort_keys=True, separators=(",", ":"))

    def key(self) -> str:
        """sha256 of the canonical JSON and the wafersim version: the point's id in a store."""
        return self._key

    @cached_property
    def _key(self) -> str:
        return hashlib.sha256(f"{self.canonical()}|{wafersim.__version__}".encode()).hexdigest()

    def model_copy(self, *, update: Mapping[str, Any] | None = None,
                   deep: bool = False) -> SweepPoint:
        """A copy (with `update`), its hash computed afresh."""
        copy = super().model_copy(update=update, deep=deep)
        copy.__dict__.pop("_key", None)
        return copy

    def siblings(self) -> str:
        """What points differing only in batch share (they are served in one call)."""
        return repr(tuple(getattr(self, name) for name in SIBLING_FIELDS))


FIELDS = tuple(name for name in SweepPoint.model_fields if name != "kind")
SIBLING_FIELDS = tuple(name for name in SweepPoint.model_fields if name != "batch")


class Grid(BaseModel):
    """Values per field; each list non-empty; a field left out takes its default."""

    model_config = FROZEN
    model: list[str] = Field(min_length=1)
    system: list[str] = Field(min_length=1)
    count: list[int] | None = Field(None, min_length=1)
    precision: list[str] | None = Field(None, min_length=1)
    pricing: list[Pricing] | None = Field(None, min_length=1)
    tp: list[int] | None = Field(None, min_length=1)
    pp: list[int] | None = Field(None, min_length=1)
    ep: list[int] | None = Field(None, min_length=1)
    tokens: list[float] | None = Field(None, min_length=1)
    global_batch: list[int] | None = Field(None, min_length=1)
    seq_len: list[int] | None = Field(None, min_length=1)
    batch: list[int] | None = Field(None, min_length=1)
    input_tokens: list[int] | None = Field(None, min_length=1)
    output_tokens: list[int] | None = Field(None, min_length=1)
    requests: list[int] | None = Field(None, min_length=1)
    rate_per_s: list[float] | None = Field(None, min_length=1)
    concurrency: list[int] | None = Field(None, min_length=1)

    def axes(self) -> dict[str, list[Any]]:
        """The fields given, in declaration order, with their values."""
        return {name: list(getattr(self, name)) for name in FIELDS if getattr(self, name) is not None}


class Sample(BaseModel):
    """n combinations of the grid's values drawn with `seed` (numpy's default generator)."""

    model_config = FROZEN
    n: int = Field(ge=1, le=POINTS_MAX)
    seed: int = Field(ge=0)


class SweepSpec(BaseModel):
    """A sweep: its kind, the grid, optionally a sample of it."""

    model_config = FROZEN
    kind: Kind
    grid: Grid
    sample: Sample | None = None

    def points(self) -> list[SweepPoint]:
        """Every point, distinct, in the spec's order (grid order, or draw order)."""
        axes = self.grid.axes()
        combos = _sampled(axes, self.sample) if self.sample else itertools.product(*axes.values())
        seen: dict[str, SweepPoint] = {}
        for combo in combos:
            point = _point(self.kind, dict(zip(axes, combo, strict=True)))
            seen.setdefault(point.key(), point)
        return list(seen.values())

    def size(self) -> int:
        """Combinations the grid spans (before a sample)."""
        return int(np.prod([len(v) for v in self.grid.axes().values()], dtype=np.float64))


def _sampled(axes: dict[str, list[Any]], sample: Sample) -> list[tuple[Any, ...]]:
    rng = np.random.default_rng(sample.seed)
    picks = [rng.integers(0, len(values), size=sample.n) for values in axes.values()]
    return [tuple(values[int(p[i])] for values, p in zip(axes.values(), picks, strict=True))
            for i in range(sample.n)]


def _point(kind: str, fields: dict[str, Any]) -> SweepPoint:
    try:
        return SweepPoint(kind=kind, **fields)  # type: ignore[arg-type]
    except PydanticError as exc:
        raise ConfigError(f"sweep point {fields}: {_first(exc)}") from None


def _first(exc: PydanticError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "spec"
    return f"{where}: {err['msg']}"


def parse_spec(data: Any, catalog: Catalog, source: str = "spec") -> SweepSpec:
    """A validated spec from parsed YAML; unknown fields, empty lists, unknown models or
    systems and sweeps past POINTS_MAX are ConfigErrors naming the place."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a sweep spec is a mapping with kind and grid")
    try:
        spec = SweepSpec.model_validate(data)
    except PydanticError as exc:
        raise ConfigError(f"{source}: {_first(exc)}") from None
    if spec.size() > POINTS_MAX and spec.sample is None:
        raise ConfigError(f"{source}: the grid spans {spec.size():,.0f} points, over "
                          f"{POINTS_MAX:,}; narrow it or sample it")
    for model in spec.grid.model:
        load_model(model)
    for system in spec.grid.system:
        resolve(catalog, system)
    return spec


def load_spec(path: str | Path, catalog: Catalog) -> SweepSpec:
    """A spec from a YAML file."""
    with reading(path, "give a YAML sweep spec (docs/sweeps.md)"):
        text = Path(path).read_text()
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc.__class__.__name__})") from None
    return parse_spec(data, catalog, str(path))
