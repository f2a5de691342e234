"""Run a sweep: the points not yet stored, in chunks, on one executor, each chunk a new part.

Executors: "serial" (this process), "process" (a local process pool, the default) and "ray"
(a local Ray, or the cluster at `address`; ray is imported only then). Chunks are formed from
the points alone, so every executor and worker count writes the same parts with the same rows.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from wafersim.errors import ConfigError
from wafersim.sweep.evaluate import Row, evaluate
from wafersim.sweep.spec import SweepPoint, SweepSpec
from wafersim.sweep.store import clear_temporary, require, stored_hashes, write_part

EXECUTORS = ("serial", "process", "ray")
CHUNK_POINTS = 256  # points per task: enough for the vectorised batch path, small for resume
WORKERS_MAX = 1024
CHUNK_MAX = 100_000


@dataclass(frozen=True)
class SweepOutcome:
    """What a run did: points in the spec, already stored, evaluated now, failed of those."""

    points: int
    skipped: int
    evaluated: int
    failed: int
    parts: int


def _order(p: SweepPoint) -> tuple[str, int]:
    return p.siblings(), p.batch or 0


def chunks(points: list[SweepPoint], size: int = CHUNK_POINTS) -> list[list[SweepPoint]]:
    """Points sorted so that those differing only in batch sit together, cut every `size`."""
    ordered = sorted(points, key=_order)
    return [ordered[i:i + size] for i in range(0, len(ordered), size)]


def _serial(work: list[list[SweepPoint]], dirs: tuple[str, ...]) -> Iterator[list[Row]]:
    for chunk in work:
        yield evaluate(chunk, dirs)


def _pool(work: list[list[SweepPoint]], dirs: tuple[str, ...], workers: int) -> Iterator[list[Row]]:
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending: set[Future[list[Row]]] = set()
        queue = iter(work)
        for chunk in queue:
            pending.add(pool.submit(evaluate, chunk, dirs))
            if len(pending) >= 2 * workers:
                break
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=lambda f: f.result()[0]["hash"]):
                yield future.result()
                nxt = next(queue, None)
                if nxt is not None:
                    pending.add(pool.submit(evaluate, nxt, dirs))


def _ray(work: list[list[SweepPoint]], dirs: tuple[str, ...], address: str | None) -> Iterator[list[Row]]:
    ray = require("ray")
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    remote = ray.remote(evaluate)
    pending = [remote.remote(chunk, dirs) for chunk in work]
    while pending:
        done, pending = ray.wait(pending, num_returns=1)
        yield ray.get(done[0])


def check_executor(executor: str, workers: int | None) -> None:
    """An executor name and a worker count that can run."""
    if executor not in EXECUTORS:
        raise ConfigError(f"executor {executor!r} is not one of {', '.join(EXECUTORS)}")
    if workers is not None and not 1 <= workers <= WORKERS_MAX:
        raise ConfigError(f"workers {workers}: give a whole number from 1 to {WORKERS_MAX}")


def run_sweep(spec: SweepSpec, out: Path, executor: str = "process", workers: int | None = None,
              address: str | None = None, catalog_dirs: tuple[str, ...] = (),
              advance: Callable[[int], None] = lambda n: None,
              chunk: int = CHUNK_POINTS) -> SweepOutcome:
    """Evaluate the spec's points not yet in `out`, writing one part per chunk of `chunk` points
    as it finishes; one run at a time per directory (it clears a killed run's temporary files)."""
    check_executor(executor, workers)
    if not 1 <= chunk <= CHUNK_MAX:
        raise ConfigError(f"chunk {chunk}: give a whole number of points from 1 to {CHUNK_MAX:,}")
    points = spec.points()
    clear_temporary(out)
    done = stored_hashes(out)
    todo = [p for p in points if p.key() not in done]
    work = chunks(todo, chunk)
    if executor == "serial":
        results = _serial(work, catalog_dirs)
    elif executor == "process":
        results = _pool(work, catalog_dirs, workers or os.cpu_count() or 1)  # default: every core
    else:
        results = _ray(work, catalog_dirs, address)
    failed = written = 0
    for rows in results:
        write_part(out, rows)
        failed += sum(r["error"] is not None for r in rows)
        written += 1
        advance(len(rows))
    return SweepOutcome(len(points), len(points) - len(todo), len(todo), failed, written)
