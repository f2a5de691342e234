"""Questions over a store: SQL through DuckDB (the table is `results`) and Pareto fronts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wafersim.errors import ConfigError, one_line
from wafersim.sweep.evaluate import FIGURES, Row
from wafersim.sweep.store import parts, read_rows, require

MAXIMISED = ("tokens_per_s", "user_tokens_per_s", "throughput_tokens_per_s", "mfu")


def check_store(out: str | Path) -> Path:
    """A directory holding at least one part."""
    path = Path(out)
    if not path.is_dir():
        raise ConfigError(f"{out}: not a directory of sweep results; run `wafersim sweep run` first")
    if not parts(path):
        raise ConfigError(f"{out}: holds no results (no part-*.parquet); run `wafersim sweep run`")
    return path


def query(out: str | Path, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The columns and rows of `sql` over the store's table `results`; a statement DuckDB
    refuses is a ConfigError with its first line."""
    duckdb = require("duckdb")
    path = check_store(out)
    con = duckdb.connect(":memory:")
    try:
        glob = str(path / "part-*.parquet").replace("'", "''")
        con.execute(f"CREATE VIEW results AS SELECT * FROM read_parquet('{glob}')")
        cursor = con.execute(sql)
        if cursor.description is None:
            return [], []
        return [d[0] for d in cursor.description], cursor.fetchall()
    except duckdb.Error as exc:
        raise ConfigError(f"query: {one_line(str(exc).splitlines()[0])}") from None
    finally:
        con.close()


def check_figures(figures: list[str]) -> None:
    """Two or three distinct figure names of the store."""
    if not 2 <= len(figures) <= 3 or len(set(figures)) != len(figures):
        raise ConfigError(f"pareto: give two or three distinct figures, not {', '.join(figures)}")
    for name in figures:
        if name not in FIGURES or name == "devices":
            raise ConfigError(f"pareto: {name!r} is not a figure; known: "
                              f"{', '.join(f for f in FIGURES if f != 'devices')}")


def _better(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """a dominates b: no worse in every figure, better in one (all as minimised)."""
    return all(x <= y for x, y in zip(a, b, strict=True)) and a != b


# the trade-offs a front shows by default: training time against cost, else serving's speed per
# user against total throughput
DEFAULT_FRONTS = (["wall_time_s", "cost_usd"], ["user_tokens_per_s", "throughput_tokens_per_s"])


def default_front(out: str | Path) -> list[str]:
    """The first of `DEFAULT_FRONTS` whose figures some stored point has."""
    stored = read_rows(check_store(out))
    return next((f for f in DEFAULT_FRONTS
                 if any(all(r[n] is not None for n in f) for r in stored)), DEFAULT_FRONTS[0])


def pareto(out: str | Path, figures: list[str]) -> list[Row]:
    """The rows no other row dominates on `figures` (time, cost, energy minimised; tokens/s and
    MFU maximised), rows lacking a figure left out; sorted by the first figure, then hash."""
    check_figures(figures)
    rows = [r for r in read_rows(check_store(out)) if all(r[f] is not None for f in figures)]
    if not rows:
        raise ConfigError(f"pareto: no stored point has {' and '.join(figures)}; train points have "
                          "wall_time_s, cost_usd, energy_J; infer and serve points "
                          "usd_per_million_tokens, user_tokens_per_s, throughput_tokens_per_s")
    signs = [-1.0 if f in MAXIMISED else 1.0 for f in figures]
    keyed = [(tuple(s * float(r[f]) for s, f in zip(signs, figures, strict=True)), r) for r in rows]
    keyed.sort(key=lambda kr: (kr[0], kr[1]["hash"]))
    front: list[tuple[tuple[float, ...], Row]] = []
    for key, r in keyed:
        if not any(_better(k, key) or k == key for k, _ in front):
            front.append((key, r))
    return [r for _, r in front]
