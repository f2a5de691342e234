"""Read catalog directories into one checked `Catalog`.

The built-in data ships in ``wafersim/catalog/data``; users add directories with `load_catalog`'s
`extra_dirs` or the ``WAFERSIM_CATALOG`` environment variable (several joined by the OS path
separator). A user part with the id of a built-in one replaces it. Each YAML file holds one part
(``kind:`` chip, node, cluster, memory_service or network); a file named ``sources.yaml`` holds
shared citations.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import pydantic
import yaml

from wafersim.catalog.catalog import Catalog
from wafersim.catalog.convert import at, convert
from wafersim.catalog.schema import KINDS, AnyPart, Source
from wafersim.errors import ConfigError, ParameterError, literal

BUILTIN_DIR = Path(__file__).parent / "data"
ENV_VAR = "WAFERSIM_CATALOG"
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser when libyaml is present


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=SafeLoader)  # noqa: S506 (safe loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}:{line} is not valid YAML ({getattr(exc, 'problem', exc)}); "
                          "fix the syntax") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.__class__.__name__}); "
                          "check the file exists and is UTF-8 text") from None


def _pydantic_message(exc: pydantic.ValidationError, file: str) -> str:
    err = exc.errors()[0]
    path = ".".join(str(p) for p in err["loc"])
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "enum" or err["type"] == "literal_error":
        msg = f"{msg} (got {err.get('input')!r})"
    return f"{at(file, path)}: {msg}"


def parse_part(raw: Any, file: str) -> AnyPart:
    """Validate one file's mapping into a frozen part."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{file}: must be a mapping with 'kind: chip|node|cluster|"
                          "memory_service|network'")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise ConfigError(f"{file}: field 'kind': {kind!r} is not one of "
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
        raise ParameterError("extra_dirs", str(directory), f"catalog directory "
                             f"{literal(directory)} does not exist; pass an existing directory "
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
    """Directories from the environment variable, then those given explicitly."""
    env = os.environ.get(ENV_VAR, "")
    return tuple(d for d in env.split(os.pathsep) if d) + tuple(extra)


@lru_cache(maxsize=8)
def _load(dirs: tuple[str, ...]) -> Catalog:
    parts, sources = _load_dir(BUILTIN_DIR, user=False)
    for d in dirs:
        user_parts, user_sources = _load_dir(Path(d).expanduser(), user=True)
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
