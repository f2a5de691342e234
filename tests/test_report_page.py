"""The HTML report: figures drawn as plotly JSON, one self-contained page, written atomically."""

from __future__ import annotations

import json
import os
import re
import sys

import pytest

from tests.report_sample import FIGURES, sample_contents
from wafersim.errors import ConfigError, ParameterError
from wafersim.figures.contents import ReportContents
from wafersim.figures.figure import Chart, Series
from wafersim.figures.interactive import chart_div, chart_id, figure_json, plotly_js
from wafersim.figures.page import render, write_report

SCALING, BREAKDOWN, VALIDATION = FIGURES


def test_log_axes_stacked_bars_and_dashed_guides():
    scaling, breakdown, validation = (figure_json(f) for f in FIGURES)
    assert (scaling["layout"]["xaxis"]["type"], scaling["layout"]["yaxis"]["type"]) == ("log", "log")
    assert breakdown["layout"]["barmode"] == "stack"
    assert breakdown["layout"]["xaxis"]["type"] == "category"
    assert [t["type"] for t in breakdown["data"]] == ["bar", "bar"]
    guide = validation["data"][-1]
    assert guide["line"]["dash"] == "dash" and guide["mode"] == "lines"
    assert validation["data"][0]["mode"] == "markers"


def test_hover_labels_and_gaps():
    trace = figure_json(SCALING)["data"][0]
    assert trace["customdata"] == ["1", "2", "4"] and "%{customdata}" in trace["hovertemplate"]
    assert figure_json(SCALING)["data"][1]["y"][-1] is None  # NaN: a gap, not invalid JSON


def test_text_is_escaped_and_scripts_cannot_be_closed_early():
    sly = Chart("x", "</script><b>", "a", "b", (Series("<i>", (1.0,), (2.0,), labels=("&",)),),
                 note="<em>")
    div = chart_div(sly)
    assert "</script><b>" not in div and "<em>" not in div and "&lt;em&gt;" in div
    assert div.count("</script>") == 1
    assert figure_json(sly)["data"][0]["customdata"] == ["&amp;"]


def test_chart_ids_come_from_names_and_output_is_deterministic():
    assert chart_id(Chart("Scaling: CS-3", "t", "x", "y", ())) == "chart-scaling-cs-3"
    assert chart_div(SCALING) == chart_div(SCALING)
    assert 'id="chart-scaling"' in chart_div(SCALING)
    call = re.search(r"newPlot\(\"chart-scaling\",(.*)\)\);</script>", chart_div(SCALING))
    assert call is not None and json.loads(f"[{call.group(1)}]")[0][0]["name"] == "cs-3"


def test_page_is_self_contained_with_plotly_once():
    html = render(sample_contents())
    assert html == render(sample_contents())
    bundle = plotly_js()
    assert html.count(bundle[:200]) == 1
    ours = html.replace(bundle, "")
    assert not re.search(r"<script[^>]+src=|<link|https?://", ours)
    assert html.count('class="chart"') == len(FIGURES)
    for section in ("comparison", "charts", "validation", "claims"):
        assert f'<section id="{section}">' in html


def test_page_tables_claims_and_basis():
    html = render(sample_contents())
    assert "$/M tokens (tco)" in html and "cost (tco)" in html and "basis tco" in html
    assert "cannot train: no &lt;plan&gt; fits" in html  # escaped
    assert 'id="claim-c1"' in html and "holds only if" in html
    assert "MFU" in html and "facility MW" in html and "power at max (kW)" in html
    assert "median |error|" in html


def test_figure_names_must_be_distinct():
    with pytest.raises(ValueError, match="appears twice"):
        ReportContents(model="m", systems=("cs-3",), pricing="tco", figures=(SCALING, SCALING))


def test_page_without_charts_leaves_the_section_out():
    html = render(sample_contents(with_figures=False))
    assert '<section id="charts">' not in html and 'href="#charts"' not in html


def test_write_replaces_atomically(tmp_path, monkeypatch):
    out = tmp_path / "r.html"
    out.write_text("before")
    write_report(out, "<p>new</p>")
    assert out.read_text() == "<p>new</p>"

    def broken(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError):
        write_report(out, "<p>newer</p>")
    assert out.read_text() == "<p>new</p>" and [p.name for p in tmp_path.iterdir()] == ["r.html"]


def test_unwritable_outputs_name_the_parameter(tmp_path):
    for bad in (tmp_path, tmp_path / "missing" / "r.html"):
        with pytest.raises(ParameterError, match="output=") as info:
            write_report(bad, "x")
        assert info.value.parameter == "output"


def test_missing_plotly_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "plotly", None)
    with pytest.raises(ConfigError, match=r"pip install 'wafersim\[plot\]'"):
        chart_div(SCALING)


def test_cli_without_plotly_is_one_line(cli, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "plotly", None)
    r = cli("report", "llama-3.1-8b", "-o", str(tmp_path / "r.html"))
    assert r.code == 2 and r.err.count("\n") == 1 and "wafersim[plot]" in r.err
    assert list(tmp_path.iterdir()) == []


def _store(tmp_path):
    pytest.importorskip("pyarrow")
    from wafersim.catalog import load_catalog
    from wafersim.sweep.execute import run_sweep
    from wafersim.sweep.spec import parse_spec

    spec = parse_spec({"kind": "infer", "grid": {"model": ["llama-3.1-8b"], "system": ["dgx-h100"],
                                                 "batch": [1, 8, 64]}}, load_catalog())
    (tmp_path / "store").mkdir()
    run_sweep(spec, tmp_path / "store", "serial")
    return tmp_path / "store"


def test_cli_writes_the_report_with_the_sweeps_front(cli, tmp_path, monkeypatch):
    from wafersim.claims.evaluate import evaluate_claims
    from wafersim.figures import gather

    monkeypatch.setattr(gather, "evaluate_claims", lambda ids, cat: evaluate_claims(
        ["C3"], cat, with_sensitivity=False))  # one claim keeps the test short
    out = tmp_path / "report.html"
    r = cli("report", "llama-3.1-8b", "--systems", "dgx-h100", "--sweep", str(_store(tmp_path)),
            "--tokens", "100B", "--train-devices", "8", "-o", str(out))
    assert r.code == 0 and f"wrote {out}" in r.out.replace("\n", "")
    html = out.read_text()
    assert 'id="chart-pareto' in html and 'id="chart-roofline-dgx-h100"' in html
    assert "Sweep results: " in html and 'id="claim-c3"' in html and "on 100 B tokens" in html
