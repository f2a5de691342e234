"""Energy and cost: proportional to time where the catalog has the power and a price; unknown
(None in results, null in JSON, '-' in tables, the missing input named) where it has not,
never zero."""

import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from wafersim import api
from wafersim.catalog import load_catalog
from wafersim.catalog.system import resolve
from wafersim.cost.kernels.economics import economics

CATALOG = load_catalog()
SYSTEMS = sorted(pid for pid, p in CATALOG.parts.items() if p.kind in ("chip", "node", "cluster"))
NO_POWER = [s for s in SYSTEMS if resolve(CATALOG, s).power_W is None]
WITH_POWER = [s for s in SYSTEMS if resolve(CATALOG, s).power_W is not None]


def test_the_catalog_has_systems_of_both_kinds():
    assert {"trainium2", "ascend-910c", "trn2-instance"} <= set(NO_POWER)
    assert {"h100-sxm", "dgx-h100", "cs-3"} <= set(WITH_POWER)


@settings(max_examples=40, deadline=None)
@given(system=st.sampled_from(SYSTEMS), seconds=st.floats(1e-3, 1e9), k=st.floats(1.01, 1e3))
def test_energy_and_cost_scale_with_time_or_are_unknown(system, seconds, k):
    s = resolve(CATALOG, system)
    one, longer = economics(s, seconds), economics(s, seconds * k)
    for a, b in ((one.energy_J, longer.energy_J), (one.cost_usd, longer.cost_usd)):
        assert (a is None) == (b is None)
        if a is not None:
            assert a > 0 and math.isclose(b, a * k, rel_tol=1e-9)
    assert (one.energy_J is None) == (s.power_W is None)
    if one.energy_J is None:
        assert any(s.id in n and "power" in n and "not in the catalog" in n for n in one.assumptions)
    if one.cost_usd is None:
        assert any(s.id in n and "price" in n and "not in the catalog" in n for n in one.assumptions)


@settings(max_examples=10, deadline=None)
@given(case=st.sampled_from([("llama-2-7b", "dgx-h100", 64), ("llama-2-7b", "cs-3", 2),
                             ("llama-2-7b", "trn2-instance", 16), ("llama-2-7b", "tpu-v5p-pod", 64)]),
       tokens=st.floats(1e9, 1e12), k=st.floats(1.5, 100.0))
def test_training_energy_and_cost_grow_with_the_tokens(case, tokens, k):
    """Twice the tokens, the same plan: twice the wall time, energy and cost (or unknown both
    times)."""
    model, system, count = case
    a, b = (api.train(model, system, t, count=count, catalog=CATALOG) for t in (tokens, tokens * k))
    assert math.isclose(b.wall_time_s, a.wall_time_s * k, rel_tol=1e-9)
    for x, y in ((a.energy_J, b.energy_J), (a.cost_usd, b.cost_usd)):
        assert (x is None) == (y is None)
        if x is not None:
            assert math.isclose(y, x * k, rel_tol=1e-9)
    view = json.loads(json.dumps(a.to_json()))
    assert view["energy_J"] is None or view["energy_J"] > 0
    assert view["cost_usd"] is None or view["cost_usd"] > 0


@settings(max_examples=12, deadline=None)
@given(case=st.sampled_from([("llama-3.1-8b", "h100-sxm", 1), ("llama-3.1-70b", "dgx-h100", 8),
                             ("llama-3.1-8b", "cs-3", 2), ("llama-3.1-8b", "ascend-910c", 1),
                             ("llama-3.1-8b", "trainium2", 1)]),
       batch=st.integers(1, 32), extra=st.integers(1, 32))
def test_serving_draws_the_same_power_at_any_batch(case, batch, extra):
    """Energy per token x tokens/s is the devices' power x PUE, whatever the batch: the energy
    rate depends on the devices alone (unknown at every batch where their power is)."""
    model, system, count = case
    a, b = (api.infer(model, system, batch=n, count=count, catalog=CATALOG)
            for n in (batch, batch + extra))
    assert a.devices == b.devices == count
    if a.energy_per_token_J is None:
        assert b.energy_per_token_J is None
        assert any("power" in n and "not in the catalog" in n for n in a.assumptions)
        return
    rate = [r.energy_per_token_J * r.throughput_tokens_per_s for r in (a, b)]
    assert math.isclose(rate[0], rate[1], rel_tol=1e-9)
    power = resolve(CATALOG, system).with_devices(a.devices).power_W
    assert rate[0] >= power  # PUE >= 1


def test_unknown_prints_as_a_dash_and_null_never_zero(cli):
    for args in (["train", "--model", "llama-2-7b", "--system", "trn2-instance", "--tokens", "1e11"],
                 ["infer", "--model", "llama-3.1-8b", "--system", "ascend-910c"]):
        table, data = cli(*args), cli(*args, "--json").json()
        assert table.code == 0
        key = "energy_J" if args[0] == "train" else "energy_per_token_J"
        assert data[key] is None
        row = next(line for line in table.out.splitlines() if "energy" in line)
        assert row.split()[-2:] == ["-", "│"], row
