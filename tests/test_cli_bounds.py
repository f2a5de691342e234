"""Command-line numbers: every value is either accepted (and reaches the library) or refused in
one line with exit code 2 naming the flag; bounds, conflicts and progress (cli/bounds.py,
cli/conflicts.py, cli/progress.py)."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

import wafersim
from wafersim.cli import bounds, progress
from wafersim.errors import ConfigError, ParameterError


class Reached(Exception):
    """The command accepted its options and called the library."""


def _reached(*_: object, **__: object) -> None:
    raise Reached


STUBS = ("wafersim.cli.train.run_train", "wafersim.cli.infer.run_infer",
         "wafersim.cli.serve.simulate_serving", "wafersim.cli.serve.simulate_serving_models",
         "wafersim.cli.compare.run_compare")
TRAIN = ("train", "--model", "llama-2-7b", "--system", "dgx-h100", "--tokens", "1T")
INFER = ("infer", "--model", "llama-3.1-8b", "--system", "h100-sxm")
DRAFTED = ("infer", "--model", "llama-3.1-8b", "--system", "cs-3", "--draft", "gpt3-125m")
SERVE = ("serve", "--model", "llama-3.1-8b", "--system", "h100-sxm")
# (command line before the flag, the flag) for every number-taking option family
NUMBER_FLAGS = [
    *((TRAIN, f) for f in ("--count", "--global-batch", "--seq-len", "--sparsity", "--tp", "--pp",
                           "--dp", "--cp", "--ep", "--zero", "--micro-batch")),
    (TRAIN[:-2], "--tokens"),
    *((INFER, f) for f in ("--count", "--batch", "--input-tokens", "--output-tokens", "--tp",
                           "--attention-dp", "--tpot-slo", "--disaggregate")),
    (("infer", "--model", "llama-3.1-8b", "--system", "cs-3"), "--pipeline-wafers"),
    (DRAFTED, "--acceptance"), (DRAFTED, "--lookahead"),
    *((SERVE, f) for f in ("--requests", "--concurrency", "--rate", "--range-ratio", "--seed",
                           "--prefill-tokens", "--input-tokens")),
    (("serve", "--model", "llama-3.1-8b,llama-3.1-70b", "--system", "cs-3"), "--mix"),
    (("compare", "llama-3.1-8b", "--train-tokens", "1T"), "--train-devices"),
    (("compare", "llama-3.1-8b"), "--train-tokens"),
    (("models", "gpt3-125m"), "--seq-len"),
]
NUMBERS = st.one_of(
    st.integers(-10**40, 10**40).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["", " ", "0", "-1", "-0", "1e309", "-1e309", "nan", "inf", "1_000", "2T", "1,2",
                     "1e-9", "0x10", "１２"]),
    st.text(alphabet="0123456789.eE+-_,:kMBTnaifs ", max_size=10),
)


@pytest.fixture
def stubbed(monkeypatch):
    for target in STUBS:
        monkeypatch.setattr(target, _reached)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(NUMBER_FLAGS), NUMBERS)
def test_any_number_is_accepted_or_one_line_exit_2(cli, stubbed, case, text):
    prefix, flag = case
    try:
        run = cli(*prefix, flag, text)
    except Reached:
        return
    lines = run.err.strip().splitlines()
    if run.code == 0:  # only `models` runs to the end here
        assert prefix[0] == "models" and not run.err
        return
    assert run.code == 2 and len(lines) == 1 and lines[0].startswith("error:"), run.err
    assert "Traceback" not in run.err


SMALL_SERVE = ("serve", "--model", "gpt3-125m", "--system", "h100-sxm", "--requests", "4",
               "--input-tokens", "16", "--output-tokens", "4")
SMALL_INFER = ("infer", "--model", "gpt3-125m", "--system", "h100-sxm", "--input-tokens", "16",
               "--output-tokens", "4")
# flags whose every accepted value is cheap to run to the end
CHEAP_FLAGS = [*((SMALL_SERVE, f) for f in ("--seed", "--rate", "--range-ratio", "--concurrency",
                                            "--prefill-tokens")),
               *((SMALL_INFER, f) for f in ("--batch", "--tp", "--pp", "--tpot-slo", "--count"))]


@pytest.mark.parametrize("case", CHEAP_FLAGS, ids=lambda case: case[1])
@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=NUMBERS)
def test_any_number_runs_or_is_one_line_exit_2(cli, case, text):
    prefix, flag = case
    run = cli(*prefix, flag, text, "--json")
    if run.code == 0:
        json.loads(run.out)
        return
    lines = run.err.strip().splitlines()
    assert run.code == 2 and len(lines) == 1 and lines[0].startswith("error:"), run.err


@pytest.mark.parametrize(("args", "message"), [
    (("train", "--model", "llama-2-7b", "--system", "dgx-h100", "--tokens", "1e9", "--count",
      "100000000000000000000"), "--count 100000000000000000000 is past the limit of 1,000,000 "
     "devices"),
    (("serve", "--model", "llama-3.1-8b", "--system", "h100-sxm", "--requests", "10000000"),
     "set WAFERSIM_MAX_REQUESTS to raise the limit"),
    (("serve", "--model", "llama-3.1-8b", "--system", "h100-sxm", "--seed", "-1"),
     "--seed -1 is below 0"),
    (("compare", "llama-3.1-8b", "--systems", ""), "--systems is empty"),
    (("train", "--model", "llama-2-7b", "--system", "dgx-h100", "--tokens", "1e9", "--plan",
      "tp8", "--tp", "4"), "--plan 'tp8' and --tp 4 conflict"),
    (("infer", "--model", "llama-3.1-8b", "--system", "h100-sxm", "--max-throughput", "--batch",
      "64"), "--max-throughput and --batch conflict"),
    (("infer", "--model", "llama-3.1-8b", "--system", "h100-sxm", "--acceptance", "0.5"),
     "--acceptance needs --draft"),
    (("validate", "--json", "--markdown"), "--json and --markdown conflict"),
    (("infer", "--model", "llama-3.1-8b", "--system", "h100-sxm", "--input-tokens", "1000000"),
     "past the 131,072-token context of llama-3.1-8b"),
    (("train", "--model", "llama-2-7b", "--system", "dgx-h100", "--tokens", "1e12", "--seq-len",
      "32768"), "allow context-extension training with --beyond-context"),
])
def test_refusals_name_the_flags(cli, args, message):
    run = cli(*args)
    assert run.code == 2 and message in run.err, run.err


def test_an_environment_variable_raises_a_practical_limit(monkeypatch):
    with pytest.raises(ConfigError, match="WAFERSIM_MAX_DEVICES"):
        bounds.check("--count", "count", 2_000_000)
    monkeypatch.setenv("WAFERSIM_MAX_DEVICES", "4e6")
    bounds.check("--count", "count", 2_000_000)
    with pytest.raises(ConfigError, match=r"limit of 4,000,000 devices"):
        bounds.check("--count", "count", 5_000_000)


def test_a_bound_open_at_its_top_refuses_the_top():
    bounds.check("--acceptance", "acceptance", 0.999)
    with pytest.raises(ConfigError, match=r"give a value in \[0, 1\)"):
        bounds.check("--acceptance", "acceptance", 1.0)


def test_beyond_context_trains_and_says_so(cli):
    run = cli("train", "--model", "llama-2-7b", "--system", "dgx-h100", "--tokens", "1T",
              "--seq-len", "8192", "--beyond-context", "--json")
    assumptions = json.loads(run.out)["assumptions"]
    assert run.code == 0 and any("past the 4,096-token context" in a for a in assumptions)


def test_a_recompute_mode_in_the_plan_is_kept(cli):
    def recompute(plan: str) -> str:
        run = cli("train", "--model", "llama-2-7b", "--system", "dgx-h100", "--tokens", "1T",
                  "--plan", plan, "--json")
        return json.loads(run.out)["plan"]["recompute"]

    assert (recompute("tp8,full"), recompute("tp8,none")) == ("full", "none")


def test_serving_one_output_token_has_no_tpot_and_json_says_null(cli):
    run = cli("serve", "--model", "gpt3-125m", "--system", "h100-sxm", "--requests", "4",
              "--input-tokens", "16", "--output-tokens", "1", "--json")
    assert run.code == 0 and json.loads(run.out)["tpot_s"]["mean"] is None


def test_progress_is_shown_on_a_terminal_only(cli, monkeypatch):
    args = ("serve", "--model", "gpt3-125m", "--system", "h100-sxm", "--requests", "4",
            "--input-tokens", "16", "--output-tokens", "4", "--json")
    quiet = cli(*args)
    assert quiet.code == 0 and quiet.err == ""
    screen = io.StringIO()
    monkeypatch.setattr(progress, "terminal", lambda: Console(file=screen, force_terminal=True))
    shown = cli(*args)
    assert shown.out == quiet.out and "simulating 4 requests" in screen.getvalue()


def test_the_library_refuses_nonsense_workloads():
    with pytest.raises(ParameterError, match="is not smaller than gpt3-125m") as exc:
        wafersim.infer("gpt3-125m", "cs-3", draft="llama-3.1-8b")
    assert exc.value.parameter == "draft"
    with pytest.raises(ParameterError, match="streams weights to wafer-scale systems only"):
        wafersim.train("llama-2-7b", "dgx-h100", 1e12, memory_service="memoryx-12tb")
    with pytest.raises(ParameterError, match="fewer than one optimizer step"):
        wafersim.train("llama-2-7b", "dgx-h100", 1e3)
    with pytest.raises(ParameterError, match="past the 4,096-token context"):
        wafersim.train("llama-2-7b", "dgx-h100", 1e12, seq_len=8192, beyond_context=False)
    with pytest.raises(ParameterError, match="seed=-1 must be a non-negative integer"):
        wafersim.simulate_serving("gpt3-125m", "h100-sxm", requests=4, seed=-1)
