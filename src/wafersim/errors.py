"""One exception family for everything a user can get wrong.

`SimError` is the root; the CLI turns any `SimError` into a one-line ``error: ...`` and exit code 2.
Messages name the offending value and say how to fix it. A `ParameterError` also carries the
parameter's name, its value and what is allowed, so each front end spells parameters its own way.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


class SimError(Exception):
    """Base of every error wafersim raises on purpose."""


class ConfigError(SimError):
    """A catalog file, model config or command-line value is malformed or refers to nothing."""


class UnknownIdError(ConfigError):
    """An id (system, model, network...) is not in the catalog; the message suggests close ids."""


class InfeasiblePlan(SimError):
    """A plan cannot run: it does not fit in memory, or its degrees do not divide the model."""


class ValidationError(SimError):
    """A validation record cannot be evaluated or violates its tolerance."""


def one_line(text: str) -> str:
    """Collapse whitespace so a message always prints on one line."""
    return " ".join(str(text).split())


class ParameterError(ConfigError):
    """A value given for a named parameter is outside what is allowed.

    `message` names parameters as ``{name}`` (rendered with its value: ``tp=3`` in Python, the flag
    and the value on the command line; ``{name!r}`` quotes the value) or ``{name.flag}`` (the name
    alone); the values of parameters other than `parameter` come as keywords. Other text put in
    the message goes through `literal`. The library renders Python names; the CLI renders flags.
    """

    def __init__(self, parameter: str, value: object, message: str, *,
                 allowed: str | None = None, **values: object) -> None:
        self.parameter, self.value, self.allowed = parameter, value, allowed
        self.message, self.values = message, {parameter: value} | values
        super().__init__(self.render(python_name))

    def render(self, name_of: Callable[[str], str], joiner: str = "=") -> str:
        """The message with every parameter spelled by `name_of` (and its value after `joiner`)."""
        refs = {k: _Ref(name_of(k), joiner, v) for k, v in self.values.items()}
        return one_line(self.message.format_map(_Refs(refs, name_of, joiner)))


class InfeasibleParameter(ParameterError, InfeasiblePlan):
    """A plan cannot run with this parameter's value (too long a sequence, too small a batch)."""


def literal(text: object) -> str:
    """`text` escaped to appear as itself in a ParameterError message (ids, paths, OS errors)."""
    return str(text).replace("{", "{{").replace("}", "}}")


def shown(raw: object) -> str:
    """`raw` as the user wrote it, cut to 40 characters (a value quoted in a message)."""
    try:
        text = repr(raw)
    except ValueError:  # an integer of more digits than Python prints
        return "a number too long to show"
    return text if len(text) <= 40 else f"{text[:37]}..."


@contextmanager
def reading(path: object, fix: str) -> Iterator[None]:
    """Errors of reading a text file as one line naming the file: not UTF-8, unreadable, or
    nested too deeply for the parser; `fix` says what the file should be."""
    try:
        yield
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: byte {exc.start} is not UTF-8 ({exc.reason}); save the file "
                          f"as UTF-8 {fix}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc.__class__.__name__}); "
                          "check the file exists and is readable") from None
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply to read; a {fix} is a few levels deep, "
                          "fix the file") from None


def writable(parameter: str, path: str | os.PathLike[str]) -> Path:
    """`path` as an output file that can be written, or a ParameterError naming `parameter`: a
    folder, or a missing or read-only folder."""
    out = Path(path)
    folder = out.parent
    why = ("is a folder" if out.is_dir() else f"folder {folder} does not exist"
           if not folder.is_dir() else f"folder {folder} is not writable"
           if not os.access(folder, os.W_OK) else None)
    if why is not None:
        raise ParameterError(parameter, str(path), f"{{{parameter}!r}} cannot be written: "
                             + literal(why), allowed="a file path in a writable folder")
    return out


def python_name(parameter: str) -> str:
    """How the library spells a parameter: its keyword argument name."""
    return parameter


class _Ref:
    """A parameter inside a message: ``{tp}`` -> name and value, ``{tp.flag}`` -> name alone."""

    def __init__(self, name: str, joiner: str, value: object = None) -> None:
        self.flag, self._joiner, self._value = name, joiner, value

    def __format__(self, spec: str) -> str:
        return f"{self.flag}{self._joiner}{format(self._value, spec)}"

    def __repr__(self) -> str:
        return f"{self.flag}{self._joiner}{self._value!r}"

    def __str__(self) -> str:
        return format(self, "")


class _Refs(dict[str, _Ref]):
    """Parameters a message names without a value are spelled by name alone."""

    def __init__(self, refs: dict[str, _Ref], name_of: Callable[[str], str], joiner: str) -> None:
        super().__init__(refs)
        self._name_of, self._joiner = name_of, joiner

    def __missing__(self, key: str) -> _Ref:
        return _Ref(self._name_of(key), self._joiner, "?")
