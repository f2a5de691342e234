"""Interruptions at scale, Young/Daly checkpoints and the goodput left
(`cost/kernels/failures.py`)."""

import math
from dataclasses import replace

import pytest

from wafersim import train
from wafersim.catalog.system import resolve
from wafersim.cost.kernels.failures import (
    CHECKPOINT_BYTES_PER_PARAM,
    daly_interval,
    daly_wall_s,
    failure_rates,
    interruptions,
)

MIN_S, HOUR_S, DAY_S = 60.0, 3600.0, 86_400.0


@pytest.mark.parametrize(("mtbf_s", "interval_min"), [
    (24 * HOUR_S, 117), (6 * HOUR_S, 57), (15 * MIN_S, 9.1)])
def test_the_daly_interval_reproduces_daly_2006s_worked_examples(mtbf_s, interval_min):
    """Daly (2006), Sec. 5: restart R = 10 min, checkpoint delta = 5 min."""
    assert daly_interval(5 * MIN_S, mtbf_s) / MIN_S == pytest.approx(interval_min, abs=0.5)


def test_a_checkpoint_longer_than_two_mtbfs_checkpoints_every_mtbf():
    assert daly_interval(3 * HOUR_S, HOUR_S) == HOUR_S


def test_daly_wall_time_tends_to_the_checkpoint_overhead_without_failures():
    wall = daly_wall_s(1e6, 100.0, 5.0, 600.0, 1e15)
    assert wall == pytest.approx(1e6 * 105 / 100, rel=1e-6)


def test_daly_wall_time_grows_with_the_restart_time():
    args = (1e6, 1000.0, 60.0)
    assert daly_wall_s(*args, 60.0, 6 * HOUR_S) < daly_wall_s(*args, 600.0, 6 * HOUR_S)


def test_rates_add_per_component_class(catalog):
    one, many = (failure_rates(resolve(catalog, "dgx-h100").with_devices(n)) for n in (16, 1024))
    assert set(many) == {"device", "software", "node", "link"}
    for part in many:  # each class counts its components: 64x the GPUs, nodes and endpoints
        assert many[part] == pytest.approx(64 * one[part])
    fleet = resolve(catalog, "dgx-h100").reliability
    assert fleet is not None and fleet.device_mtbf_s is not None
    assert fleet.device_mtbf_s.value is not None
    assert many["device"] == pytest.approx(1024 / fleet.device_mtbf_s.value)
    lost = interruptions(resolve(catalog, "dgx-h100").with_devices(1024), DAY_S, 8e9)
    assert lost.mtbf_s == pytest.approx(1 / sum(many.values()))


def test_a_single_node_has_no_link_failures(catalog):
    assert "link" not in failure_rates(resolve(catalog, "dgx-h100"))


def test_wafer_clusters_count_their_memoryx_and_swarmx_domains(catalog):
    system = resolve(catalog, "cs-3").with_devices(16)
    rates = failure_rates(system)
    assert set(rates) == {"device", "memory_service", "broadcast_reduce"}
    r = system.reliability
    assert r is not None and r.id == "wafer-system"
    assert r.device_mtbf_s is not None and r.device_mtbf_s.value is not None
    assert rates["device"] == pytest.approx(16 / r.device_mtbf_s.value)  # one per CS system
    assert r.broadcast_reduce_mtbf_s is not None and r.broadcast_reduce_mtbf_s.value is not None
    assert rates["broadcast_reduce"] == pytest.approx(16 * 12 / r.broadcast_reduce_mtbf_s.value)


def test_checkpoints_are_written_at_the_sites_share_per_accelerator(catalog):
    small, large = (interruptions(resolve(catalog, "cs-3").with_devices(n), DAY_S, 70e9)
                    for n in (16, 64))
    assert small.checkpoint_bytes == 70e9 * CHECKPOINT_BYTES_PER_PARAM
    assert small.checkpoint_write_s == pytest.approx(4 * large.checkpoint_write_s)
    assert [n for n in small.notes if "per accelerator" in n]


def test_the_llama_3_405b_run_on_16384_h100_matches_its_published_interruptions(catalog):
    """Dubey et al. (2024): 419 unexpected interruptions in 54 days, >90% effective time."""
    run = train("llama-3.1-405b", "dgx-h100", 15.6e12, count=16384, catalog=catalog)
    lost = run.interruptions
    assert lost is not None
    per_54_days = lost.expected / (run.wall_time_s / DAY_S) * 54
    assert per_54_days == pytest.approx(419, rel=0.05)
    assert 0.9 < run.goodput < 1
    assert run.wall_time_s == pytest.approx(run.compute_time_s / run.goodput)
    assert lost.interval_s == pytest.approx(daly_interval(lost.checkpoint_write_s, lost.mtbf_s))


def test_no_failure_rates_mean_goodput_1(catalog):
    system = replace(resolve(catalog, "dgx-h100").with_devices(64), reliability=None)
    lost = interruptions(system, DAY_S, 8e9)
    assert math.isinf(lost.mtbf_s) and lost.goodput == 1 and lost.expected == 0
    assert lost.to_json()["mtbf_s"] is None
