"""Physical invariants of the serving models, checked over random inputs."""

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wafersim.catalog.system import resolve
from wafersim.cost.backends import serve
from wafersim.cost.infer.common import Serving
from wafersim.cost.infer.hbm_points import hbm_points
from wafersim.cost.infer.scenario import InferScenario
from wafersim.cost.infer.wafer import Region, wafer_fit, wafer_points, wafers_needed
from wafersim.errors import InfeasiblePlan
from wafersim.models import load_model
from wafersim.plan.infer_grid import enumerate_plans

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
MODELS = st.sampled_from(["llama-3.1-8b", "llama-3.1-70b", "mixtral-8x7b", "qwen3-235b-a22b",
                          "deepseek-v3", "gpt3-13b"])
SERVING = st.builds(Serving, st.integers(1, 8192), st.integers(1, 4096),
                    st.sampled_from(["bf16", "fp8", "int4"]), st.sampled_from(["bf16", "fp8"]))


def _with_bandwidth(system, factor):
    chip = system.chip
    q = chip.hbm_bandwidth_Bps
    return replace(system, chip=chip.model_copy(update={
        "hbm_bandwidth_Bps": q.model_copy(update={"value": q.value * factor, "lo": None, "hi": None})}))


@SETTINGS
@given(model=MODELS, serving=SERVING, factor=st.floats(1.0, 4.0), batch=st.integers(1, 512))
def test_decode_never_slower_with_more_bandwidth(catalog, model, serving, factor, batch):
    spec, system = load_model(model), resolve(catalog, "gb200-nvl72")
    plans = enumerate_plans(spec, system)
    b = np.full(len(plans), batch)
    slow = hbm_points(InferScenario(spec, system, serving), plans, b).tpot_s
    fast = hbm_points(InferScenario(spec, _with_bandwidth(system, factor), serving), plans, b).tpot_s
    assert np.all(fast <= slow * (1 + 1e-12))


@SETTINGS
@given(model=st.sampled_from(["llama-3.1-8b", "mixtral-8x7b"]), serving=SERVING)
def test_hbm_throughput_never_falls_with_batch_until_memory_runs_out(catalog, model, serving):
    spec, system = load_model(model), resolve(catalog, "h200-sxm")
    plans = enumerate_plans(spec, system, tp=1, pp=1, ep=1)
    batches = np.arange(1, 257)
    pts = hbm_points(InferScenario(spec, system, serving), plans.take(np.zeros(256, dtype=int)), batches)
    thr = pts.throughput(serving)[pts.fits]
    assert np.all(np.diff(thr) >= -1e-9 * thr[1:])


@SETTINGS
@given(model=st.sampled_from(["llama-3.1-8b", "llama-3.1-70b", "mixtral-8x7b"]),
       serving=SERVING, extra=st.integers(0, 4))
def test_wafer_throughput_never_falls_with_batch(catalog, model, serving, extra):
    spec, system = load_model(model), resolve(catalog, "cs-3")
    f = wafer_fit(spec, system, serving)
    n = wafers_needed(f, 1) + extra
    top = f.max_batch(n)
    if top < 2:
        return
    batches = np.arange(1, min(top, 400) + 1)
    tpot, ttft = wafer_points(spec, system, serving, batches, Region(n), f)
    out = serving.output_tokens
    thr = batches * out / (sum(ttft.values()) + out * sum(tpot.values()))
    # Past pipeline saturation the mesh GEMV is tiled (cost/kernels/wafer_gemv.py): one more request can
    # add a whole tile row per pass, a quantisation step of a few parts in 10^4. Bound each step
    # by 10^-3 and the total sag below the peak by 1%.
    assert np.all(np.diff(thr) >= -1e-3 * thr[1:])
    assert thr[-1] >= 0.99 * thr.max()


@SETTINGS
@given(model=MODELS, serving=SERVING, batch=st.integers(1, 64))
def test_wafer_count_is_the_minimum(catalog, model, serving, batch):
    spec, system = load_model(model), resolve(catalog, "cs-3")
    f = wafer_fit(spec, system, serving)
    n = wafers_needed(f, batch)
    need = f.weight_bytes + batch * f.kv_bytes_per_request
    assert n * f.usable_bytes >= need and (n == 1 or (n - 1) * f.usable_bytes < need)


@pytest.mark.parametrize(("model", "system"), [("llama-3.1-405b", "dgx-h100"),
                                               ("grok-1", "dgx-h100"), ("deepseek-v3", "dgx-h200")])
def test_a_model_that_does_not_fit_says_how_many_devices(catalog, model, system):
    spec = load_model(model)
    with pytest.raises(InfeasiblePlan, match=r"needs at least (\d+) devices") as err:
        serve(InferScenario(spec, resolve(catalog, system)), [1])
    need = int(err.value.args[0].split("needs at least ")[1].split()[0])
    assert need > 8
    assert need * 0.9 * resolve(catalog, system).chip.hbm_bytes.value >= spec.weight_bytes("bf16")
