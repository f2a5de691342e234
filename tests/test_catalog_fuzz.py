"""Fuzzing the catalog loader: any YAML in any field of a user part either loads into parts whose
every quantity is physical, or fails with the library's one-line ConfigError; never another
exception."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wafersim.catalog import load_catalog
from wafersim.catalog.catalog import quantities
from wafersim.catalog.schema import physical_problem
from wafersim.errors import ConfigError

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Values YAML can hold, with the numbers and strings most likely to slip through a check.
scalars = (st.none() | st.booleans() | st.integers(min_value=-10**40, max_value=10**40)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12)
           | st.sampled_from(["4096", "nan", "-inf", "1e400", "-0", "80.0e9", "1_000", "", "0x10"]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=8) | st.integers(), inner, max_size=3),
                      max_leaves=8)


def _q(value: Any) -> dict[str, Any]:
    return {"value": value, "tag": "unverified", "source": "derived"}


CHIP: dict[str, Any] = {
    "kind": "chip", "id": "fuzz-gpu", "name": "Fuzz GPU", "vendor": "Test", "device_class": "gpu",
    "peak_dense_TFLOPS": {"bf16": _q(100)}, "hbm_GB": _q(16), "hbm_bandwidth_TBps": _q(1),
    "matmul_efficiency_fraction": {"bf16": _q(0.8)}, "serving_efficiency_fraction": _q(0.7),
    "cores_count": _q(100), "tdp_W": {**_q(300), "range": [200, 400]}, "kernel_overhead_us": _q(5),
    "wafer": {"sram_usable_fraction": _q(0.5), "fabric_cols_count": _q(10)},
}
NODE: dict[str, Any] = {
    "kind": "node", "id": "fuzz-node", "name": "Fuzz node", "vendor": "Test", "chip": "h100-sxm",
    "chips_count": _q(8), "scale_up": [{"network": "nvlink4-nvswitch", "devices_count": _q(8)}],
    "power_kW": _q(10), "host_memory_TB": _q(2),
}
NETWORK: dict[str, Any] = {
    "kind": "network", "id": "fuzz-net", "name": "Fuzz net", "vendor": "Test",
    "scope": "scale_out", "topology": "fat_tree", "bandwidth_per_device_Gbps": _q(400),
    "latency_us": _q(5), "efficiency_fraction": _q(0.9), "oversubscription_ratio": _q(1),
}
PARTS = [CHIP, NODE, NETWORK]
QUANTITY_KEYS = ["value", "range", "tag", "source", "reason", "note", "projected"]


def _load(text: str | bytes) -> None:
    """Load the built-in catalog plus one user file holding `text`; check what loads."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "part.yaml"
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        try:
            catalog = load_catalog([folder])
        except ConfigError as exc:
            assert "\n" not in str(exc) and str(exc)
            return
    for part in catalog.parts.values():
        for where, q in quantities(part):
            for bound in (q.value, q.lo, q.hi):
                assert bound is None or physical_problem(bound, q.dimension) is None, (where, q)


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    """A valid part with one field, one quantity key or one new key replaced by any value."""
    part = dict(draw(st.sampled_from(PARTS)))
    key = draw(st.sampled_from(sorted(part)) | st.text(max_size=20))
    how = draw(st.sampled_from(["field", "quantity"]))
    if how == "quantity" and isinstance(part.get(key), dict) and "tag" in part[key]:
        part[key] = {**part[key], draw(st.sampled_from(QUANTITY_KEYS)): draw(values)}
    else:
        part[key] = draw(values)
    return part


@FUZZ
@given(mutated())
def test_any_value_in_any_field_loads_or_is_a_config_error(part):
    _load(yaml.safe_dump(part, allow_unicode=True))


@FUZZ
@given(st.sampled_from(PARTS), st.sampled_from(["hbm_GB", "cores_count", "tdp_W",
                                                "serving_efficiency_fraction", "chips_count",
                                                "efficiency_fraction", "latency_us"]),
       st.floats(allow_nan=True, allow_infinity=True) | st.integers(-10**20, 10**20))
def test_any_number_loads_physical_or_is_refused(part, key, number):
    _load(yaml.safe_dump({**part, key: _q(number)}))


@FUZZ
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_any_bytes_load_or_are_a_config_error(data):
    _load(data)


def test_the_fuzzed_parts_load_unchanged():
    for part in PARTS:
        with tempfile.TemporaryDirectory() as folder:
            (Path(folder) / "part.yaml").write_text(yaml.safe_dump(part))
            assert part["id"] in load_catalog([folder])
