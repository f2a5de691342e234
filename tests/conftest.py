"""Shared fixtures: the built-in catalog and a CLI runner that captures one-line errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import settings

from wafersim.catalog import Catalog, load_catalog
from wafersim.cli import main

# Property tests draw the same examples on every run (deterministic CI); explore locally with
# pytest --hypothesis-seed=N.
settings.register_profile("deterministic", derandomize=True)
settings.load_profile("deterministic")


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


@pytest.fixture
def cli(capsys) -> Callable[..., Run]:
    """Run `wafersim ARGS...` in-process; returns exit code, stdout and stderr."""

    def run(*args: str) -> Run:
        code = main(list(args))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run
