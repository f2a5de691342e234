"""Gate: validation on the public set stays within its error bounds, and prints the table.

Bounds: the median absolute error over train + infer rows at most
MEDIAN_BOUND_PCT, and no row beyond ROW_BOUND_PCT. Rows the model cannot yet reproduce for a
named, documented reason are listed in KNOWN_GAPS (docs/validation.md explains each); the test
fails if such a row comes back inside the bound, so the list only ever shrinks. Tighten the
bounds as accuracy improves (the goal is a median under 8%). The held-out rows (no fit reads
them) of each kind have a median bound of their own, HELD_OUT_BOUND_PCT, and so does each
family (serving stack or training framework) of them, FAMILY_BOUND_PCT.
"""

import statistics

import pytest

from wafersim.validate.records import read
from wafersim.validate.run import validate

MEDIAN_BOUND_PCT = 9.5
ROW_BOUND_PCT = 50.0
# median absolute error of the rows no fit reads, per kind (the goal: 10% each)
HELD_OUT_BOUND_PCT = {"infer": 10.0, "train": 8.0}
# median absolute error of each family's held-out rows (a serving stack or training framework)
FAMILY_BOUND_PCT = 25.0
KNOWN_GAPS = {
    "CB08": "GPT-J on 2 CS-2 under release 1.7.1: 1.6x slower than the same run under 2.0.3 (CB10); "
            "training software releases are not modelled",
    "I035": "Llama 3.1 405B on the SN40L endpoint uses speculative decoding with an unnamed draft "
            "(arXiv 2405.07518 section VI-B); without the draft and its acceptance the model runs "
            "one token per step, ~5x slower",
    "MOE-4": "Qwen3-235B MXFP8 on DGX-B200: 16 local experts' GEMMs launched one by one without CUDA "
             "graphs are costed (recipe column); the rest would need a per-GEMM host cost near the "
             "top of its unverified range",
}


@pytest.fixture(scope="module")
def outcomes(catalog):
    return [o for o in validate(read(), ("train", "infer"), catalog) if o.status == "ok"]


def table(outcomes) -> str:
    lines = [f"{'id':8} {'system':15} {'model':18} {'metric':24} {'measured':>10} "
             f"{'predicted':>10} {'error':>8}"]
    for o in outcomes:
        flag = " (known gap)" if o.id in KNOWN_GAPS else ""
        lines.append(f"{o.id:8} {o.system:15} {o.model:18} {o.metric:24} {o.measured:10.4g} "
                     f"{o.predicted:10.4g} {o.error_pct:+7.1f}%{flag}")
    return "\n".join(lines)


def test_every_row_is_simulated(catalog):
    # rows the tool cannot simulate at all (target: none); a row without a device count runs on
    # the fewest whole nodes that hold its model
    skipped = [f"{o.id}: {o.reason}" for o in validate(read(), ("train", "infer"), catalog)
               if o.status != "ok"]
    assert skipped == []


def test_median_error_within_bound(outcomes):
    print("\n" + table(outcomes))
    median = statistics.median(abs(o.error_pct) for o in outcomes)
    print(f"median absolute error over {len(outcomes)} train + infer rows: {median:.1f}%")
    assert median <= MEDIAN_BOUND_PCT, table(outcomes)


def test_held_out_median_per_kind_within_bound(outcomes):
    for kind, bound in HELD_OUT_BOUND_PCT.items():
        held = [abs(o.error_pct) for o in outcomes if o.kind == kind and not o.calibration]
        median = statistics.median(held)
        print(f"held-out {kind}: median absolute error {median:.1f}% over {len(held)} rows")
        assert len(held) >= 20 and median <= bound, (kind, median)


def test_held_out_median_per_family_within_bound(outcomes):
    families: dict[str, list[float]] = {}
    for o in outcomes:
        if not o.calibration:
            families.setdefault(o.family, []).append(abs(o.error_pct))
    worst = {f: round(statistics.median(e), 1) for f, e in families.items()
             if statistics.median(e) > FAMILY_BOUND_PCT}
    assert len(families) >= 20 and not worst, worst


def test_no_row_beyond_bound(outcomes):
    worst = [o for o in outcomes if abs(o.error_pct) > ROW_BOUND_PCT and o.id not in KNOWN_GAPS]
    assert not worst, "rows beyond the bound:\n" + table(worst)


def test_known_gaps_are_still_gaps(outcomes):
    by_id = {o.id: o for o in outcomes}
    closed = [i for i in KNOWN_GAPS if i in by_id and abs(by_id[i].error_pct) <= ROW_BOUND_PCT]
    assert not closed, f"now within {ROW_BOUND_PCT}%: remove {', '.join(closed)} from KNOWN_GAPS"
