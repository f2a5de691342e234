"""Imports on demand: the command line imports a subcommand only when it runs (its help lists them
all regardless), and the package its public API on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest

import wafersim
from wafersim.cli.lazy import COMMANDS, load, short_help


@pytest.mark.parametrize("name", list(COMMANDS))
def test_help_line_matches_the_command(name):
    command = load(name)
    for limit in (45, 80, 1000):
        assert short_help(name, limit) == command.get_short_help_str(limit)


def test_root_help_lists_every_command_without_importing_them():
    code = ("import sys; from wafersim.cli import main; main(['--help']); "
            "print(' '.join(sorted(m for m in sys.modules if m.startswith(('wafersim.', 'numpy')))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    *help_lines, modules = out.strip().splitlines()
    listed = [line.split()[0] for line in help_lines[help_lines.index("Commands:") + 1:]]
    assert listed == list(COMMANDS)
    assert set(modules.split()) <= {"wafersim.cli", "wafersim.cli.lazy", "wafersim.cli.flags",
                                    "wafersim.errors"}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_subcommand_help(cli, name):
    r = cli(name, "--help")
    assert r.code == 0 and r.out.startswith(f"Usage: wafersim {name} ")


def test_unknown_command_suggests_a_lazy_one(cli):
    r = cli("infr")
    assert r.code == 2 and "Did you mean 'infer'?" in r.err


def test_public_api_resolves_on_first_use():
    from wafersim import api, serve
    from wafersim.cost.infer import result

    assert (wafersim.infer, wafersim.train, wafersim.simulate_serving) == (api.infer, api.train,
                                                                            api.simulate_serving)
    assert (wafersim.InferResult, wafersim.ServeResult) == (result.InferResult,
                                                            serve.result.ServeResult)
    assert set(wafersim.__all__) <= set(dir(wafersim))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        wafersim.nope  # noqa: B018
