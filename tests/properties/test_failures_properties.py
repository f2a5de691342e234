"""Failures grow with the cluster: over whole nodes of a GPU fleet (DGX H100, 8 to 131,072 GPUs)
and of a wafer cluster (CS-3, up to its 2,048 systems), a larger cluster is interrupted more
often, checkpoints more often and keeps no more of its time for work."""

from hypothesis import given, settings
from hypothesis import strategies as st

from wafersim.catalog import load_catalog
from wafersim.catalog.system import resolve
from wafersim.cost.kernels.failures import interruptions

CATALOG = load_catalog()
DAY_S = 86_400.0
# (system, devices per node, largest node count): DGX H100 up to 131,072 GPUs, CS-3 to 2,048
KINDS = {"dgx-h100": (8, 16_384), "cs-3": (1, 2_048)}


@st.composite
def two_sizes(draw: st.DrawFn) -> tuple[str, int, int]:
    """A system and two whole-node device counts, the second larger."""
    system = draw(st.sampled_from(sorted(KINDS)))
    per_node, largest = KINDS[system]
    small = draw(st.integers(1, largest - 1))
    large = draw(st.integers(small + 1, largest))
    return system, small * per_node, large * per_node


@settings(max_examples=60, deadline=None)
@given(sizes=two_sizes(), params=st.sampled_from([8e9, 70e9, 405e9]),
       busy_days=st.floats(1.0, 90.0))
def test_a_larger_cluster_fails_more_and_keeps_no_more_of_its_time(sizes, params, busy_days):
    system, small, large = sizes
    a, b = (interruptions(resolve(CATALOG, system).with_devices(n), busy_days * DAY_S, params)
            for n in (small, large))
    assert DAY_S / b.mtbf_s > DAY_S / a.mtbf_s  # expected interruptions per day grow
    assert b.mtbf_s < a.mtbf_s  # mean time between interruptions falls
    assert b.interval_s < a.interval_s  # checkpoints come more often
    assert b.goodput <= a.goodput  # the share of time left for work does not grow
    assert 0 < b.goodput < 1


@settings(max_examples=20, deadline=None)
@given(system=st.sampled_from(sorted(KINDS)), busy_days=st.floats(1.0, 90.0))
def test_expected_interruptions_are_the_wall_time_over_the_mtbf(system, busy_days):
    per_node, largest = KINDS[system]
    lost = interruptions(resolve(CATALOG, system).with_devices(per_node * largest),
                         busy_days * DAY_S, 70e9)
    wall_s = busy_days * DAY_S / lost.goodput
    assert abs(lost.expected - wall_s / lost.mtbf_s) <= 1e-9 * lost.expected
