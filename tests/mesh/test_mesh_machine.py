"""The PE machine comes from the catalog; grids are checked against the wafer's fabric."""

import pytest

from wafersim.errors import ConfigError
from wafersim.mesh import machine_of, parse_grid


def test_wse3_figures_from_the_catalog():
    m = machine_of("wse-3", (762, 1172))
    assert m.pes == 762 * 1172
    assert m.sram_per_pe_bytes == 48 * 1024
    assert m.simd_fmac_per_cycle["fp16"] == 8
    assert m.link_payload_bits == 32 and m.cycles_per_wavelet == 1.0
    assert m.hop_latency_cycles == 1 and m.colors == 24
    assert m.clock_hz_lo == pytest.approx(0.85e9) and m.clock_hz_hi == pytest.approx(1.1e9)


def test_wse2_simd_width_is_four():
    assert machine_of("wse-2", (2, 2)).simd_fmac_per_cycle["fp16"] == 4


def test_sram_ports_cap_the_fmach_width():
    # @fmach reads W and y (2 x 2 B) per element: 16 B/cycle of reads allow 4, not WSE-3's 8
    assert machine_of("wse-3").vector_width("fp16", reads=2, writes=1) == 4
    assert machine_of("wse-2").vector_width("fp16", reads=2, writes=1) == 4
    assert machine_of("wse-3").vector_width("fp32", reads=2, writes=1) == 1


def test_values_per_wavelet():
    m = machine_of("wse-3")
    assert m.values_per_wavelet("fp16") == 2 and m.values_per_wavelet("fp32") == 1


@pytest.mark.parametrize("grid, word", [((0, 5), "0x5"), ((763, 10), "762x1172"),
                                        ((10, 1173), "exceeds")])
def test_bad_grids(grid, word):
    with pytest.raises(ConfigError, match=word):
        machine_of("wse-3", grid)


def test_unknown_and_non_wafer_ids():
    with pytest.raises(ConfigError, match="wse-9"):
        machine_of("wse-9")
    with pytest.raises(ConfigError, match="not a wafer"):
        machine_of("h100-sxm")


def test_overrides_are_checked():
    assert machine_of("wse-3", link_wavelets_per_cycle=0.5).cycles_per_wavelet == 2.0
    with pytest.raises(ConfigError, match="link rate"):
        machine_of("wse-3", link_wavelets_per_cycle=2.0)


def test_parse_grid():
    assert parse_grid("128x64") == (128, 64)
    with pytest.raises(ConfigError, match="COLSxROWS"):
        parse_grid("128")
