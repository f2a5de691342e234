"""Every built-in kernel keeps the cycle counts, counters and outputs pinned before the kernel API
rewrite (pinned_cycles.json, written from the original kernels by tests/mesh/pin_cycles.py)."""

import json
from pathlib import Path

import pytest

from tests.mesh.pinned_cases import CASES, summary

PINNED = json.loads((Path(__file__).parent / "pinned_cycles.json").read_text())


def test_every_case_is_pinned():
    assert sorted(PINNED) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_kernel_matches_its_pinned_figures(name):
    got = json.loads(json.dumps(summary(CASES[name]())))
    want = dict(PINNED[name])
    for key in ("busy", "link"):  # float sums over the grid: equal up to summation order
        assert got.pop(key) == pytest.approx(want.pop(key), rel=1e-12)
    assert got == want
