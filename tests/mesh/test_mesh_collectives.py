"""Broadcast and all-reduce along rows, columns and the whole grid equal their references."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wafersim.errors import ConfigError
from wafersim.mesh import allreduce, broadcast, machine_of
from wafersim.mesh.collectives import allreduce_on
from wafersim.mesh.engine import MeshSim
from wafersim.mesh.layout import random_inputs

grids = st.tuples(st.integers(1, 9), st.integers(1, 9))


@settings(deadline=None, max_examples=20)
@given(grids, st.integers(1, 12), st.sampled_from(["row", "col", "grid"]),
       st.sampled_from(["chain", "tree"]), st.sampled_from(["sum", "max"]))
def test_allreduce_matches_numpy(grid, length, scope, reduction, op):
    r = allreduce(length, grid, scope=scope, reduction=reduction, op=op)
    assert r.max_abs_error < 1e-5
    assert r.wavelets_sent == r.wavelets_received
    assert sum(r.breakdown.values()) == r.cycles


@settings(deadline=None, max_examples=15)
@given(grids, st.integers(1, 12), st.sampled_from(["row", "col", "grid"]))
def test_broadcast_delivers_the_source_everywhere(grid, length, scope):
    r = broadcast(length, grid, scope=scope)
    assert r.max_abs_error == 0.0


def test_row_chain_sum_is_left_to_right_in_fp32():
    sim = MeshSim(machine_of("wse-3", (7, 3)))
    (v,) = random_inputs(1, "fp32", (3, 7, 5))
    out = allreduce_on(sim, v, "row", "chain")
    want = v[:, 0]
    for c in range(1, 7):
        want = want + v[:, c]
    np.testing.assert_array_equal(out[:, 3], want)


def test_tree_beats_chain_on_a_long_row_with_short_vectors():
    chain = allreduce(1, (64, 1), scope="row", reduction="chain").cycles
    tree = allreduce(1, (64, 1), scope="row", reduction="tree").cycles
    assert tree < chain


def test_longer_rows_take_longer():
    assert allreduce(8, (16, 2)).cycles > allreduce(8, (8, 2)).cycles


def test_bad_scope():
    with pytest.raises(ConfigError, match="diagonal"):
        allreduce(4, (2, 2), scope="diagonal")
