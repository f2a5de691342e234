"""The results store: append-only Parquet parts under one directory, one row per point.

Each part is written to a temporary file in the directory and renamed into place, so a part is
whole or absent whenever the writer dies; a run reads the hashes already stored and skips them.
Needs the `sweep` extra (pyarrow, duckdb); `require` says so in one line when it is missing.
"""

from __future__ import annotations

import hashlib
import os
from importlib import import_module
from pathlib import Path
from typing import Any

from wafersim.errors import ConfigError
from wafersim.sweep.evaluate import FIGURES, Row
from wafersim.sweep.spec import FIELDS

EXTRA = "pip install 'wafersim[sweep]'"
PART_GLOB = "part-*.parquet"
INTS = {"count", "tp", "pp", "ep", "global_batch", "seq_len", "batch", "input_tokens",
        "output_tokens", "requests", "concurrency", "devices"}
FLOATS = {"tokens", "rate_per_s"} | (set(FIGURES) - INTS)


def require(module: str) -> Any:
    """The module of the sweep extra, or a ConfigError naming the extra."""
    try:
        return import_module(module)
    except ImportError:
        raise ConfigError(f"sweeps need {module}, from the sweep extra: {EXTRA}") from None


def schema() -> Any:
    """The Parquet schema: every row has every column, typed."""
    pa = require("pyarrow")
    ordered = ["hash", "version", "kind", *FIELDS, *FIGURES, "error"]
    return pa.schema([(n, pa.int64() if n in INTS else pa.float64() if n in FLOATS
                       else pa.string()) for n in ordered])


def check_dir(out: str | Path) -> Path:
    """The store directory, created if absent; a path that is a file is an error."""
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{out}: is a file; the results go in a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{out}: cannot create the results directory ({exc.strerror})") from None
    return path


def parts(out: Path) -> list[Path]:
    """The complete parts, by name."""
    return sorted(out.glob(PART_GLOB))


def clear_temporary(out: Path) -> None:
    """Remove the temporary files a killed writer left (never a complete part)."""
    for tmp in out.glob(f".tmp-{PART_GLOB}"):
        tmp.unlink(missing_ok=True)


def stored_hashes(out: Path) -> set[str]:
    """Hashes of every point already in the store."""
    pq = require("pyarrow.parquet")
    return {h for part in parts(out) for h in pq.read_table(part, columns=["hash"])["hash"].to_pylist()}


def write_part(out: Path, rows: list[Row]) -> Path:
    """Append `rows` as one new part, sorted by hash, atomically (temp file, fsync, rename)."""
    pa, pq = require("pyarrow"), require("pyarrow.parquet")
    ordered = sorted(rows, key=lambda r: r["hash"])
    table = pa.Table.from_pylist(ordered, schema=schema())
    digest = hashlib.sha256("".join(r["hash"] for r in ordered).encode()).hexdigest()
    name = f"part-{digest[:24]}.parquet"  # named by its points: the same chunk, the same file
    tmp = out / f".tmp-{name}"
    pq.write_table(table, tmp)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    final = out / name
    os.replace(tmp, final)
    return final


def read_rows(out: Path) -> list[Row]:
    """Every stored row, sorted by hash."""
    pq = require("pyarrow.parquet")
    rows = [r for part in parts(out) for r in pq.read_table(part).to_pylist()]
    return sorted(rows, key=lambda r: r["hash"])
