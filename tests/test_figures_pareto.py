"""Pareto figure: a store's points per system on two figures and the front `sweep pareto` finds."""

import pytest

pytest.importorskip("pyarrow")
pytest.importorskip("duckdb")
pytest.importorskip("matplotlib")

from wafersim.catalog import load_catalog  # noqa: E402
from wafersim.errors import ConfigError  # noqa: E402
from wafersim.figures.pareto import pareto_figure  # noqa: E402
from wafersim.figures.static import render  # noqa: E402
from wafersim.sweep.execute import run_sweep  # noqa: E402
from wafersim.sweep.query import pareto  # noqa: E402
from wafersim.sweep.spec import parse_spec  # noqa: E402
from wafersim.sweep.store import read_rows  # noqa: E402


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    out = tmp_path_factory.mktemp("store")
    spec = parse_spec({"kind": "infer", "grid": {"model": ["llama-3.1-8b"],
                                                 "system": ["dgx-h100", "cs-3"],
                                                 "batch": [1, 4, 16, 64, 256]}}, load_catalog())
    run_sweep(spec, out, "serial", None)
    return out


def test_points_per_system_and_the_front_of_sweep_pareto(store):
    f = pareto_figure(store)
    x, y = "user_tokens_per_s", "throughput_tokens_per_s"
    *clouds, front = f.series
    assert [s.name for s in clouds] == ["cs-3", "dgx-h100"] and front.name == "Pareto front"
    stored = [r for r in read_rows(store) if r[x] is not None]
    assert sorted((a, b) for s in clouds for a, b in zip(s.x, s.y, strict=True)) == sorted(
        (r[x], r[y]) for r in stored)
    best = sorted((r[x], r[y]) for r in pareto(store, [x, y]))
    assert list(zip(front.x, front.y, strict=True)) == best
    assert f.x_label == "output tokens/s per user"


def test_other_figures_and_a_third_one(store):
    f = pareto_figure(store, ["usd_per_million_tokens", "user_tokens_per_s", "energy_per_token_J"])
    assert f.series[-1].name == "Pareto front" and "energy_per_token_J" in f.note


def test_a_figure_the_store_does_not_have_is_refused(store):
    with pytest.raises(ConfigError, match="not a figure"):
        pareto_figure(store, ["cost", "mfu"])


def test_the_chart_is_the_same_bytes_twice(store):
    f = pareto_figure(store)
    assert render(f, "svg") == render(f, "svg")
