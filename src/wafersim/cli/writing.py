"""What the commands that write files share: where `--write` goes, the diff it shows, progress.

`--write` of `calibrate` and `mesh calibrate` copies the changed parts into a user catalog
directory (`--catalog-dir`, default `user_catalog_dir()`), or with `--in-place` edits the files
the parts came from (keeping NAME.bak). Progress bars go to stderr, only on a terminal.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from wafersim.catalog.edit import Change
from wafersim.catalog.loader import user_dirs
from wafersim.cli.common import console, state
from wafersim.errors import ConfigError
from wafersim.validate.calibrate_write import BACKUP_SUFFIX, user_catalog_dir

Step = Callable[[str, int, int], None]


def write_target(write: bool, catalog_dir: str | None, in_place: bool) -> Path | None:
    """The user catalog directory `--write` writes to, or None for `--in-place`; conflicting or
    stray flags are refused."""
    if not write and (catalog_dir is not None or in_place):
        given = "--catalog-dir" if catalog_dir is not None else "--in-place"
        raise ConfigError(f"{given} only applies with --write; add --write or drop {given}")
    if catalog_dir is not None and in_place:
        raise ConfigError("--catalog-dir and --in-place disagree (a user directory or the "
                          "package's own files); give one of them")
    if catalog_dir is not None and not catalog_dir.strip():
        raise ConfigError("--catalog-dir '' is empty; give a directory")
    if in_place:
        return None
    directory = Path(catalog_dir).expanduser() if catalog_dir is not None else user_catalog_dir()
    if directory.exists() and not directory.is_dir():
        raise ConfigError(f"--catalog-dir {directory} is a file; give a directory")
    return directory


def _loaded(directory: Path) -> bool:
    return any(Path(d).expanduser().resolve() == directory.resolve()
               for d in user_dirs(state.catalog_dirs))


def print_written(changes: Sequence[Change], directory: Path | None, write: bool) -> None:
    """The diff of every file written, the files, and how the user directory gets loaded."""
    out = console()
    if not write:
        out.print("not written (add --write to copy the fitted parts into your catalog "
                  "directory)")
        return
    for change in changes:
        sys.stdout.write(change.diff())
    where = "in place, previous texts kept as NAME" + BACKUP_SUFFIX if directory is None else (
        f"under {directory}")
    out.print(f"written: {len(changes)} file(s) changed ({where})"
              + "".join(f"\n  {c.path}" for c in changes))
    if directory is not None and changes and not _loaded(directory):
        out.print(f"wafersim reads {directory} when asked: add --catalog {directory} or put it "
                  "in $WAFERSIM_CATALOG")


@contextmanager
def progress(title: str) -> Iterator[Step]:
    """A step callback (what, done, total) that draws a progress bar on a terminal's stderr."""
    if not sys.stderr.isatty():
        yield lambda what, done, total: None
        return
    bar = Progress(TextColumn(f"{title}: {{task.description}}"), BarColumn(),
                   TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                   console=Console(stderr=True), transient=True)
    task = bar.add_task("", total=None)
    with bar:
        yield lambda what, done, total: bar.update(task, description=what, completed=done,
                                                   total=total)
