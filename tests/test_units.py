"""Units: suffix parsing, SI factors and human formatting."""

import pytest

from wafersim.units import UNITS, fmt_bandwidth, fmt_bytes, fmt_flops, fmt_time, split_unit


@pytest.mark.parametrize("key, base, dim, factor", [
    ("hbm_bandwidth_TBps", "hbm_bandwidth", "Bps", 1e12),
    ("io_bandwidth_Tbps", "io_bandwidth", "Bps", 1e12 / 8),
    ("hbm_GiB", "hbm", "bytes", 2**30),
    ("sram_per_pe_KiB", "sram_per_pe", "bytes", 1024),
    ("clock_GHz", "clock", "hz", 1e9),
    ("cloud_price_usd_per_hour", "cloud_price", "usd_per_hour", 1.0),
    ("price_usd", "price", "usd", 1.0),
    ("simd_fmac_per_cycle", "simd_fmac", "per_cycle", 1.0),
    ("hop_latency_cycles", "hop_latency", "cycles", 1.0),
    ("latency_us", "latency", "s", 1e-6),
    ("peak_dense_TFLOPS", "peak_dense", "flops_per_s", 1e12),
])
def test_split_unit(key, base, dim, factor):
    got_base, unit = split_unit(key)
    assert (got_base, unit.dimension) == (base, dim)
    assert unit.factor == pytest.approx(factor)


def test_bits_and_bytes_differ():
    assert UNITS["Gbps"].factor * 8 == pytest.approx(UNITS["GBps"].factor)


def test_no_unit_is_none():
    assert split_unit("hbm_bandwidth") is None
    assert split_unit("GB") is None  # a bare unit is not a field


def test_formatting():
    assert fmt_bytes(80e9) == "80 GB"
    assert fmt_bandwidth(3.35e12) == "3.35 TB/s"
    assert fmt_flops(989.4e12) == "989 TFLOP/s"
    assert fmt_flops(999.7e12) == "1 PFLOP/s"  # rounds before it picks the prefix, never 1e+03
    assert fmt_time(90.0) == "1.5 min"
    assert fmt_bytes(None) == "-"
