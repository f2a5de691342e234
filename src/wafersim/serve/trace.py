"""Replay recorded requests from a CSV or JSONL trace file.

One request a row (CSV, with a header line) or a line (JSONL, one object each):
- `arrival_s`: when it is sent, seconds; sorted; shifted so the first request goes at 0 s.
- `input_tokens`, `output_tokens`: whole numbers, prompt at least 1 and output at least 1.
- `model` (optional): the model it asks for.
- `session` (optional): a conversation id, string or integer; empty or absent = none.
- `prefix_tokens` (optional): prompt tokens shared with earlier requests, 0 to `input_tokens`.

Sessions give prefix reuse as in a multi-turn chat: a request's prompt repeats the previous turn of
its session, that turn's prompt and its answer, so its `prefix_tokens` is the previous request of
the session's `input_tokens + output_tokens`, capped at its own `input_tokens`; the first turn of
a session, and a request without one, has none. A `prefix_tokens` value overrides this (an empty
CSV cell or a JSON null keeps the derived one).

The format follows the extension (.csv; .jsonl, .ndjson or .json), else the first character (`{`:
JSONL). Columns are read whole into numpy arrays and checked at once; each malformed value is one
error naming the file, the line and the fix.
"""

from __future__ import annotations

import csv
import difflib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, compress, repeat
from pathlib import Path
from typing import Any

import numpy as np

from wafersim.errors import ConfigError, ParameterError, literal, reading
from wafersim.serve.workload import Sampled

REQUIRED = ("arrival_s", "input_tokens", "output_tokens")
FIELDS = (*REQUIRED, "model", "session", "prefix_tokens")
MAX_TOKENS = 10**9  # longer than any model's context
_JSONL = (".jsonl", ".ndjson", ".json")
BLOCK = 65536  # JSONL lines parsed at once: bounded memory, C-speed parsing
_ABSENT = object()  # a key a JSONL line leaves out
_FORMAT = "CSV (a header line with arrival_s,input_tokens,output_tokens) or JSONL trace"


@dataclass(frozen=True, eq=False)
class TraceWorkload:
    """Requests replayed from a trace file."""

    sampled: Sampled
    source: str = ""

    @classmethod
    def read(cls, path: str | Path, requests: int | None = None) -> TraceWorkload:
        """The trace at `path` (CSV or JSONL); its first `requests` rows when given."""
        with reading(path, _FORMAT), open(path, encoding="utf-8", newline="") as f:
            text = f.read().splitlines()
        columns, lines = (_jsonl if _is_jsonl(path, text) else _csv)(str(path), text)
        sampled = _sampled(str(path), columns, lines)
        return cls(_head(str(path), sampled, requests), str(path))

    @property
    def requests(self) -> int:
        return len(self.sampled.arrival_s)

    @property
    def in_flight(self) -> int:
        """Every request may be in flight: a trace sends each at its time."""
        return self.requests

    @property
    def input_tokens(self) -> int:
        """The longest prompt."""
        return int(self.sampled.input_tokens.max())

    @property
    def output_tokens(self) -> int:
        """The longest output."""
        return int(self.sampled.output_tokens.max())

    def mean_tokens(self) -> tuple[int, int]:
        """Mean (prompt, output) tokens, rounded."""
        s = self.sampled
        return max(1, round(float(s.input_tokens.mean()))), max(1, round(float(s.output_tokens.mean())))

    def sample(self) -> Sampled:
        return self.sampled


def _is_jsonl(path: str | Path, text: list[str]) -> bool:
    suffix = Path(path).suffix.lower()
    if suffix == ".csv" or suffix in _JSONL:
        return suffix in _JSONL
    return next((line.lstrip()[:1] for line in text if line.strip()), "") == "{"


def _fail(path: str, line: int, what: str, fix: str) -> ConfigError:
    return ConfigError(f"{path}: line {line}: {what}; {fix}")


def _check_names(path: str, names: Iterable[str], line: int) -> None:
    seen: set[str] = set()
    for name in names:
        if name not in FIELDS:
            close = difflib.get_close_matches(name, FIELDS, n=1, cutoff=0.5)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise _fail(path, line, f"unknown column {name!r}{hint}",
                        f"the columns are {', '.join(FIELDS)}")
        if name in seen:
            raise _fail(path, line, f"column {name!r} appears twice", "keep one")
        seen.add(name)


def _nonblank(lines: list[str]) -> np.ndarray:
    """Indices of the lines with something on them."""
    return np.flatnonzero(np.fromiter(map(bool, map(str.strip, lines)), bool, len(lines)))


