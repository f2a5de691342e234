"""One exception family for everything a user can get wrong.

`SimError` is the root; the CLI turns any `SimError` into a one-line ``error: ...`` and exit code 2.
Messages name the offending value and say how to fix it.
"""

from __future__ import annotations


class SimError(Exception):
    """Base of every error wafersim raises on purpose."""


class ConfigError(SimError):
    """A catalog file, model config or command-line value is malformed or refers to nothing."""


class UnknownIdError(ConfigError):
    """An id (system, model, network...) is not in the catalog; the message suggests close ids."""


class InfeasiblePlan(SimError):
    """A plan cannot run: it does not fit in memory, or its degrees do not divide the model."""


class ValidationError(SimError):
    """A validation record cannot be evaluated or violates its tolerance."""


def one_line(text: str) -> str:
    """Collapse whitespace so a message always prints on one line."""
    return " ".join(str(text).split())
