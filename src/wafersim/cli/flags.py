"""Library parameter names -> the command-line flags that set them.

The library names parameters by their keyword arguments (`tpot_slo_s`); errors the CLI prints
name the flag the user typed (`--tpot-slo`). A parameter not listed here is spelled
``--`` + its name with dashes.
"""

from __future__ import annotations

from wafersim.errors import ParameterError

FLAGS = {
    "tpot_slo_s": "--tpot-slo",
    "rate_per_s": "--rate",
    "extra_dirs": "--catalog",
    "n_heads": "--heads",
    "plot_path": "--plot",
    "trace_path": "--trace",
    "power_W": "--power-mw",
    "deadline_s": "--deadline",
    "period_s": "--period",
    "eval_every_tokens": "--eval-every",
}


def flag_for(parameter: str) -> str:
    """The flag of a library parameter: FLAGS, else ``--name-with-dashes``."""
    return FLAGS.get(parameter, "--" + parameter.replace("_", "-"))


def message_of(exc: Exception) -> str:
    """An error's message as the command line spells it: a ParameterError names flags."""
    return exc.render(flag_for, " ") if isinstance(exc, ParameterError) else str(exc)
