"""Read catalog directories into one checked `Catalog`.

The built-in data ships in ``wafersim/catalog/data``; users add directories with `load_catalog`'s
`extra_dirs` or the ``WAFERSIM_CATALOG`` environment variable (several joined by the OS path
separator). A user part with the id of a built-in one replaces it (it must be of the same kind);
two user directories may not give the same id. Each YAML file holds one part
(``kind:`` chip, node, cluster, memory_service or network); a file named ``sources.yaml`` holds
shared citations.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pydantic
import yaml

from wafersim.catalog.catalog import Catalog
from wafersim.catalog.convert import at, convert
from wafersim.catalog.schema import KINDS, AnyPart, Source
from wafersim.errors import ConfigError, ParameterError, literal, one_line, reading, shown

BUILTIN_DIR = Path(__file__).parent / "data"
ENV_VAR = "WAFERSIM_CATALOG"
if TYPE_CHECKING:
    _Base = yaml.SafeLoader
else:
    _Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser when libyaml is present


class SafeLoader(_Base):
    """The safe loader (the C parser when libyaml is present), refusing a key given twice in
    one mapping: YAML keeps the last silently, hiding the first."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value != "<<":
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key '{key_node.value}' is given twice", key_node.start_mark)
                seen.add(key_node.value)
        return super().construct_mapping(node, deep)

    def construct_long_int(self, node: yaml.ScalarNode) -> Any:
        if len(node.value) > 100:  # Python refuses to read integers of over 4300 digits
            raise yaml.constructor.ConstructorError(
                None, None, f"an integer of {len(node.value)} digits", node.start_mark)
        return self.construct_yaml_int(node)


SafeLoader.add_constructor("tag:yaml.org,2002:int", SafeLoader.construct_long_int)


def _read_yaml(path: Path) -> Any:
    try:
        with reading(path, "YAML text"):
            return yaml.load(path.read_text(encoding="utf-8"), Loader=SafeLoader)  # noqa: S506 (safe loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        problem = one_line(str(getattr(exc, "problem", None) or exc))
        raise ConfigError(f"{path}:{line} is not valid YAML ({problem}); fix the syntax") from None


def _pydantic_message(exc: pydantic.ValidationError, file: str) -> str:
    err = exc.errors()[0]
    path = ".".join(str(p) for p in err["loc"])
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "missing":
        msg = "is required; add it"
    elif err["type"] == "string_pattern_mismatch":
        msg = (f"{shown(err.get('input'))} must be lower-case letters, digits, '.' and '-', "
               "starting with a letter or digit")
    elif err["type"] in ("enum", "literal_error", "string_type", "bool_parsing", "bool_type"):
        msg = f"{msg} (got {shown(err.get('input'))})"
    return f"{at(file, path)}: {msg}"


