"""The model catalog: HF-style configs shipped in ``models/data/<org>/<id>/config.json``.

`load_model` takes a catalog id or a path to any config.json (or a folder holding one).
`published_params` gives the authors' parameter counts used to check the derived ones.
"""

from __future__ import annotations

import difflib
import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from wafersim.errors import ConfigError, UnknownIdError, one_line, reading
from wafersim.models.hf import from_hf_config
from wafersim.models.spec import ModelSpec

DATA_DIR = Path(__file__).parent / "data"


@cache
def model_paths() -> dict[str, Path]:
    """Catalog id -> config.json path."""
    paths: dict[str, Path] = {}
    for path in sorted(DATA_DIR.glob("*/*/config.json")):
        model_id = path.parent.name
        if model_id in paths:
            raise ConfigError(f"{path}: model id {model_id!r} is also in {paths[model_id]}")
        paths[model_id] = path
    return paths


def model_ids() -> list[str]:
    return sorted(model_paths())


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refusing a key given twice (json keeps the last silently)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ConfigError(f"key {key!r} is given twice; keep one of them")
        out[key] = value
    return out


def read_json(path: Path) -> Any:
    with reading(path, "JSON"):  # not UTF-8, unreadable, nested too deeply
        text = path.read_text(encoding="utf-8")
        try:
            return json.loads(text, object_pairs_hook=_unique)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from None
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}: line {exc.lineno} is not valid JSON ({exc.msg}); "
                              "fix the syntax") from None
        except ValueError as exc:  # an integer of more digits than Python reads
            raise ConfigError(f"{path}: {one_line(str(exc)).split(';')[0]}; fix the number") from None


def _from_path(text: str) -> ModelSpec:
    path = Path(text).expanduser()
    if path.is_dir():
        path = path / "config.json"
    if not path.is_file():
        raise ConfigError(f"model config {text!r} not found; give a catalog id or the path "
                          "of a config.json")
    model_id = path.parent.name if path.name == "config.json" else path.stem
    return from_hf_config(read_json(path), model_id, str(path))


@cache
def _from_catalog(model_id: str) -> ModelSpec:
    path = model_paths()[model_id]
    return from_hf_config(read_json(path), model_id, f"{path.parent.parent.name}/{model_id}/config.json")


def load_model(id_or_path: str) -> ModelSpec:
    """A ModelSpec from a catalog id ('llama-3.1-70b') or a config.json path."""
    if id_or_path in model_paths():
        return _from_catalog(id_or_path)
    if id_or_path.endswith(".json") or "/" in id_or_path or Path(id_or_path).is_dir():
        return _from_path(id_or_path)
    close = difflib.get_close_matches(id_or_path, model_ids(), n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}?" if close else "run 'wafersim models' to list ids"
    raise UnknownIdError(f"unknown model id {id_or_path!r}; {hint}")


@cache
def published_params() -> dict[str, dict[str, Any]]:
    """Model id -> {params, active_params, source, note} as published by the authors."""
    path = DATA_DIR / "published.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
