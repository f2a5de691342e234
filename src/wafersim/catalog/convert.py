"""Turn one catalog file's raw YAML mapping into keyword arguments for a schema class.

Keys carry their unit (``hbm_bandwidth_TBps``); values are sourced mappings
``{value, range, tag, source, note, reason, projected}``. This module checks the key against the
schema field of the same base name, converts the numbers to SI and reports anything wrong as a
one-line `ConfigError` naming the field and the fix.
"""

from __future__ import annotations

import difflib
import math
import typing
from functools import cache
from typing import Any

from pydantic import BaseModel

from wafersim.catalog.schema import LARGEST, Quantity, physical_problem
from wafersim.errors import ConfigError, shown
from wafersim.units import DIMENSION_HELP, split_unit

QUANTITY_KEYS = {"value", "range", "tag", "source", "note", "reason", "projected"}


def _shape(annotation: Any) -> tuple[str, Any]:
    """Classify a field annotation: quantity, quantity map, sub-model, list of sub-models, plain."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if annotation is Quantity or (args and Quantity in args and origin is not dict):
        return "quantity", None
    if origin is dict and args and args[1] is Quantity:
        return "quantity_map", args[0]
    if origin is list and args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
        return "model_list", args[0]
    for arg in (annotation, *args):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return "model", arg
    return "plain", None


@cache
def _fields(cls: type[BaseModel]) -> dict[str, tuple[str, Any, str | None]]:
    """field name -> (shape, inner type, dimension or None)."""
    out = {}
    for name, info in cls.model_fields.items():
        shape, inner = _shape(info.annotation)
        dim = None
        if shape in ("quantity", "quantity_map"):
            split = split_unit(name)
            assert split is not None, f"{cls.__name__}.{name} has no unit suffix"
            dim = split[1].dimension
        out[name] = (shape, inner, dim)
    return out


@cache
def _bases(cls: type[BaseModel]) -> dict[str, str]:
    """Quantity field base name ('hbm_bandwidth') -> field name ('hbm_bandwidth_Bps')."""
    out = {}
    for name, (_, _, dim) in _fields(cls).items():
        if dim is not None:
            split = split_unit(name)
            assert split is not None and split[0] not in out, f"{cls.__name__}.{name}: base clash"
            out[split[0]] = name
    return out


def _unknown_key(key: str, cls: type[BaseModel], where: str) -> ConfigError:
    names = [n for n in _fields(cls) if n != "origin"]
    close = difflib.get_close_matches(key, names + list(_bases(cls)), n=3, cutoff=0.6)
    hint = f"did you mean {', '.join(close)}?" if close else f"known fields: {', '.join(names)}"
    return ConfigError(f"{where}: unknown field '{key}'; {hint}")


def _resolve_key(key: str, cls: type[BaseModel], where: str) -> tuple[str, float]:
    """Map a file key to (schema field, factor to SI)."""
    fields = _fields(cls)
    if key in fields and fields[key][2] is None:
        if key == "origin":
            raise _unknown_key(key, cls, where)
        return key, 1.0
    split = split_unit(key)
    bases = _bases(cls)
    if split is None:
        if key in bases:
            dim = fields[bases[key]][2]
            raise ConfigError(f"{where}: field '{key}' has no unit; name it with "
                              f"{DIMENSION_HELP[str(dim)]} (e.g. {key}_{bases[key].rsplit('_', 1)[-1]})")
        raise _unknown_key(key, cls, where)
    base, unit = split
    if base not in bases:
        raise _unknown_key(key, cls, where)
    name = bases[base]
    dim = fields[name][2]
    if unit.dimension != dim:
        raise ConfigError(f"{where}: field '{key}' has a unit of {unit.dimension}, but {base} "
                          f"is {DIMENSION_HELP[str(dim)]}")
    return name, unit.factor


def _number(raw: Any, where: str, what: str) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, str):  # YAML 1.1 reads 80.0e9 (no exponent sign) as a string
        try:
            raw = float(raw.replace("_", ""))
        except ValueError:
            pass
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise ConfigError(f"{where}: {what} {shown(raw)} is not a number; write a plain number "
                          "or null")
    try:
        return float(raw)
    except OverflowError:
        raise ConfigError(f"{where}: {what} {shown(raw)} is too large for a number; write it "
                          "in a larger unit or with an exponent (e.g. 1.5e12)") from None


def printable(key: Any) -> str:
    """A mapping key as text on one line (control characters escaped)."""
    text = str(key)
    return text if text.isprintable() else repr(text)[1:-1]


def _si(raw: float | None, factor: float, dim: str, where: str, what: str) -> float | None:
    """`raw` (in the key's unit) in SI, refused outside the dimension's physical range."""
    if raw is None:
        return None
    value = raw * factor
    problem = physical_problem(value, dim)
    if problem and math.isfinite(raw) and not math.isfinite(value):
        problem = physical_problem(math.copysign(LARGEST * 2, value), dim)  # overflowed to inf
    if problem:
        shown = f"{raw:g}" if value == raw else f"{raw:g} (= {value:g} in SI units)"
        raise ConfigError(f"{where}: {what} {shown} {problem}")
    return value


def quantity(raw: Any, factor: float, dim: str, where: str) -> dict[str, Any]:
    """Check one sourced mapping and convert its numbers to SI."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: bare value {shown(raw)}; write {{value: {shown(raw)}, tag: primary|"
                          "secondary|derived|unverified, source: <source id>}")
    extra = set(raw) - QUANTITY_KEYS
    if extra:
        raise ConfigError(f"{where}: unknown key '{printable(sorted(extra, key=str)[0])}' in a "
                          f"quantity; allowed: "
                          f"{', '.join(sorted(QUANTITY_KEYS))}")
    if "tag" not in raw:
        raise ConfigError(f"{where}: no 'tag'; add tag: primary|secondary|derived|unverified")
    out: dict[str, Any] = {"dimension": dim, "tag": raw["tag"]}
    out["value"] = _si(_number(raw.get("value"), where, "value"), factor, dim, where, "value")
    if "range" in raw:
        rng = raw["range"]
        if not isinstance(rng, list) or len(rng) != 2:
            raise ConfigError(f"{where}: range {shown(rng)} must be a list [low, high]")
        for key, x, label in zip(("lo", "hi"), rng, ("range low", "range high"), strict=True):
            out[key] = _si(_number(x, where, label), factor, dim, where, label)
    for key in ("source", "note", "reason", "projected"):
        if key in raw:
            out[key] = raw[key]
    return out