def parse_part(raw: Any, file: str) -> AnyPart:
    """Validate one file's mapping into a frozen part."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{file}: must be a mapping with 'kind: chip|node|cluster|"
                          "memory_service|network'")
    kind = raw.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise ConfigError(f"{file}: field 'kind': {shown(kind)} is not one of "
                          f"{', '.join(KINDS)}; set kind to the part's kind")
    cls = KINDS[kind]
    try:
        return cls.model_validate({**convert(raw, cls, file), "origin": file})
    except pydantic.ValidationError as exc:
        raise ConfigError(_pydantic_message(exc, file)) from None


def _parse_sources(raw: Any, file: str) -> dict[str, Source]:
    if not isinstance(raw, dict) or not isinstance(raw.get("sources"), dict):
        raise ConfigError(f"{file}: a sources file must hold 'sources: {{id: {{citation, url}}}}'")
    try:
        return {str(k): Source.model_validate(v) for k, v in raw["sources"].items()}
    except pydantic.ValidationError as exc:
        raise ConfigError(_pydantic_message(exc, file)) from None


def _files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        state = "is not a directory" if directory.exists() else "does not exist"
        raise ParameterError("extra_dirs", str(directory), f"catalog directory "
                             f"{literal(directory)} {state}; pass an existing directory "
                             f"to {{extra_dirs.flag}} or {ENV_VAR}", allowed="existing directories")
    return sorted(p for p in directory.rglob("*") if p.suffix in (".yaml", ".yml"))


def _load_dir(directory: Path, user: bool) -> tuple[dict[str, AnyPart], dict[str, Source]]:
    parts: dict[str, AnyPart] = {}
    sources: dict[str, Source] = {}
    for path in _files(directory):
        label = str(path) if user else path.name
        raw = _read_yaml(path)
        if path.stem == "sources":
            for key, src in _parse_sources(raw, label).items():
                if key in sources:
                    raise ConfigError(f"{label}: source id {key!r} is defined twice; "
                                      "rename one of them")
                sources[key] = src
            continue
        part = parse_part(raw, label)
        if part.id in parts:
            raise ConfigError(f"{label}: field 'id': {part.id!r} is already defined in "
                              f"{parts[part.id].origin}; give each part its own id")
        parts[part.id] = part
    return parts, sources


def user_dirs(extra: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Directories from the environment variable, then those given explicitly (each once)."""
    env = os.environ.get(ENV_VAR, "")
    if any(not d.strip() for d in extra):
        raise ParameterError("extra_dirs", "", "{extra_dirs.flag} is empty; give a catalog "
                             "directory", allowed="existing directories")
    first: dict[Path, str] = {}
    for d in tuple(d for d in env.split(os.pathsep) if d) + tuple(extra):
        first.setdefault(Path(d).expanduser().resolve(), d)
    return tuple(first.values())


def check_user_dirs(extra: tuple[str, ...] | list[str] = ()) -> None:
    """Refuse a user catalog directory that does not exist, before any command runs (commands
    that never read the catalog would otherwise ignore it)."""
    for d in user_dirs(tuple(extra)):
        if Path(d).expanduser().is_dir():
            continue
        if d not in extra:
            raise ConfigError(f"{ENV_VAR} names {d!r}, which is not a directory; point it at "
                              "an existing catalog directory or unset it")
        _files(Path(d).expanduser())


@lru_cache(maxsize=1)
def _builtin() -> tuple[dict[str, AnyPart], dict[str, Source]]:
    """The built-in parts and sources, read once (parts are frozen; callers copy the dicts)."""
    return _load_dir(BUILTIN_DIR, user=False)


@lru_cache(maxsize=8)
def _load(dirs: tuple[str, ...]) -> Catalog:
    builtin_parts, builtin_sources = _builtin()
    parts, sources = dict(builtin_parts), dict(builtin_sources)
    users: dict[str, str] = {}  # part id -> the user file that gave it
    for d in dirs:
        user_parts, user_sources = _load_dir(Path(d).expanduser(), user=True)
        for part_id, part in user_parts.items():
            if part_id in users and users[part_id] != part.origin:
                raise ConfigError(f"{part.origin}: field 'id': {part_id!r} is also given by "
                                  f"{users[part_id]}; keep one of them")
            builtin = parts.get(part_id)
            if part_id not in users and builtin is not None and builtin.kind != part.kind:
                raise ConfigError(f"{part.origin}: field 'id': {part_id!r} replaces the built-in "
                                  f"{builtin.kind} of that id with a {part.kind}; a replacement "
                                  "keeps its kind: give this part another id")
            users[part_id] = part.origin
        parts.update(user_parts)
        sources.update(user_sources)
    return Catalog(parts, sources)


def load_directory(directory: str | Path) -> Catalog:
    """The catalog of one directory alone (a copy of the built-in data, say); origins are paths."""
    parts, sources = _load_dir(Path(directory).expanduser(), user=True)
    return Catalog(parts, sources)


def load_catalog(extra_dirs: tuple[str, ...] | list[str] = ()) -> Catalog:
    """The built-in catalog plus user directories (``WAFERSIM_CATALOG`` and `extra_dirs`)."""
    return _load(user_dirs(tuple(extra_dirs)))
