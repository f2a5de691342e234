"""Edit catalog YAML files one quantity line at a time, safely.

A calibration rewrites a handful of one-line quantities (``key: {value: ..., tag: ...}``) and must
leave every other byte of the file as it was. `set_line` replaces the line a key path names
(``("matmul_efficiency_fraction", "bf16")``, two-space indent per level) or inserts it at the end
of its parent block. `write_edits` applies several edits to one file: it writes a temporary file
beside it, checks that the text parses, holds the new values and loads as a valid part (plus an
optional caller check, e.g. a whole-catalog load), then renames it over the original; on any error
the original is untouched. `write_files` does the same for several files at once: every new text
goes to a temporary file beside its target first, then all are renamed into place, and a failure
at any step puts back every file already replaced (and removes files and folders it created).
"""

from __future__ import annotations

import difflib
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from wafersim.catalog.loader import SafeLoader, parse_part
from wafersim.catalog.schema import AnyPart, Part
from wafersim.errors import ConfigError

INDENT = "  "


@dataclass(frozen=True)
class Edit:
    """One quantity to write: its key path in the file and its fields (file units)."""

    keys: tuple[str, ...]
    value: float
    tag: str
    source: str
    note: str
    lo: float | None = None
    hi: float | None = None

    def flow(self) -> str:
        """The quantity as a one-line YAML flow mapping."""
        rng = (f", range: [{number(self.lo)}, {number(self.hi)}]"
               if self.lo is not None and self.hi is not None else "")
        note = self.note.replace("\\", "\\\\").replace('"', '\\"')
        return (f"{{value: {number(self.value)}{rng}, tag: {self.tag}, source: {self.source}, "
                f'note: "{note}"}}')


def number(value: float) -> str:
    """Shortest text YAML reads back as exactly `value` (0.5, 1, 0.803)."""
    short = f"{value:g}"
    return short if "e" not in short and float(short) == value else repr(float(value))


def _block_end(lines: list[str], start: int, end: int, indent: str) -> int:
    """First line after `start` (exclusive bound `end`) that leaves a block indented by `indent`."""
    for i in range(start, end):
        text = lines[i]
        if text.strip() and not text.lstrip().startswith("#") and not text.startswith(indent):
            return i
    return end


def _insert_at(lines: list[str], start: int, end: int) -> int:
    """Where a new line goes in lines[start:end]: after its last non-blank line."""
    at = end
    while at > start and not lines[at - 1].strip():
        at -= 1
    return at


def set_line(text: str, keys: Sequence[str], flow: str, where: str = "catalog file") -> str:
    """`text` with the quantity at `keys` set to `flow`, replacing its line or inserting one."""
    lines, start, end = text.splitlines(), 0, len(text.splitlines())
    for depth, key in enumerate(keys):
        indent = INDENT * depth
        pattern = re.compile(rf"^{indent}{re.escape(key)}:(\s|$)")
        hits = [i for i in range(start, end) if pattern.match(lines[i])]
        if len(hits) > 1:
            raise ConfigError(f"{where}: key '{'.'.join(keys[:depth + 1])}' appears {len(hits)} "
                              "times; keep one")
        if not hits:
            new = [f"{INDENT * (depth + j)}{k}:" for j, k in enumerate(keys[depth:-1])]
            at = _insert_at(lines, start, end)
            lines[at:at] = [*new, f"{INDENT * (len(keys) - 1)}{keys[-1]}: {flow}"]
            break
        i, rest = hits[0], lines[hits[0]].split(":", 1)[1].strip()
        if depth == len(keys) - 1:
            if not rest.startswith("{"):
                raise ConfigError(f"{where}: '{'.'.join(keys)}' is not a one-line quantity; write it "
                                  "as {value: ..., tag: ..., source: ...} on one line")
            lines[i] = f"{indent}{key}: {flow}"
        elif rest and not rest.startswith("#"):
            raise ConfigError(f"{where}: '{'.'.join(keys[:depth + 1])}' is not a block mapping; "
                              "write its entries one per line below it")
        start, end = i + 1, _block_end(lines, i + 1, end, indent + INDENT)
    return "\n".join(lines) + "\n"


def _at(raw: Any, keys: Sequence[str]) -> Any:
    for key in keys:
        raw = raw.get(key) if isinstance(raw, dict) else None
    return raw


def check_text(text: str, edits: Sequence[Edit], where: str) -> AnyPart:
    """The part `text` describes; raises unless it parses and holds every edited value."""
    try:
        raw = yaml.load(text, Loader=SafeLoader)  # noqa: S506 (safe loader)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: the edited file is not valid YAML ({exc}); not written") from None
    for edit in edits:
        q = _at(raw, edit.keys)
        if not isinstance(q, dict) or q.get("value") != edit.value:
            raise ConfigError(f"{where}: the edited '{'.'.join(edit.keys)}' does not read back as "
                              f"{edit.value:g}; not written")
    return parse_part(raw, where)