def at(file: str, path: str) -> str:
    """Where an error is: 'FILE' or "FILE: field 'a.b'"."""
    return f"{file}: field '{path}'" if path else file


def convert(raw: dict[str, Any], cls: type[BaseModel], file: str, path: str = "") -> dict[str, Any]:
    """Raw mapping of file keys -> kwargs of `cls` in SI, recursing into sub-models."""
    where = at(file, path)
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping of fields, got {type(raw).__name__}")
    fields = _fields(cls)
    out: dict[str, Any] = {}
    for raw_key, value in raw.items():
        key = printable(raw_key)
        name, factor = _resolve_key(key, cls, where)
        shape, inner, dim = fields[name]
        sub = f"{path}.{key}" if path else key
        if name in out:
            raise ConfigError(f"{where}: field '{name}' given twice (as '{key}' and another unit)")
        out[name] = _convert_value(value, shape, inner, dim, factor, file, sub)
    return out


def _convert_value(value: Any, shape: str, inner: Any, dim: str | None, factor: float,
                   file: str, path: str) -> Any:
    if shape == "quantity":
        return quantity(value, factor, str(dim), at(file, path))
    if shape == "quantity_map":
        if not isinstance(value, dict):
            raise ConfigError(f"{at(file, path)}: expected a mapping of precision -> quantity")
        return {k: quantity(v, factor, str(dim), at(file, f"{path}.{printable(k)}"))
                for k, v in value.items()}
    if shape == "model":
        return convert(value, inner, file, path)
    if shape == "model_list":
        if not isinstance(value, list):
            raise ConfigError(f"{at(file, path)}: expected a list")
        return [convert(item, inner, file, f"{path}[{i}]") for i, item in enumerate(value)]
    return value
