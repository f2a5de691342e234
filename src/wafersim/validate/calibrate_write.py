"""Where the calibrations (catalog efficiencies, the mesh kernels' coefficient) write their fits.

By default a fit never touches the installed package: each part it changes is copied into a user
catalog directory (`user_catalog_dir`: the first directory of $WAFERSIM_CATALOG, else
$XDG_CONFIG_HOME/wafersim/catalog, else ~/.config/wafersim/catalog), at the path it has under the
built-in data (`intel/gaudi2.yaml`), with the fitted lines rewritten; a part that directory
already defines is edited there. A user part loaded with that directory overrides the built-in
one. With no directory (`in place`), the files the parts were loaded from are edited, each with
its previous text kept beside it as NAME.bak.

Every fitted value is checked against its physical range first (`check_value`): fractions in
(0, 1], everything else finite and >= 0. Then every new text is prepared and checked (it parses,
holds the new values, loads as a valid part, and the catalog with all the new parts loads), and
only then written, all files or none (`catalog.edit.write_files`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from wafersim.catalog import Catalog
from wafersim.catalog.edit import Change, Edit, edited, file_of, part_files, write_files
from wafersim.catalog.loader import BUILTIN_DIR, ENV_VAR
from wafersim.catalog.schema import AnyPart
from wafersim.errors import ConfigError

BACKUP_SUFFIX = ".bak"


def user_catalog_dir() -> Path:
    """The default directory fitted parts are written to (see the module docstring)."""
    env = [d for d in os.environ.get(ENV_VAR, "").split(os.pathsep) if d]
    if env:
        return Path(env[0]).expanduser()
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path("~/.config").expanduser())
    return Path(config) / "wafersim" / "catalog"


def physical_range(keys: Sequence[str]) -> tuple[float, bool, float]:
    """(low, low bound excluded, high) of the quantity at `keys`: a fraction is in (0, 1]."""
    return (0.0, True, 1.0) if keys[0].endswith("_fraction") else (0.0, False, math.inf)


def check_value(part: str, keys: Sequence[str], value: float | None, rows: str = "") -> None:
    """A fitted value inside its physical range, or a one-line error naming it and its rows."""
    lo, open_lo, hi = physical_range(keys)
    if value is None or (math.isfinite(value) and (value > lo if open_lo else value >= lo)
                         and value <= hi):
        return
    span = f"{'(' if open_lo else '['}{lo:g}, {hi:g}]" if math.isfinite(hi) else f">= {lo:g}"
    came = f" from row(s) {rows}" if rows else ""
    raise ConfigError(f"{part}: fitted {'.'.join(keys)} = {value:g}{came} is outside its range "
                      f"{span}; check those rows' values and units (nothing was written)")


def _relative(source: Path) -> Path:
    """Where a part file goes under a user directory: its path under the built-in data."""
    return source.relative_to(BUILTIN_DIR) if source.is_relative_to(BUILTIN_DIR) else Path(source.name)


def _target(part_id: str, source: Path, directory: Path | None, mine: Mapping[str, Path]) -> Path:
    """The file a part's edits go to: its own (in place), the user directory's, or a new copy."""
    if directory is None:
        return source
    if part_id in mine:
        return mine[part_id]
    dest = directory / _relative(source)
    if dest.exists():
        raise ConfigError(f"{dest} exists and does not define part {part_id}; move it, or give "
                          "another catalog directory")
    return dest


def _user_parts(directory: Path | None) -> dict[str, Path]:
    if directory is None or not directory.exists():
        return {}
    if not directory.is_dir():
        raise ConfigError(f"catalog directory {directory} is a file; give a directory")
    return part_files(directory)


def plan(edits: Mapping[str, Sequence[Edit]], catalog: Catalog,
         directory: Path | None) -> list[Change]:
    """The checked new texts of the part files `edits` change (by part id); nothing written."""
    for part_id, part_edits in edits.items():
        for e in part_edits:
            check_value(part_id, e.keys, e.value)
            check_value(part_id, e.keys, e.lo)
            check_value(part_id, e.keys, e.hi)
    builtin, mine = part_files(BUILTIN_DIR), _user_parts(directory)
    parts: dict[str, AnyPart] = dict(catalog.parts)
    changes = []
    for part_id, part_edits in edits.items():
        source = file_of(catalog.get(part_id), builtin)
        dest = _target(part_id, source, directory, mine)
        base = dest if dest.exists() else source
        try:
            text = base.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{base}: cannot be read ({exc.__class__.__name__}); check the "
                              "file") from None
        checked: list[AnyPart] = []
        new = edited(text, part_edits, str(dest), checked.append)
        parts[part_id] = checked[0]
        if new != text:
            changes.append(Change(dest, new, text, str(base)))
    Catalog(parts, catalog.sources)
    return changes


def backups(changes: Sequence[Change]) -> list[Change]:
    """A NAME.bak beside every existing file of `changes`, holding its text as it is now."""
    return [Change(c.path.with_name(c.path.name + BACKUP_SUFFIX), c.path.read_bytes())
            for c in changes if c.path.is_file()]


def write_parts(edits: Mapping[str, Sequence[Edit]], catalog: Catalog,
                directory: Path | None) -> list[Change]:
    """Check, then write the part files `edits` change (see the module docstring); returns the
    part files written (backups, in place, are not listed)."""
    changes = plan(edits, catalog, directory)
    write_files(changes + (backups(changes) if directory is None else []))
    return changes
