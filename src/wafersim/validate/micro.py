"""Predict a published micro-benchmark: GEMM FLOP/s, HBM bandwidth, collective bus bandwidth.

A GEMM row without a size is the best over sizes (MAMF), predicted at m = n = k = 16,384; a
bandwidth row is the achieved memory bandwidth; an all-reduce row runs the hierarchical
all-reduce over the tiers `count` devices of the chip's default node span, and reports
nccl-tests bus bandwidth.
"""

from __future__ import annotations

from wafersim.catalog import Catalog, load_catalog
from wafersim.catalog.system import resolve
from wafersim.cost.kernels.collectives import bus_bandwidth_Bps, hierarchical_allreduce_s, tiers_for
from wafersim.cost.kernels.gemm import device_of, gemm_time_s
from wafersim.errors import ConfigError
from wafersim.validate.records import Record

BEST_SIZE = 16384  # m = n = k for a best-over-sizes GEMM row


def predict(row: Record, catalog: Catalog | None = None) -> float:
    """The row's metric from the catalog's calibrated device and network models."""
    cat = catalog or load_catalog()
    op, system_id = row.op, row.system
    system = resolve(cat, system_id)
    if op == "gemm":
        size = row.size or BEST_SIZE
        device = device_of(system.chip, row.precision or "bf16")
        return float(2.0 * size**3 / gemm_time_s(size, size, size, device))
    if op == "hbm_read":
        return device_of(system.chip, "bf16").memory_Bps
    if op == "allreduce":
        n, size = row.count or 8, row.size or 2**30
        time_s = hierarchical_allreduce_s(size, tiers_for(system.with_devices(n), n))
        return float(bus_bandwidth_Bps(size, n, time_s, "allreduce"))
    raise ConfigError(f"row {row.id}: micro-benchmark op {op!r} is not modelled (gemm, hbm_read, "
                      "allreduce are)")
