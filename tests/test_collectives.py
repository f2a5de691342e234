"""Collective cost model: hand-worked formulas, edge cases, invariants and catalog tiers."""

import dataclasses
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wafersim.catalog.schema import Quantity
from wafersim.catalog.system import resolve
from wafersim.cost.kernels.collectives import (
    Link,
    all_gather_s,
    all_to_all_s,
    allreduce_s,
    bus_bandwidth_Bps,
    direct_all_to_all_s,
    hierarchical_allreduce_s,
    p2p_s,
    reduce_scatter_s,
    ring_allreduce_s,
    tiers_for,
    tree_allreduce_s,
    tree_broadcast_s,
    tree_reduce_s,
)
from wafersim.errors import ConfigError, ParameterError

NVLINK = Link(450e9, 3e-6, name="nvlink")
NVLS = Link(450e9, 3e-6, in_network_reduction=True, name="nvls")
IB = Link(50e9, 5e-6, name="ib")
SWARMX = Link(150e9, 5e-6, in_network_reduction=True, name="swarmx")
GB = 1e9

COLLECTIVES = [ring_allreduce_s, tree_allreduce_s, reduce_scatter_s, all_gather_s, all_to_all_s,
               direct_all_to_all_s,
               lambda b, n, link: allreduce_s(b, n, link, "auto"),
               lambda b, n, link: tree_broadcast_s(b, n, link, 4),
               lambda b, n, link: tree_reduce_s(b, n, link, 2)]


# --- hand-worked formulas -------------------------------------------------------------------

def test_ring_allreduce_by_hand():
    # 8 GPUs, 1 GB, 450 GB/s, 3 us: 2*7/8 * 1e9/450e9 + 14 * 3e-6 = 3.888889e-3 + 42e-6 = 3.930889e-3
    assert ring_allreduce_s(GB, 8, NVLINK) == pytest.approx(3.930889e-3, rel=1e-6)
    assert allreduce_s(GB, 8, NVLINK, "ring") == ring_allreduce_s(GB, 8, NVLINK)


def test_tree_allreduce_by_hand():
    # 8 GPUs: 2 * 1e9/450e9 + 2*ceil(log2 8)=6 * 3e-6 = 4.444444e-3 + 18e-6 = 4.462444e-3
    assert tree_allreduce_s(GB, 8, NVLINK) == pytest.approx(4.462444e-3, rel=1e-6)
    # 5 GPUs: ceil(log2 5) = 3 -> 6 latencies: 4.444444e-3 + 18e-6
    assert tree_allreduce_s(GB, 5, NVLINK) == pytest.approx(4.462444e-3, rel=1e-6)
    # 2 GPUs: ceil(log2 2) = 1 -> 2 latencies: 4.444444e-3 + 6e-6 = 4.450444e-3
    assert tree_allreduce_s(GB, 2, NVLINK) == pytest.approx(4.450444e-3, rel=1e-6)


def test_in_network_allreduce_by_hand():
    # each device sends and receives 1 GB once: 1e9/450e9 + 2 * 3e-6 = 2.222222e-3 + 6e-6 = 2.228222e-3
    assert allreduce_s(GB, 8, NVLS, "in_network") == pytest.approx(2.228222e-3, rel=1e-6)


def test_in_network_needs_a_reducing_network():
    with pytest.raises(ConfigError, match="nvlink has no in-network reduction"):
        allreduce_s(GB, 8, NVLINK, "in_network")


def test_unknown_algorithm():
    with pytest.raises(ConfigError, match="'butterfly' is unknown"):
        allreduce_s(GB, 8, NVLINK, "butterfly")


def test_reduce_scatter_and_all_gather_by_hand():
    # 8 GPUs, full buffer 1 GB: 7/8 * 1e9/450e9 + 7 * 3e-6 = 1.944444e-3 + 21e-6 = 1.965444e-3
    assert reduce_scatter_s(GB, 8, NVLINK) == pytest.approx(1.965444e-3, rel=1e-6)
    assert all_gather_s(GB, 8, NVLINK) == pytest.approx(1.965444e-3, rel=1e-6)
    # together they make the ring all-reduce
    total = reduce_scatter_s(GB, 8, NVLINK) + all_gather_s(GB, 8, NVLINK)
    assert total == pytest.approx(ring_allreduce_s(GB, 8, NVLINK))