def _csv(path: str, text: list[str]) -> tuple[dict[str, Sequence[Any]], np.ndarray]:
    """Columns of a CSV trace (one request per line) and each row's line number."""
    kept = _nonblank(text)
    if not len(kept):
        raise ConfigError(f"{path}: is empty; a trace is a header line "
                          f"({','.join(REQUIRED)}) and one line per request")
    top = int(kept[0])
    try:
        names = [h.strip() for h in next(csv.reader([text[top]]))]
        rows = list(csv.reader(text[top + 1:]))
    except csv.Error as exc:
        raise _fail(path, top + 1, f"not CSV ({exc})", "save it as plain CSV") from None
    _check_names(path, names, top + 1)
    for need in REQUIRED:
        if need not in names:
            raise _fail(path, top + 1, f"no {need} column", f"add {need} to the header (the "
                        f"columns are {', '.join(FIELDS)})")
    cells = np.fromiter(map(len, rows), np.int64, len(rows))
    ragged = np.flatnonzero((cells != len(names)) & (cells > 0))
    if len(ragged):
        i = int(ragged[0])
        raise _fail(path, top + 2 + i, f"{cells[i]} cells, the header has {len(names)}",
                    "give one value per column (a truncated line?)")
    full = cells > 0
    if not full.all():
        rows = list(compress(rows, full))
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    return dict(zip(names, columns, strict=True)), np.flatnonzero(full) + top + 2


def _jsonl(path: str, text: list[str]) -> tuple[dict[str, Sequence[Any]], np.ndarray]:
    """Columns of a JSONL trace and each object's line number, parsed a block at a time."""
    kept = _nonblank(text)
    if not len(kept):
        raise ConfigError(f"{path}: is empty; a trace is one JSON object per line with "
                          f"{', '.join(REQUIRED)}")
    columns: dict[str, list[Any]] = {k: [] for k in FIELDS}
    for at in range(0, len(kept), BLOCK):
        numbers = kept[at:at + BLOCK]
        objs = _objects(path, [text[i] for i in numbers], numbers + 1)
        for key, column in columns.items():
            absent = _ABSENT if key in REQUIRED else None
            column.extend(map(dict.get, objs, repeat(key), repeat(absent)))
    for need in REQUIRED:
        if _ABSENT in columns[need]:
            line = int(kept[columns[need].index(_ABSENT)]) + 1
            raise _fail(path, line, f"no {need!r} key", f"give {need} on every line")
    return {k: c for k, c in columns.items()
            if k in REQUIRED or c.count(None) < len(c)}, kept + 1


def _objects(path: str, block: list[str], numbers: np.ndarray) -> list[dict[str, Any]]:
    """The block's lines as JSON objects: parsed at once, or line by line to find the bad one."""
    try:
        objs = json.loads("[" + ",".join(block) + "]")
    except json.JSONDecodeError:
        objs = None
    if objs is None or len(objs) != len(block) or set(map(type, objs)) != {dict}:
        objs = [_object(path, line, int(n)) for line, n in zip(block, numbers, strict=True)]
    keys = set(chain.from_iterable(objs))
    if not keys <= set(FIELDS):
        i = next(i for i, o in enumerate(objs) if not o.keys() <= set(FIELDS))
        _check_names(path, objs[i], int(numbers[i]))
    return objs


def _object(path: str, text: str, number: int) -> dict[str, Any]:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(path, number, f"not valid JSON at column {exc.colno} ({exc.msg})",
                    "give one complete JSON object per line (a truncated line?)") from None
    if not isinstance(obj, dict):
        raise _fail(path, number, f"a JSON {type(obj).__name__}, not an object",
                    'give one object per line, e.g. {"arrival_s": 0.5, "input_tokens": 512, '
                    '"output_tokens": 128}')
    return obj


def _numbers(path: str, name: str, values: Sequence[Any], lines: np.ndarray) -> np.ndarray:
    """A column as floats, every one finite."""
    try:
        out = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        out = np.zeros(0)
    if out.ndim != 1 or len(out) != len(values):
        for i, v in enumerate(values):
            try:
                float(v)
            except (TypeError, ValueError):
                raise _fail(path, int(lines[i]), f"{name} is {v!r}, not a number",
                            f"give {name} as a number") from None
    bad = np.flatnonzero(~np.isfinite(out))
    if len(bad):
        i = bad[0]
        raise _fail(path, int(lines[i]), f"{name} is {values[i]!r}, not a finite number",
                    f"give {name} as a finite number")
    return out


def _tokens(path: str, name: str, values: np.ndarray, lines: np.ndarray, least: int) -> np.ndarray:
    """A length column: whole numbers in [least, MAX_TOKENS]."""
    bad = np.flatnonzero((values != np.floor(values)) | (values < least) | (values > MAX_TOKENS))
    if len(bad):
        v = values[bad[0]]
        why = ("the request generates nothing" if name == "output_tokens" and v == 0 else
               "it is longer than any model's context" if v > MAX_TOKENS else
               "a length is a whole number of tokens")
        raise _fail(path, int(lines[bad[0]]), f"{name} is {v:g} ({why})",
                    f"give a whole number of at least {least}")
    return values.astype(np.int64)


