"""Every built-in kernel keeps the cycle counts, counters and outputs pinned before the kernel API
rewrite (pinned_cycles.json, written from the original kernels by tests/mesh/pin_cycles.py).
Cycles, breakdown and counters are exact; outputs are bit-equal under the NumPy release the pins
were written with and equal to rounding under any other."""

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
    # the numbers: NumPy releases differ in the rounding of float32 products (summation order
    # and SIMD paths), so the output's bytes are equal only under the NumPy the pins were
    # written with; on any other the largest difference from the reference stays at rounding
    # level, within a factor of two of the pinned one
    output, error = got.pop("output"), got.pop("error")
    pinned_output, pinned_error = want.pop("output"), want.pop("error")
    assert output == pinned_output or error <= 2 * pinned_error + 1e-12
    assert got == want
