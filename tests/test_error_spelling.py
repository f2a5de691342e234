"""Only the CLI knows its flags: the library names parameters by their keywords, and the CLI
spells the same errors with the flags the user typed."""

import ast
import re
from pathlib import Path

import pytest
import typer

import wafersim
from wafersim.cli import app
from wafersim.cli.flags import flag_for
from wafersim.errors import ParameterError
from wafersim.plan import Constraints

ROOT = Path(wafersim.__file__).parent
FLAG = re.compile(r"(?<![\w-])--[A-Za-z][\w-]*")
DANGLING = re.compile(r"(?:^|[\s(/'\"`])--$")  # "--" + name, f"--{name}"
# Provenance: the command a calibration records in the catalog notes it writes.
COMMANDS = {("validate/fitting.py", "wafersim calibrate --write"),
            ("validate/kernels.py", "wafersim mesh calibrate --write")}


def _cli_flags() -> set[str]:
    def walk(command):
        for param in command.params:
            yield from (*param.opts, *getattr(param, "secondary_opts", ()))
        for sub in getattr(command, "commands", {}).values():
            yield from walk(sub)

    return {f for f in walk(typer.main.get_command(app)) if f.startswith("--")}


def _docstrings(tree: ast.Module) -> set[int]:
    """ids of the docstring nodes of the module, its classes and functions."""
    owners = [tree, *(n for n in ast.walk(tree) if isinstance(
        n, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef))]
    return {id(o.body[0].value) for o in owners if o.body and isinstance(o.body[0], ast.Expr)
            and isinstance(o.body[0].value, ast.Constant) and isinstance(o.body[0].value.value, str)}


def flags_named(source: str, cli_flags: set[str]) -> list[tuple[int, str]]:
    """(line, text) of every string naming a flag. Docstrings cite other tools' flags (vLLM,
    SGLang's bench_serving), so there only the CLI's own flags count."""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        text = node.value
        if id(node) in docs:
            hit = any(f in cli_flags for f in FLAG.findall(text))
        else:
            hit = bool(FLAG.search(text) or DANGLING.search(text))
        if hit:
            found.append((node.lineno, text))
    return found


def test_the_scan_finds_flags_in_messages_fstrings_and_docstrings():
    source = '''"""Set it with --tp."""
def f(name, tp):
    """Like bench_serving --num-prompts."""
    raise ValueError(f"--tp {tp} is bad") if tp else ValueError(f"--{name} 0" + "--" + name)
'''
    found = sorted(text for _, text in flags_named(source, {"--tp"}))
    assert found == ["--", "--", "--tp ", "Set it with --tp."]


def test_the_library_names_no_cli_flag():
    cli_flags = _cli_flags()
    assert {"--tp", "--catalog", "--tpot-slo"} <= cli_flags
    named = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if not rel.startswith("cli/"):
            named += [(rel, text) for _, text in flags_named(path.read_text(), cli_flags)]
    assert [hit for hit in named if hit not in COMMANDS] == []
    assert set(named) == COMMANDS  # each provenance command is still there


def _parameters_named(source: str) -> set[str]:
    """Parameters that ParameterErrors in `source` name: their first argument, ``{name.flag}``."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Call) and getattr(node.func, "id", None) in ERRORS and node.args
                and isinstance(node.args[0], ast.Constant)):
            names.add(node.args[0].value)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names |= set(re.findall(r"\{(\w+)\.flag\}", node.value))
    return names


ERRORS = ("ParameterError", "InfeasibleParameter")


def test_every_parameter_a_library_error_names_has_a_flag():
    cli_flags = _cli_flags()
    names = set().union(*(_parameters_named(p.read_text()) for p in ROOT.rglob("*.py")
                          if not p.relative_to(ROOT).as_posix().startswith(("cli/", "errors.py"))))
    assert {"tp", "n_heads", "rate_per_s", "extra_dirs"} <= names
    assert {n: flag_for(n) for n in names if flag_for(n) not in cli_flags} == {}


def test_a_library_call_names_the_keyword_and_what_is_allowed():
    with pytest.raises(ParameterError) as exc:
        wafersim.train("llama-2-70b", "dgx-h100", 1e12, count=64, plan=Constraints(tp=3))
    # heads would be padded (models/padding.py); three devices cannot tile a node of eight
    assert str(exc.value).startswith("tp=3 does not divide the scale-up domain of 8 devices")
    assert "--" not in str(exc.value)
    assert (exc.value.parameter, exc.value.value, exc.value.allowed) == ("tp", 3, "a divisor of 8")


def test_a_workload_names_keywords_the_cli_renames():
    with pytest.raises(ParameterError, match=r"^rate_per_s=-1 must be a positive") as exc:
        wafersim.simulate_serving("llama-3.1-8b", "dgx-h100", rate_per_s=-1.0)
    assert exc.value.allowed


@pytest.mark.parametrize("args, message", [
    (("train", "--model", "llama-2-70b", "--system", "dgx-h100", "--count", "64", "--tokens", "1T",
      "--tp", "3"),
     "error: --tp 3 does not divide the scale-up domain of 8 devices (groups would straddle)\n"),
    (("serve", "--model", "llama-3.1-8b", "--system", "dgx-h100", "--rate", "-1"),
     "error: --rate -1 must be a positive number of requests/s"),
    (("mesh", "decode-layer", "--d-model", "100", "--heads", "3"),
     "error: --d-model 100 must be a multiple of --heads 3\n"),
])
def test_the_cli_spells_the_same_errors_with_flags(cli, args, message):
    run = cli(*args)
    assert run.code == 2 and run.err.startswith(message)