def test_all_to_all_by_hand():
    # 4 devices, 100 MB send buffer each: 3/4 * 1e8/450e9 + 3 * 3e-6 = 1.666667e-4 + 9e-6 = 1.756667e-4
    assert all_to_all_s(1e8, 4, NVLINK) == pytest.approx(1.756667e-4, rel=1e-6)


def test_direct_all_to_all_by_hand():
    # every peer at once: 3/4 * 1e8/450e9 + 1 * 3e-6 = 1.666667e-4 + 3e-6 = 1.696667e-4
    assert direct_all_to_all_s(1e8, 4, NVLINK) == pytest.approx(1.696667e-4, rel=1e-6)
    assert direct_all_to_all_s(1e8, 1, NVLINK) == 0.0


def test_p2p_by_hand():
    # 1 MB over 50 GB/s with 5 us: 1e6/50e9 + 5e-6 = 2e-5 + 5e-6 = 2.5e-5
    assert p2p_s(1e6, IB) == pytest.approx(2.5e-5)
    assert p2p_s(0.0, IB) == pytest.approx(5e-6)


def test_tree_broadcast_and_reduce_by_hand():
    # 64 CS-3 under a 1:4 tree: depth ceil(log4 64) = 3: 1e9/150e9 + 3 * 5e-6 = 6.666667e-3 + 15e-6
    assert tree_broadcast_s(GB, 64, SWARMX, 4) == pytest.approx(6.681667e-3, rel=1e-6)
    assert tree_reduce_s(GB, 64, SWARMX, 4) == pytest.approx(6.681667e-3, rel=1e-6)
    # 65 systems need a fourth level: + 5e-6
    assert tree_broadcast_s(GB, 65, SWARMX, 4) == pytest.approx(6.686667e-3, rel=1e-6)
    # 4 systems: depth 1; binary tree over 64: depth 6
    assert tree_broadcast_s(GB, 4, SWARMX, 4) == pytest.approx(6.671667e-3, rel=1e-6)
    assert tree_broadcast_s(GB, 64, SWARMX, 2) == pytest.approx(6.696667e-3, rel=1e-6)


def test_tree_fan_out_must_branch():
    with pytest.raises(ConfigError, match="fan-out 1 must be at least 2"):
        tree_broadcast_s(GB, 8, SWARMX, 1)


def test_efficiency_scales_bandwidth():
    # 100 GB/s at 50 % = 50 GB/s; ring over 2: 2*1/2 * 1e9/50e9 + 2 * 1e-6 = 0.02 + 2e-6
    link = Link(100e9, 1e-6, efficiency=0.5)
    assert link.effective_Bps == 50e9
    assert ring_allreduce_s(GB, 2, link) == pytest.approx(0.020002)


def test_hierarchical_by_hand():
    # 64 GPUs = 8 nodes x 8, 1 GB:
    #   reduce-scatter in node: 7/8 * 1e9/450e9 + 7 * 3e-6           = 1.965444e-3
    #   ring across nodes on 1e9/8: 2*7/8 * 1.25e8/50e9 + 14 * 5e-6   = 4.375e-3 + 70e-6 = 4.445e-3
    #   all-gather in node                                            = 1.965444e-3
    #   total                                                         = 8.375889e-3
    t = hierarchical_allreduce_s(GB, [(NVLINK, 8), (IB, 8)])
    assert t == pytest.approx(8.375889e-3, rel=1e-6)


def test_hierarchical_skips_single_device_tiers():
    assert hierarchical_allreduce_s(GB, [(IB, 1), (NVLINK, 8), (IB, 1)]) == ring_allreduce_s(GB, 8, NVLINK)
    assert hierarchical_allreduce_s(GB, [(IB, 1)]) == 0.0
    assert hierarchical_allreduce_s(GB, []) == 0.0


def test_hierarchical_outer_algorithm():
    # outer tier reduces in-network on the 1/8 shard: 1.25e8/150e9 + 2 * 5e-6 = 8.433333e-4
    t = hierarchical_allreduce_s(GB, [(NVLINK, 8), (SWARMX, 8)], algorithm="in_network")
    assert t == pytest.approx(2 * 1.965444e-3 + 8.433333e-4, rel=1e-6)


# --- single devices and bad input -----------------------------------------------------------

@pytest.mark.parametrize("fn", COLLECTIVES)
def test_one_device_is_free(fn):
    assert fn(GB, 1, NVLS) == 0.0
    assert np.all(fn(np.array([0.0, 1.0, GB]), 1, NVLS) == 0.0)


