"""The static renderer: PNG/SVG magic bytes, the same bytes twice, atomic writes, paths refused
before any work; the builders import and run without matplotlib."""

import subprocess
import sys
from pathlib import Path

import pytest

from wafersim.errors import ParameterError
from wafersim.figures.figure import Chart, Series

pytest.importorskip("matplotlib")

from wafersim.figures.static import check_static_path, render, save_figure  # noqa: E402

FIG = Chart("demo", "Demo", "x", "y", (Series("a", (1.0, 10.0), (2.0, 20.0)),
                                        Series("b", (3.0,), (4.0,), "scatter", ("p",))),
             x_log=True, y_log=True, note="a note", guides=(Series("a linear", (1.0, 10.0), (2.0, 20.0)),))
BARS = Chart("bars", "Bars", "", "s", (Series("p", ("u", "v"), (1.0, 2.0), "bar"),
                                        Series("q", ("u", "v"), (3.0, 0.5), "bar")), stacked=True)


@pytest.mark.parametrize("fig", [FIG, BARS], ids=["lines", "bars"])
def test_png_and_svg_have_their_magic_and_the_same_bytes_twice(fig):
    png, svg = render(fig, "png"), render(fig, "svg")
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and png == render(fig, "png")
    assert svg.startswith(b"<?xml") and b"<svg" in svg and svg == render(fig, "svg")
    assert b"<dc:date>" not in svg and b"Software" not in png


def test_a_saved_chart_is_the_rendered_bytes(tmp_path):
    path = save_figure(FIG, tmp_path / "c.svg")
    assert path.read_bytes() == render(FIG, "svg") and [p.name for p in tmp_path.iterdir()] == ["c.svg"]


@pytest.mark.parametrize("name, words", [("c.pdf", ".png or .svg"), ("c", ".png or .svg"),
                                         ("no/c.png", "does not exist"), ("", "empty")])
def test_a_bad_path_is_refused_and_nothing_is_written(tmp_path, name, words):
    target = tmp_path / name if name else ""
    with pytest.raises(ParameterError, match=words):
        check_static_path(target)
    with pytest.raises(ParameterError):
        save_figure(FIG, target)
    assert list(tmp_path.iterdir()) == []


BLOCKED = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] == 'matplotlib':
            raise ImportError('no matplotlib')
sys.meta_path.insert(0, Block())
from wafersim import api
from wafersim.errors import ParameterError
from wafersim.figures import breakdown, pareto, roofline, scaling, serving, validation
from wafersim.figures.static import check_static_path
rs = [api.train('llama-3.1-8b', 'dgx-h100', 1e9, count=8)]
fig = breakdown.breakdown_figure(rs, ['h100'])
assert fig.series and 'matplotlib' not in sys.modules
try:
    check_static_path('chart.png')
except ParameterError as exc:
    print(exc)
"""


def test_builders_work_without_matplotlib_and_the_renderer_names_the_extra():
    src = str(Path(__file__).parent.parent / "src")
    run = subprocess.run([sys.executable, "-c", BLOCKED], capture_output=True, text=True,
                         env={"PYTHONPATH": src}, check=True)
    assert "pip install 'wafersim[plot]'" in run.stdout


def test_the_cli_writes_the_chart_and_says_where(cli, tmp_path):
    target = tmp_path / "t.png"
    run = cli("train", "--model", "llama-3.1-8b", "--system", "dgx-h100", "--tokens", "1e9",
              "--count", "8,16", "--plot", str(target))
    assert run.code == 0 and target.read_bytes().startswith(b"\x89PNG") and str(target) in run.err


def test_the_cli_refuses_a_bad_path_before_any_work(cli, tmp_path):
    run = cli("validate", "--plot", str(tmp_path / "v.gif"))
    assert run.code == 2 and run.err.startswith("error: --plot") and run.out == ""