def _arrivals(path: str, values: Sequence[Any], lines: np.ndarray) -> np.ndarray:
    times = _numbers(path, "arrival_s", values, lines)
    back = np.flatnonzero(np.diff(times) < 0)
    if len(back):
        i = back[0] + 1
        raise _fail(path, int(lines[i]), f"arrival_s {times[i]:g} is before the line above's "
                    f"{times[i - 1]:g}", "sort the trace by arrival_s")
    return times - times[0] if len(times) else times


def _sessions(values: Sequence[Any]) -> np.ndarray:
    """Session ids (strings or integers, compared as written) as integers from 0; -1 where empty
    or absent."""
    keys = np.asarray(["" if v is None else v for v in values], dtype=str)
    _, ids = np.unique(keys, return_inverse=True)
    ids = ids.astype(np.int64)
    none = keys == ""
    if none.any():
        ids -= 1  # "" sorts first: the other ids start at 0
        ids[none] = -1
    return ids


def _prefixes(session: np.ndarray, inputs: np.ndarray, outputs: np.ndarray) -> np.ndarray:
    """The previous turn of each request's session (prompt + answer), capped at its prompt."""
    order = np.lexsort((np.arange(len(session)), session))
    s = session[order]
    before = np.zeros(len(order), dtype=np.int64)
    same = (s[1:] == s[:-1]) & (s[1:] >= 0)
    turns = (inputs + outputs)[order]
    before[1:] = np.where(same, turns[:-1], 0)
    prefix = np.empty_like(before)
    prefix[order] = before
    return np.minimum(prefix, inputs)


def _given_prefixes(path: str, values: Sequence[Any], derived: np.ndarray, inputs: np.ndarray,
                    lines: np.ndarray) -> np.ndarray:
    """The prefix_tokens column where given (empty keeps the derived value)."""
    given = np.asarray([v is not None and str(v).strip() != "" for v in values])
    if not given.any():
        return derived
    idx = np.flatnonzero(given)
    picked = _numbers(path, "prefix_tokens", [values[int(i)] for i in idx], lines[idx])
    counts = _tokens(path, "prefix_tokens", picked, lines[idx], 0)
    over = np.flatnonzero(counts > inputs[idx])
    if len(over):
        i = idx[over[0]]
        raise _fail(path, int(lines[i]), f"prefix_tokens {counts[over[0]]} is more than its "
                    f"input_tokens {inputs[i]}", "a prefix is part of the prompt: lower it")
    out = derived.copy()
    out[idx] = counts
    return out


def _models(path: str, values: Sequence[Any], lines: np.ndarray) -> tuple[str, ...]:
    models = tuple("" if v is None else str(v).strip() for v in values)
    if "" in models:
        i = models.index("")
        raise _fail(path, int(lines[i]), "no model", "give a model on every line or drop the "
                    "model column")
    return models


def _sampled(path: str, columns: dict[str, Sequence[Any]], lines: np.ndarray) -> Sampled:
    if not len(lines):
        raise ConfigError(f"{path}: has no requests; add one line per request")
    arrival = _arrivals(path, columns["arrival_s"], lines)
    inputs, outputs = (_tokens(path, k, _numbers(path, k, columns[k], lines), lines, 1)
                       for k in ("input_tokens", "output_tokens"))
    session = (_sessions(columns["session"]) if "session" in columns
               else np.full(len(lines), -1, dtype=np.int64))
    prefix = _prefixes(session, inputs, outputs)
    if "prefix_tokens" in columns:
        prefix = _given_prefixes(path, columns["prefix_tokens"], prefix, inputs, lines)
    models = _models(path, columns["model"], lines) if "model" in columns else None
    return Sampled(arrival, inputs, outputs, session, prefix, models)


def _head(path: str, s: Sampled, requests: int | None) -> Sampled:
    """The first `requests` requests of the trace."""
    n = len(s.arrival_s)
    if requests is None or requests == n:
        return s
    if not 1 <= requests <= n:
        raise ParameterError("requests", requests, f"{{requests}}: the trace {literal(path)} has {n:,} "
                             "requests; give at most that many (or leave it out to send them all)",
                             allowed=f"1 to {n}")
    k = slice(0, requests)
    return Sampled(s.arrival_s[k], s.input_tokens[k], s.output_tokens[k], s.session[k],
                   s.prefix_tokens[k], None if s.models is None else s.models[k])