def test_one_device_is_free_everywhere_else():
    assert allreduce_s(GB, 1, NVLS, "in_network") == 0.0
    assert bus_bandwidth_Bps(GB, 1, 1.0, "allreduce") == 0.0


@pytest.mark.parametrize("n", [0, -1, 1.5, True])
def test_bad_group_size(n):
    with pytest.raises(ConfigError, match="must be a whole number of devices >= 1"):
        ring_allreduce_s(GB, n, NVLINK)


@pytest.mark.parametrize("nbytes", [-1.0, np.array([1.0, -2.0]), float("nan")])
def test_bad_sizes(nbytes):
    with pytest.raises(ConfigError, match="bytes is invalid"):
        all_gather_s(nbytes, 8, NVLINK)


@pytest.mark.parametrize("kwargs, match", [
    ({"bandwidth_Bps": 0.0}, "must be positive"),
    ({"bandwidth_Bps": 1e9, "latency_s": -1.0}, "must be >= 0"),
    ({"bandwidth_Bps": 1e9, "efficiency": 1.5}, r"must lie in \(0, 1\]"),
])
def test_bad_links(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        Link(**kwargs)


# --- vectorisation, monotonicity, auto ----------------------------------------------------

def test_arrays_match_scalars():
    sizes = np.logspace(0, 10, 11)
    for fn in COLLECTIVES:
        vector = fn(sizes, 16, NVLS)
        assert isinstance(vector, np.ndarray) and vector.shape == sizes.shape
        assert np.allclose(vector, [fn(float(s), 16, NVLS) for s in sizes])
    assert isinstance(ring_allreduce_s(GB, 8, NVLINK), float)


sizes = st.floats(0, 1e12, allow_nan=False)
bandwidths = st.floats(1e6, 1e13, allow_nan=False)
groups = st.integers(1, 4096)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(range(len(COLLECTIVES))), sizes, sizes, groups, bandwidths, bandwidths,
       st.floats(0, 1e-4), st.booleans())
def test_monotone(i, b1, b2, n, bw1, bw2, latency_s, reduces):
    fn = COLLECTIVES[i]
    (b1, b2), (bw1, bw2) = sorted((b1, b2)), sorted((bw1, bw2))
    slow = Link(bw1, latency_s, in_network_reduction=reduces)
    fast = Link(bw2, latency_s, in_network_reduction=reduces)
    assert fn(b1, n, slow) <= fn(b2, n, slow)  # more bytes never faster
    assert fn(b2, n, fast) <= fn(b2, n, slow)  # more bandwidth never slower
    assert p2p_s(b1, slow) <= p2p_s(b2, slow) and p2p_s(b2, fast) <= p2p_s(b2, slow)


def test_auto_picks_the_minimum():
    sizes = np.logspace(2, 10, 33)
    link = Link(50e9, 10e-6, name="ib")  # 64 devices: tree wins small (12 vs 126 latencies), ring large
    ring, tree = ring_allreduce_s(sizes, 64, link), tree_allreduce_s(sizes, 64, link)
    assert np.array_equal(allreduce_s(sizes, 64, link), np.minimum(ring, tree))
    assert np.any(tree < ring) and np.any(ring < tree)
    best = np.minimum.reduce([ring_allreduce_s(sizes, 64, NVLS), tree_allreduce_s(sizes, 64, NVLS),
                              allreduce_s(sizes, 64, NVLS, "in_network")])
    assert np.array_equal(allreduce_s(sizes, 64, NVLS), best)


@settings(max_examples=100, deadline=None)
@given(sizes, groups, bandwidths, st.floats(0, 1e-4))
def test_hierarchical_over_one_tier_is_flat_ring(nbytes, n, bw, latency_s):
    link = Link(bw, latency_s)
    assert hierarchical_allreduce_s(nbytes, [(link, n)]) == pytest.approx(ring_allreduce_s(nbytes, n, link))


# --- bus bandwidth -------------------------------------------------------------------------