def write_edits(path: Path, edits: Sequence[Edit], check: Callable[[AnyPart], None] | None = None) -> None:
    """Apply `edits` to the YAML file at `path` atomically (temporary file, checks, rename)."""
    new = prepare(path, edits, check)
    commit(path, new)


def prepare(path: Path, edits: Sequence[Edit], check: Callable[[AnyPart], None] | None = None) -> str:
    """The checked new text of `path` with `edits` applied; the file itself is not touched."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.__class__.__name__}); check the file") from None
    return edited(text, edits, str(path), check)


def edited(text: str, edits: Sequence[Edit], where: str,
           check: Callable[[AnyPart], None] | None = None) -> str:
    """`text` (a part file's, named `where`) with `edits` applied, checked as `prepare` does."""
    for edit in edits:
        text = set_line(text, edit.keys, edit.flow(), where)
    part = check_text(text, edits, where)
    if check is not None:
        check(part)
    return text


def commit(path: Path, text: str) -> None:
    """Replace `path` by `text` through a temporary file in the same directory and a rename."""
    write_files([Change(path, text)])


@dataclass(frozen=True)
class Change:
    """One file to write: its path and new content (text or bytes); `before` is the text a diff
    compares it with (default: the file as it is now)."""

    path: Path
    new: str | bytes
    before: str | None = None
    before_label: str = ""

    def diff(self) -> str:
        """A unified diff from `before` (or the file now) to the new text."""
        old = self.before if self.before is not None else _read_text(self.path)
        new = self.new if isinstance(self.new, str) else ""
        return "".join(difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True),
            fromfile=self.before_label or str(self.path), tofile=str(self.path)))


def _read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def _stage(path: Path, data: str | bytes) -> Path:
    """`data` in a temporary file beside `path`, with the mode `path` has (0644 when new)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def replace_file(path: Path, data: str | bytes) -> None:
    """Write `data` to `path` through a temporary file beside it and a rename (whatever was at
    `path` survives a failure; the OSError is raised as it is)."""
    tmp = _stage(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _make_parents(path: Path) -> list[Path]:
    """Create the missing folders above `path`; returns those created, outermost first."""
    missing = [p for p in reversed(path.parents) if not p.exists()]
    for folder in missing:
        folder.mkdir()
    return missing


def write_files(changes: Sequence[Change]) -> None:
    """Write every change or none: temporary files first, then renames; any failure restores
    the files already replaced, removes those created and the folders made for them, and raises
    a ConfigError naming the file (OS errors) or the original error."""
    made: list[Path] = []
    staged: list[tuple[Path, Change]] = []
    old = {c.path: c.path.read_bytes() if c.path.is_file() else None for c in changes}
    done: list[Path] = []
    current = changes[0].path if changes else Path()
    try:
        for change in changes:
            current = change.path
            if change.path.is_dir():
                raise ConfigError(f"{change.path} is a folder; give a file path to write")
            made += _make_parents(change.path)
            staged.append((_stage(change.path, change.new), change))
        for tmp, change in staged:
            current = change.path
            os.replace(tmp, change.path)
            done.append(change.path)
    except BaseException as exc:
        _undo(staged, done, old, made)
        if isinstance(exc, OSError):
            raise ConfigError(f"cannot write {current}: {exc.strerror or exc}; no file was "
                              "changed") from None
        raise


def _undo(staged: list[tuple[Path, Change]], done: list[Path], old: dict[Path, bytes | None],
          made: list[Path]) -> None:
    """Put every file of a failed `write_files` back as it was."""
    for tmp, _ in staged:
        tmp.unlink(missing_ok=True)
    for path in done:
        before = old[path]
        if before is None:
            path.unlink(missing_ok=True)
        else:
            os.replace(_stage(path, before), path)
    for folder in reversed(made):
        try:
            folder.rmdir()
        except OSError:
            pass


def part_files(directory: Path) -> dict[str, Path]:
    """Part id -> the YAML file that defines it, for every part file under `directory`."""
    out = {}
    for path in sorted(p for p in directory.rglob("*") if p.suffix in (".yaml", ".yml")):
        if path.stem == "sources":
            continue
        try:
            raw = yaml.load(path.read_text(encoding="utf-8"), Loader=SafeLoader)  # noqa: S506
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise ConfigError(f"{path}: cannot be read as YAML ({exc.__class__.__name__}); fix "
                              "or remove the file") from None
        if isinstance(raw, dict) and isinstance(raw.get("id"), str):
            out[raw["id"]] = path
    return out


def file_of(part: Part, builtin: dict[str, Path]) -> Path:
    """The YAML file a loaded part came from: its origin path (user directories), or the built-in
    file defining its id (`builtin` from `part_files`; built-in origins are bare file names)."""
    origin = Path(part.origin)
    if origin.parent == Path(".") and part.id in builtin:
        return builtin[part.id]
    if not origin.is_file():
        raise ConfigError(f"part {part.id}: its file {part.origin!r} is not found; load the catalog "
                          "from files to write it")
    return origin
