"""The checked collection of catalog parts: lookup by id, references and sources verified."""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel

from wafersim.catalog.schema import (
    AnyPart,
    Architecture,
    Chip,
    Cluster,
    Framework,
    MemoryService,
    Network,
    Node,
    Part,
    Quantity,
    Reliability,
    Site,
    Source,
    Stack,
)
from wafersim.errors import ConfigError, UnknownIdError

P = TypeVar("P", bound=Part)

# (field, kind it must point to) for every reference between parts.
REFERENCES: dict[type[Part], list[tuple[str, type[Part]]]] = {
    Chip: [("default_node", Node), ("reliability", Reliability)],
    Node: [("chip", Chip), ("scale_out", Network), ("memory_service", MemoryService),
           ("broadcast_reduce", Network)],
    Cluster: [("node", Node), ("scale_out", Network), ("memory_service", MemoryService),
              ("broadcast_reduce", Network)],
    MemoryService: [],
    Network: [],
    Stack: [],
    Framework: [],
    Architecture: [],
    Site: [],
    Reliability: [],
}


def quantities(obj: BaseModel, path: str = "") -> Iterator[tuple[str, Quantity]]:
    """Every quantity inside a part, with its dotted field path."""
    for name in type(obj).model_fields:
        value = getattr(obj, name)
        where = f"{path}.{name}" if path else name
        if isinstance(value, Quantity):
            yield where, value
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, Quantity):
                    yield f"{where}.{getattr(key, 'value', key)}", item
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from quantities(item, f"{where}[{i}]")
        elif isinstance(value, BaseModel):
            yield from quantities(value, where)


# stack parameters a chip's default stack may not set: its runs are what the chip is fitted on
DEFAULT_FREE = (*Stack.SPEED_RATIOS, *Stack.SPECULATION, "step_s", "per_layer_s",
                "per_request_step_s", "speedup_ratio")