@settings(max_examples=100, deadline=None)
@given(st.floats(1.0, 1e12), st.integers(2, 4096), bandwidths)
def test_bus_bandwidth_round_trip(nbytes, n, bw):
    link = Link(bw)  # no latency: busBw recovers the link bandwidth
    for op, fn in [("allreduce", ring_allreduce_s), ("reduce_scatter", reduce_scatter_s),
                   ("all_gather", all_gather_s), ("all_to_all", all_to_all_s)]:
        assert bus_bandwidth_Bps(nbytes, n, fn(nbytes, n, link), op) == pytest.approx(bw)
    broadcast_s = tree_broadcast_s(nbytes, n, link, 4)
    assert bus_bandwidth_Bps(nbytes, n, broadcast_s, "broadcast") == pytest.approx(bw)


def test_bus_bandwidth_by_hand():
    # nccl-tests: 1 GB all-reduce on 8 GPUs in 5 ms: algBw 200 GB/s, busBw 200 * 14/8 = 350 GB/s
    assert bus_bandwidth_Bps(GB, 8, 5e-3, "allreduce") == pytest.approx(350e9)
    sizes = np.array([1e6, 1e9])
    assert np.allclose(bus_bandwidth_Bps(sizes, 4, np.array([1e-4, 1e-2]), "all_gather"), [7.5e9, 75e9])


def test_bus_bandwidth_errors():
    with pytest.raises(ConfigError, match="'gather' is unknown"):
        bus_bandwidth_Bps(GB, 8, 1.0, "gather")
    with pytest.raises(ConfigError, match="needs times > 0"):
        bus_bandwidth_Bps(GB, 8, 0.0, "allreduce")


# --- links from the catalog ----------------------------------------------------------------

def test_link_from_known_network(catalog):
    link = Link.from_network(catalog.get("nvlink4-nvswitch"))
    assert (link.bandwidth_Bps, link.latency_s, link.efficiency) == (450e9, 3e-6, 0.817)
    assert link.in_network_reduction and link.name == "nvlink4-nvswitch" and link.assumptions == ()
    assert link.effective_Bps == pytest.approx(367.65e9)  # M030: ring busBw 367.6 GB/s


def test_link_defaults_are_listed(catalog):
    link = Link.from_network(catalog.get("neuronlink-v3-torus"))  # latency null, no efficiency
    assert (link.latency_s, link.efficiency) == (5e-6, 1.0)
    assert link.assumptions == ("neuronlink-v3-torus: latency_s unknown; 5e-06 assumed",
                                "neuronlink-v3-torus: efficiency_fraction unknown; 1 assumed")


def test_link_latency_range_midpoint(catalog):
    network = catalog.get("ib-ndr-fattree")
    unknown = Quantity(value=None, dimension="s", tag="unverified", reason="not measured", lo=2e-6, hi=4e-6)
    link = Link.from_network(network.model_copy(update={"latency_s": unknown}))
    assert link.latency_s == pytest.approx(3e-6)
    assert link.assumptions == ("ib-ndr-fattree: latency_s unknown; range midpoint 3e-06 used",)


def test_link_unknown_bandwidth(catalog):
    with pytest.raises(ConfigError, match="gcp-dcn-tpu: bandwidth_per_device_Bps is unknown"):
        Link.from_network(catalog.get("gcp-dcn-tpu"))
    link = Link.from_network(catalog.get("gcp-dcn-tpu"), 6.25e9, "a test")
    assert link.bandwidth_Bps == 6.25e9 and "from a test used" in link.assumptions[0]


# --- tiers of catalog systems --------------------------------------------------------------

def _shape(tiers):
    return [(link.name, n) for link, n in tiers]


def test_tiers_dgx_h100(catalog):
    system = resolve(catalog, "dgx-h100")
    assert _shape(tiers_for(system, 1)) == []
    assert _shape(tiers_for(system, 4)) == [("nvlink4-nvswitch", 4)]
    assert _shape(tiers_for(system, 8)) == [("nvlink4-nvswitch", 8)]
    assert _shape(tiers_for(system, 64)) == [("nvlink4-nvswitch", 8), ("ib-ndr-fattree", 8)]
    nvlink, ib = tiers_for(system, 64)
    assert ib[0].bandwidth_Bps == 50e9  # 400 Gb/s per GPU


def test_tiers_trn2_ultraserver(catalog):
    system = resolve(catalog, "trn2-ultraserver")
    assert _shape(tiers_for(system, 64)) == [("neuronlink-v3-torus", 16), ("neuronlink-v3-ultraserver", 4)]
    assert _shape(tiers_for(system, 128)) == [("neuronlink-v3-torus", 16),
                                              ("neuronlink-v3-ultraserver", 4), ("efa-v3", 2)]
    assert _shape(tiers_for(system, 32)) == [("neuronlink-v3-torus", 16), ("neuronlink-v3-ultraserver", 2)]


