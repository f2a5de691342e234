"""Sweeps: specs expand to typed points with stable hashes; every executor writes the same rows;
a run killed with SIGKILL resumes without losing or duplicating a point; query and pareto."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("pyarrow")
pytest.importorskip("duckdb")

from wafersim.catalog import load_catalog  # noqa: E402
from wafersim.errors import ConfigError  # noqa: E402
from wafersim.sweep import store  # noqa: E402
from wafersim.sweep.evaluate import evaluate  # noqa: E402
from wafersim.sweep.execute import run_sweep  # noqa: E402
from wafersim.sweep.query import MAXIMISED, pareto  # noqa: E402
from wafersim.sweep.spec import SweepPoint, load_spec, parse_spec  # noqa: E402
from wafersim.sweep.store import read_rows  # noqa: E402

ROOT = Path(__file__).parent.parent
INFER = ROOT / "examples" / "sweep_infer.yaml"
TRAIN = ROOT / "examples" / "sweep_train.yaml"
SRC = str(ROOT / "src")


def _spec(**grid):
    return parse_spec({"kind": "infer", "grid": {"model": ["llama-3.1-8b"], "system": ["dgx-h100"],
                                                 **grid}}, load_catalog())


def test_a_grid_spans_every_combination_once():
    points = _spec(batch=[1, 2, 4], input_tokens=[128, 1024]).points()
    assert len(points) == 6
    assert {(p.batch, p.input_tokens) for p in points} == {(b, i) for b in (1, 2, 4)
                                                            for i in (128, 1024)}


def test_a_sample_depends_on_its_seed_only():
    spec = {"kind": "infer", "grid": {"model": ["llama-3.1-8b", "llama-3.1-70b"],
                                      "system": ["dgx-h100", "cs-3"], "batch": list(range(1, 65))}}
    draw = [parse_spec(spec | {"sample": {"n": 20, "seed": s}}, load_catalog()).points()
            for s in (1, 1, 2)]
    assert draw[0] == draw[1] != draw[2]
    assert 0 < len(draw[0]) <= 20


def test_a_points_hash_is_stable_and_names_every_field():
    point = SweepPoint(kind="infer", model="llama-3.1-8b", system="dgx-h100", batch=8)
    assert point.key() == SweepPoint.model_validate(point.model_dump()).key()
    assert len(point.key()) == 64
    assert point.key() != point.model_copy(update={"batch": 9}).key()
    assert point.key() != point.model_copy(update={"pricing": "rental"}).key()


@pytest.mark.parametrize("grid, words", [
    ({"bacth": [1]}, "bacth"), ({"batch": []}, "at least 1"), ({"model": ["llama-9-1t"]}, "llama-9-1t"),
    ({"system": ["dgx-z900"]}, "dgx-z900")])
def test_a_bad_spec_says_what_is_wrong(grid, words):
    with pytest.raises(ConfigError, match=words):
        _spec(**grid)


def test_a_spec_needs_a_known_kind_and_a_seeded_sample():
    grid = {"model": ["llama-3.1-8b"], "system": ["dgx-h100"]}
    with pytest.raises(ConfigError, match="kind"):
        parse_spec({"kind": "finetune", "grid": grid}, load_catalog())
    with pytest.raises(ConfigError, match="seed"):
        parse_spec({"kind": "infer", "grid": grid, "sample": {"n": 3}}, load_catalog())


def _run(spec_path: Path, out: Path, executor: str, workers: int | None = None, chunk: int = 64):
    return run_sweep(load_spec(spec_path, load_catalog()), out, executor, workers, chunk=chunk)


def test_the_infer_example_gives_the_same_rows_and_parts_serially_and_on_two_processes(tmp_path):
    serial, pool = tmp_path / "serial", tmp_path / "pool"
    serial.mkdir(), pool.mkdir()
    done = _run(INFER, serial, "serial")
    _run(INFER, pool, "process", workers=2)
    rows = read_rows(serial)
    assert len(rows) == done.points >= 200 and rows == read_rows(pool)
    assert 0 < done.failed < done.points  # some batches do not fit: a row with its error text
    names = [p.name for p in store.parts(serial)]
    assert names == [p.name for p in store.parts(pool)]
    assert all((serial / n).read_bytes() == (pool / n).read_bytes() for n in names)


def test_a_rerun_skips_every_stored_point(tmp_path):
    first = _run(TRAIN, tmp_path, "serial")
    again = _run(TRAIN, tmp_path, "serial")
    assert (again.skipped, again.evaluated, again.parts) == (first.points, 0, 0)
    rows = read_rows(tmp_path)
    assert len({r["hash"] for r in rows}) == len(rows) == first.points
    assert all((r["error"] is None) == (r["wall_time_s"] is not None) for r in rows)


def test_ray_gives_the_same_rows(tmp_path):
    pytest.importorskip("ray", reason="ray comes with the sweep extra; CI runs without it")
    (tmp_path / "serial").mkdir(), (tmp_path / "ray").mkdir()
    _run(TRAIN, tmp_path / "serial", "serial")
    _run(TRAIN, tmp_path / "ray", "ray", chunk=8)
    assert read_rows(tmp_path / "serial") == read_rows(tmp_path / "ray")


def _sweep(*args: str) -> list[str]:
    return [sys.executable, "-m", "wafersim", "sweep", *args]


def test_a_sweep_killed_with_sigkill_resumes_without_loss_or_duplicates(tmp_path):
    env = os.environ | {"PYTHONPATH": SRC}
    out = tmp_path / "killed"
    proc = subprocess.Popen(_sweep("run", str(INFER), "--out", str(out), "--executor", "serial",
                                   "--chunk", "4"), env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while len(store.parts(out)) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it was killed"
    interrupted = len(read_rows(out))
    subprocess.run(_sweep("run", str(INFER), "--out", str(out)), env=env, check=True,
                   stdout=subprocess.DEVNULL)
    clean = tmp_path / "clean"
    clean.mkdir()
    _run(INFER, clean, "serial")
    rows = read_rows(out)
    assert 0 < interrupted < len(rows)
    assert len({r["hash"] for r in rows}) == len(rows)
    assert rows == read_rows(clean)
    assert not list(out.glob(".tmp-*"))


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    out = tmp_path_factory.mktemp("store")
    _run(INFER, out, "serial")
    _run(TRAIN, out, "serial")
    return out


def test_query_runs_sql_over_the_results_table(cli, stored):
    run = cli("sweep", "query", str(stored), "SELECT kind, count(*) AS n FROM results "
              "GROUP BY kind ORDER BY kind", "--json")
    assert run.code == 0, run.err
    counts = {r["kind"]: r["n"] for r in json.loads(run.out)}
    rows = read_rows(stored)
    assert counts == {k: sum(r["kind"] == k for r in rows) for k in ("infer", "train")}


def test_bad_sql_is_one_line(cli, stored):
    run = cli("sweep", "query", str(stored), "SELEC wall_time_s FROM results")
    assert run.code == 2 and run.err.startswith("error: query:") and len(run.err.splitlines()) == 1


def _signed(row, figures):
    return [(-1 if f in MAXIMISED else 1) * row[f] for f in figures]


@pytest.mark.parametrize("figures", [["wall_time_s", "cost_usd"], ["wall_time_s", "cost_usd", "energy_J"],
                                     ["usd_per_million_tokens", "user_tokens_per_s"]])
def test_the_pareto_front_is_exactly_the_undominated_rows(stored, figures):
    front = pareto(stored, figures)
    rows = [r for r in read_rows(stored) if all(r[f] is not None for f in figures)]

    def beats(a, b):
        x, y = _signed(a, figures), _signed(b, figures)
        return all(p <= q for p, q in zip(x, y, strict=True)) and x != y

    hashes = {r["hash"] for r in front}
    assert front and len(front) < len(rows)
    assert not any(beats(r, f) for f in front for r in rows)
    assert all(any(beats(f, r) or _signed(f, figures) == _signed(r, figures) for f in front)
               for r in rows if r["hash"] not in hashes)


def test_pareto_prints_the_front(cli, stored):
    run = cli("sweep", "pareto", str(stored), "--x", "usd_per_million_tokens", "--y",
              "user_tokens_per_s", "--json")
    assert run.code == 0, run.err
    assert [r["hash"] for r in json.loads(run.out)] == [
        r["hash"] for r in pareto(stored, ["usd_per_million_tokens", "user_tokens_per_s"])]


def test_a_missing_extra_is_one_line_naming_it(cli, monkeypatch, tmp_path):
    real = store.import_module

    def without_pyarrow(name: str):
        if name.startswith("pyarrow"):
            raise ImportError(name)
        return real(name)

    monkeypatch.setattr(store, "import_module", without_pyarrow)
    run = cli("sweep", "run", str(TRAIN), "--out", str(tmp_path / "r"))
    assert run.code == 2
    assert run.err.strip().splitlines() == [
        "error: sweeps need pyarrow, from the sweep extra: pip install 'wafersim[sweep]'"]
    assert not (tmp_path / "r").exists()


def test_serve_points_simulate_a_benchmark_run_each(tmp_path):
    spec = parse_spec({"kind": "serve", "grid": {"model": ["llama-3.1-8b"], "system": ["dgx-h100"],
                                                 "requests": [20], "rate_per_s": [2.0, 8.0]}},
                      load_catalog())
    run_sweep(spec, tmp_path, "serial")
    rows = sorted(read_rows(tmp_path), key=lambda r: r["rate_per_s"])
    assert [r["error"] for r in rows] == [None, None]
    assert rows[0]["wall_time_s"] > rows[1]["wall_time_s"] > 0  # 20 requests sent 4 times faster


def test_batches_past_the_kv_cache_fail_as_they_do_alone():
    spec = parse_spec({"kind": "infer", "grid": {
        "model": ["llama-3.1-70b"], "system": ["dgx-h100"], "input_tokens": [4096],
        "output_tokens": [4096], "batch": [1, 7, 64, 300, 2000, 5000, 20000]}}, load_catalog())
    points = list(spec.points())
    rows = evaluate(points)
    alone = [evaluate([p])[0] for p in points]
    assert rows == alone
    assert {r["error"] is None for r in rows} == {True, False}
    assert all(str(r["batch"]) in r["error"] for r in rows if r["error"])