class Catalog:
    """All parts by id, plus the citations their quantities point to."""

    def __init__(self, parts: Mapping[str, AnyPart], sources: dict[str, Source]):
        self.parts: dict[str, AnyPart] = dict(sorted(parts.items()))
        self.sources = sources
        for part in self.parts.values():
            self._check_references(part)
            self._check_sources(part)
        self._check_defaults()
        self._check_default_frameworks()

    def _check_references(self, part: Part) -> None:
        pairs = list(REFERENCES[type(part)])
        if isinstance(part, Node):
            pairs += [(f"scale_up[{i}].network", Network) for i in range(len(part.scale_up))]
        for field, kind in pairs:
            ref = _dotted(part, field)
            if ref is not None:
                self._expect(ref, kind, f"{part.origin}: field '{field}'")
        if isinstance(part, MemoryService):
            for i, ref in enumerate(part.for_nodes):
                self._expect(ref, Node, f"{part.origin}: field 'for_nodes[{i}]'")
        if isinstance(part, Stack | Framework | Architecture):
            for i, ref in enumerate(part.chips):
                self._expect(ref, Chip, f"{part.origin}: field 'chips[{i}]'")
        if isinstance(part, Stack | Framework):
            for i, ref in enumerate(part.default_for):
                self._expect(ref, Chip, f"{part.origin}: field 'default_for[{i}]'")
                if part.chips and ref not in part.chips:
                    raise ConfigError(f"{part.origin}: field 'default_for[{i}]': {ref} is not one "
                                      "of the part's chips; add it to chips or remove it")
        if isinstance(part, Chip) and part.wafer and part.wafer.architecture:
            self._expect(part.wafer.architecture, Architecture, f"{part.origin}: field "
                         "'wafer.architecture'")

    def _expect(self, ref: str, kind: type[Part], where: str) -> None:
        target = self.parts.get(ref)
        if target is None:
            raise ConfigError(f"{where}: no {kind.__name__.lower()} with id {ref!r}"
                              f"{self._suggest_suffix(ref)}")
        if not isinstance(target, kind):
            raise ConfigError(f"{where}: {ref!r} is a {target.kind}, not a "
                              f"{kind.__name__.lower()}; point it at a {kind.__name__.lower()} id")

    def _check_sources(self, part: Part) -> None:
        for path, q in quantities(part):
            if q.source is not None and q.source not in self.sources and q.source not in part.sources:
                raise ConfigError(f"{part.origin}: field '{path}': source {q.source!r} is not "
                                  "defined; add it under 'sources:' in the file or in sources.yaml")

    def _suggest_suffix(self, ref: str) -> str:
        close = difflib.get_close_matches(ref, list(self.parts), n=3, cutoff=0.5)
        return f"; did you mean {', '.join(close)}?" if close else ""

    def get(self, part_id: str) -> AnyPart:
        """The part with this id; unknown ids raise with the closest ids suggested."""
        try:
            return self.parts[part_id]
        except KeyError:
            suggestion = self._suggest_suffix(part_id) or "; run 'wafersim systems' to list ids"
            raise UnknownIdError(f"unknown system id {part_id!r}{suggestion}") from None

    def typed(self, part_id: str, kind: type[P]) -> P:
        part = self.get(part_id)
        if not isinstance(part, kind):
            raise ConfigError(f"{part_id!r} is a {part.kind}, not a {kind.__name__.lower()}")
        return part

    def stack(self, stack_id: str) -> Stack:
        """The serving stack with this id; unknown ids raise with the known ones listed."""
        found = self.parts.get(stack_id)
        if not isinstance(found, Stack):
            known = ", ".join(s.id for s in self.of_kind(Stack)) or "none"
            raise UnknownIdError(f"unknown serving stack {stack_id!r}; known stacks: {known}")
        return found

    def _check_defaults(self) -> None:
        """No chip has two default serving stacks, and a default stack changes nothing."""
        seen: dict[str, Stack] = {}
        for stack in self.of_kind(Stack):
            fitted = [n for n in DEFAULT_FREE if getattr(stack, n) is not None
                      and getattr(stack, n).value is not None]
            if stack.default_for and (fitted or not stack.graph_capture):
                raise ConfigError(f"{stack.origin}: a default stack ({', '.join(stack.default_for)}) "
                                  f"runs at the chip's fitted efficiency; drop "
                                  f"{', '.join(fitted) or 'graph_capture: false'} or default_for")
            for chip in stack.default_for:
                if chip in seen:
                    raise ConfigError(f"{stack.origin}: field 'default_for': {chip} already has the "
                                      f"default stack {seen[chip].id} ({seen[chip].origin}); keep "
                                      "one default per chip")
                seen[chip] = stack

    def default_stack(self, chip_id: str) -> Stack | None:
        """The stack whose runs a chip's serving efficiency is fitted on (its `default_for`
        names the chip), or None where the catalog names none."""
        return next((s for s in self.of_kind(Stack) if chip_id in s.default_for), None)

    def framework(self, name: str) -> Framework:
        """The training framework `name` names (`engine` or `engine:release`); unknown engines, and
        releases the framework's parameters do not cover, raise with the known ones listed."""
        engine, _, release = name.partition(":")
        found = self.parts.get(engine)
        if not isinstance(found, Framework):
            known = ", ".join(f.id for f in self.of_kind(Framework)) or "none"
            raise UnknownIdError(f"unknown training framework {name!r}; known frameworks: {known}")
        if release and not found.covers(release):
            raise UnknownIdError(f"training framework {engine} has no release {release!r} in the "
                                 f"catalog; known releases: {', '.join(found.releases)}, or name "
                                 f"{engine} alone")
        return found

    def _check_default_frameworks(self) -> None:
        """No chip has two default frameworks, and a default framework changes nothing."""
        seen: dict[str, Framework] = {}
        for fw in self.of_kind(Framework):
            if fw.default_for and fw.speed != 1.0:
                raise ConfigError(f"{fw.origin}: a default framework ({', '.join(fw.default_for)}) "
                                  "runs at the chip's fitted efficiency; drop speed_ratio or "
                                  "default_for")
            for chip in fw.default_for:
                if chip in seen:
                    raise ConfigError(f"{fw.origin}: field 'default_for': {chip} already has the "
                                      f"default framework {seen[chip].id}; keep one per chip")
                seen[chip] = fw

    def of_kind(self, kind: type[P]) -> list[P]:
        return [p for p in self.parts.values() if isinstance(p, kind)]

    def source(self, part: Part, ref: str | None) -> Source | None:
        if ref is None:
            return None
        return part.sources.get(ref) or self.sources.get(ref)

    def __contains__(self, part_id: object) -> bool:
        return part_id in self.parts

    def __len__(self) -> int:
        return len(self.parts)


def _dotted(obj: object, path: str) -> str | None:
    found: Any = obj  # each step is a field named at run time: a sub-model, a list, then the id
    for piece in path.replace("]", "").split("."):
        name, _, index = piece.partition("[")
        found = getattr(found, name)
        if index:
            found = found[int(index)]
    return found