@pytest.mark.parametrize("system_id", ["cs-3", "condor-galaxy-3", "wse-3"])
def test_tiers_wafer_systems_are_all_scale_out(catalog, system_id):
    system = resolve(catalog, system_id)
    assert _shape(tiers_for(system, 4)) == [("cerebras-100gbe", 4)]
    assert _shape(tiers_for(system, 64)) == [("cerebras-100gbe", 64)]


def test_tiers_partial_outer_group_counts_whole(catalog):
    system = resolve(catalog, "dgx-h100")
    assert _shape(tiers_for(system, 12)) == [("nvlink4-nvswitch", 8), ("ib-ndr-fattree", 2)]


def test_tiers_without_scale_out(catalog):
    system = replace(resolve(catalog, "dgx-h100"), scale_out=None)
    assert _shape(tiers_for(system, 8)) == [("nvlink4-nvswitch", 8)]
    with pytest.raises(ConfigError, match="dgx-h100 has no scale-out network: 16 devices exceed"):
        tiers_for(system, 16)


def test_tiers_scale_out_bandwidth_from_chip(catalog):
    system = resolve(catalog, "tpu-v5p-pod")
    (ici, n_ici), (dcn, n_dcn) = tiers_for(system, 2 * 8960)
    assert (ici.name, n_ici, dcn.name, n_dcn) == ("tpu-ici-v5p", 8960, "gcp-dcn-tpu", 2)
    assert dcn.bandwidth_Bps == pytest.approx(6.25e9)  # 50 Gb/s per chip
    assert any("chip tpu-v5p scale_out_bandwidth_Bps" in a for a in dcn.assumptions)


def test_tiers_feed_hierarchical_allreduce(catalog):
    tiers = tiers_for(resolve(catalog, "dgx-h100"), 64)
    flat_slowest = ring_allreduce_s(GB, 64, tiers[1][0])
    assert 0 < hierarchical_allreduce_s(GB, tiers) < flat_slowest


def test_a_system_without_any_network_names_why_and_the_fix(catalog):
    joined = resolve(catalog, "sn40l").with_devices(16)
    system = dataclasses.replace(joined, scale_up=(), scale_out=None)  # a chip with no network
    with pytest.raises(ParameterError, match=r"sn40l has no network joining .*\(count 1\)") as exc:
        tiers_for(system, 16)
    assert (exc.value.parameter, exc.value.value, exc.value.allowed) == ("count", 16, "1")


def test_a_full_mesh_group_uses_only_its_direct_links(catalog):
    system = resolve(catalog, "mi300x-platform")
    pair, whole = tiers_for(system, 2)[0][0], tiers_for(system, 8)[0][0]
    assert pair.bandwidth_Bps == pytest.approx(64e9)  # one xGMI link to the one peer
    assert whole.bandwidth_Bps == pytest.approx(448e9)  # 7 links x 64 GB/s


def test_one_shot_allreduce_only_on_a_full_mesh_and_wins_small_messages():
    from wafersim.cost.kernels.collectives import Link, allreduce_s, one_shot_allreduce_s
    mesh = Link(100e9, latency_s=5e-6, full_mesh=True, name="mesh")
    switched = Link(100e9, latency_s=5e-6, name="switched")
    small = 8192.0  # one token's hidden vector in 16-bit
    assert one_shot_allreduce_s(small, 16, mesh) == pytest.approx(15 * small / 100e9 + 5e-6)
    assert allreduce_s(small, 16, mesh) < allreduce_s(small, 16, switched)
    big = 1e9  # bandwidth-bound: the ring moves far fewer bytes, so auto keeps it
    assert allreduce_s(big, 16, mesh) == pytest.approx(allreduce_s(big, 16, mesh, "ring"))
    with pytest.raises(ConfigError, match="not a full mesh"):
        one_shot_allreduce_s(small, 16, switched)
    library = allreduce_s(small, 16, mesh, "library")  # NCCL/RCCL run no one-shot kernel
    assert library == pytest.approx(min(allreduce_s(small, 16, mesh, a) for a in ("ring", "tree")))
    assert hierarchical_allreduce_s(small, [(mesh, 16)], "library") == pytest.approx(library)
