"""Held-out error per family: wafersim's median absolute error per serving stack and framework.

Run: python benchmarks/bench_validation_families.py [BEFORE.json] [AFTER.json]
(prints figures; asserts nothing; a few seconds).
- no file: runs `wafersim validate --json` now and prints its families;
- one file: the families of that `wafersim validate --json` output;
- two files: before and after side by side, e.g.
    git stash; python -m wafersim validate --json > before.json; git stash pop
    python -m wafersim validate --json > after.json
    python benchmarks/bench_validation_families.py before.json after.json

A family is the row's kind and its serving stack (infer rows) or training framework engine
(train rows), as `wafersim validate --json` names it in each row's `family`. Micro rows are left
out. Held-out rows are those the file does not mark `calibration` (each file by its own marks).
An older output without families borrows them by row id from the other file where the row is the
same (same kind, system, model, metric and measured value); a row that has none is counted under
`-`, and a family a file has no held-out row in shows `-`. Families are sorted worst first by the
last file's median.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterable

KINDS = ("train", "infer")
SAME = ("kind", "system", "model", "metric", "measured")  # a row with these equal is the same row
NONE = "-"


def current() -> dict:  # type: ignore[type-arg]
    """`wafersim validate --json` of the installed (or PYTHONPATH) wafersim, run now."""
    out = subprocess.run([sys.executable, "-m", "wafersim", "validate", "--json"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)  # type: ignore[no-any-return]


def load(path: str) -> dict:  # type: ignore[type-arg]
    with open(path) as f:
        return json.load(f)  # type: ignore[no-any-return]


def rows_of(data: dict) -> list[dict]:  # type: ignore[type-arg]
    return [r for r in data["rows"] if r.get("kind") in KINDS]


def borrow(rows: list[dict], other: Iterable[dict]) -> list[dict]:  # type: ignore[type-arg]
    """`rows`, each given the family of the same row in `other` where it has none."""
    known = {r["id"]: r for r in other if r.get("family")}
    out = []
    for r in rows:
        twin = known.get(r["id"])
        if not r.get("family") and twin and all(r.get(k) == twin.get(k) for k in SAME):
            r = {**r, "family": twin["family"]}
        out.append(r)
    return out


def family(row: dict) -> str:  # type: ignore[type-arg]
    return row.get("family") or NONE


def held_out(rows: list[dict], key: Callable[[dict], str] = family) -> dict[str, list[float]]:  # type: ignore[type-arg]
    """Absolute errors (%) of the held-out rows that the tool predicted, grouped by `key`."""
    out: dict[str, list[float]] = {key(r): [] for r in rows}  # a family of calibration rows only: -
    for r in rows:
        if r.get("calibration") or r.get("status") != "ok" or r.get("error_pct") is None:
            continue
        out.setdefault(key(r), []).append(abs(r["error_pct"]))
    return out


def cell(errors: list[float] | None) -> str:
    if not errors:
        return f"{NONE:>4} {NONE:>8}"
    return f"{len(errors):>4} {statistics.median(errors):>7.1f}%"


def order(tables: list[dict[str, list[float]]]) -> list[str]:
    """Families worst first by the last table's median; those without one there last, by name."""
    last = tables[-1]
    def key(name: str) -> tuple[bool, float, str]:
        return not last.get(name), -statistics.median(last.get(name) or [0.0]), name

    return sorted(set().union(*tables), key=key)


def print_tables(labels: list[str], datas: list[dict]) -> None:  # type: ignore[type-arg]
    rows = [rows_of(d) for d in datas]
    if len(rows) == 2:
        rows = [borrow(rows[0], rows[1]), borrow(rows[1], rows[0])]
    tables = [held_out(r) for r in rows]
    kinds = [held_out(r, key=lambda row: f"{row['kind']}: all held-out rows") for r in rows]
    width = max(len(n) for t in tables + kinds for n in t)
    head = f"{'family':{width}} " + " | ".join(f"{label:>13}" for label in labels)
    print("Held-out median absolute error per family (n rows, median |error|), worst first:")
    print(head)
    print("-" * len(head))
    for name in order(tables):
        print(f"{name:{width}} " + " | ".join(cell(t.get(name)) for t in tables))
    print("-" * len(head))
    for k in KINDS:
        name = f"{k}: all held-out rows"
        print(f"{name:{width}} " + " | ".join(cell(t.get(name)) for t in kinds))
    for label, r in zip(labels, rows, strict=True):
        skipped = [f"{x['id']} ({family(x)})" for x in r if x.get("status") != "ok"]
        print(f"{label}: rows not predicted: {', '.join(skipped) or 'none'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", metavar="JSON",
                        help="`wafersim validate --json` outputs: none (run it now), one, or before, after")
    args = parser.parse_args()
    if len(args.files) > 2:
        parser.error("give at most two files: before and after")
    datas = [load(p) for p in args.files] or [current()]
    labels = {0: ["now"], 1: ["file"], 2: ["before", "after"]}[len(args.files)]
    for label, path in zip(labels, args.files, strict=False):
        print(f"{label}: {path}")
    print_tables(labels, datas)
    return 0


if __name__ == "__main__":
    sys.exit(main())
