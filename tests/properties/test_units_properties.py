"""Scale invariance under units: the same system or request written in other units gives the same
answer (the catalog converts each quantity to SI once, at load; the CLI parses amounts and times
once, at its edge)."""

import math
import tempfile
from pathlib import Path

import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import wafersim
from wafersim import api
from wafersim.catalog import load_catalog
from wafersim.cli.common import parse_amount, parse_duration
from wafersim.units import UNITS

H100 = Path(wafersim.__file__).parent / "catalog" / "data" / "nvidia" / "h100-sxm.yaml"
BUILT_IN = load_catalog()
# h100-sxm's fields as catalogued (name without its unit suffix -> suffix)
FIELDS = {"hbm_bandwidth": "TBps", "hbm": "GB", "peak_dense": "TFLOPS", "peak_sparse": "TFLOPS",
          "scale_up_bandwidth": "GBps", "scale_out_bandwidth": "Gbps", "tdp": "W", "clock": "GHz",
          "sram": "MiB"}


def _same_dimension(suffix):
    dim = UNITS[suffix].dimension
    return st.sampled_from(sorted(s for s, u in UNITS.items() if u.dimension == dim
                                  and s not in ("flops", "flops_per_s", "hz")))


def _convert(entry, factor):
    if "value" not in entry:  # a table per precision
        return {k: _convert(v, factor) for k, v in entry.items()}
    out = dict(entry, value=entry["value"] * factor)
    if "range" in entry:
        out["range"] = [x * factor for x in entry["range"]]
    return out


def _rewritten(units):
    raw = yaml.safe_load(H100.read_text())
    for base, new in units.items():
        old = FIELDS[base]
        factor = UNITS[old].factor / UNITS[new].factor
        raw[f"{base}_{new}"] = _convert(raw.pop(f"{base}_{old}"), factor)
    return raw


def _close(a, b, where="$"):
    if isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            _close(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _close(x, y, f"{where}[{i}]")
    elif isinstance(a, float):
        assert math.isclose(a, b, rel_tol=1e-9), (where, a, b)
    else:
        assert a == b, (where, a, b)


@settings(max_examples=8, deadline=None)
@given(units=st.fixed_dictionaries({base: _same_dimension(s) for base, s in FIELDS.items()}))
def test_a_chip_in_other_units_gives_the_same_results(units):
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "h100-sxm.yaml").write_text(yaml.safe_dump(_rewritten(units)))
        other = load_catalog([tmp])
        for cat in (BUILT_IN, other):
            assert cat.get("h100-sxm").hbm_bandwidth_Bps.value > 1e12
        runs = [(api.infer("llama-3.1-8b", "h100-sxm", batch=8, catalog=c).to_json(),
                 api.train("llama-2-7b", "dgx-h100", 1e11, count=16, catalog=c).to_json())
                for c in (BUILT_IN, other)]
    _close(runs[0], runs[1])


AMOUNTS = st.sampled_from([("k", 1e3), ("M", 1e6), ("B", 1e9), ("G", 1e9), ("T", 1e12), ("P", 1e15)])


@settings(max_examples=50, deadline=None)
@given(value=st.floats(1e-3, 1e6), unit=AMOUNTS)
def test_an_amount_with_a_suffix_is_the_amount_in_full(value, unit):
    suffix, factor = unit
    assume(1 <= value * factor <= 1e15)  # inside --tokens' bounds (docs/limits.md)
    assert math.isclose(parse_amount(f"{value!r}{suffix}", "--tokens"),
                        parse_amount(repr(value * factor), "--tokens"), rel_tol=1e-12)


@settings(max_examples=50, deadline=None)
@given(value=st.floats(1e-3, 1e4), unit=st.sampled_from(["s", "ms", "us", "ns"]))
def test_a_time_in_any_unit_is_the_same_time(value, unit):
    seconds = value * UNITS[unit].factor
    assert math.isclose(parse_duration(f"{value!r}{unit}", "--tpot-slo"),
                        parse_duration(repr(seconds), "--tpot-slo"), rel_tol=1e-12)


def test_a_run_with_its_tokens_spelt_three_ways_is_the_same_run(cli):
    runs = [cli("train", "--model", "llama-2-7b", "--system", "dgx-h100", "--tokens", t, "--json")
            for t in ("2T", "2e12", "2000B")]
    assert all(r.code == 0 for r in runs) and runs[0].out == runs[1].out == runs[2].out
