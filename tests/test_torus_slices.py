"""TPU ICI domains are cut into slices: a job takes one slice of its size, and a job larger than
one pod runs as equal slices over the data-center network (Multislice)."""

from wafersim.catalog.system import resolve
from wafersim.cost.train.step import accelerator_of
from wafersim.models import load_model
from wafersim.plan import Constraints, enumerate_plans
from wafersim.validate.records import read
from wafersim.validate.train import predict, run


def _domain(system):
    return [t.devices for t in system.scale_up]


def test_multi_pod_job_runs_as_equal_slices(catalog):
    pod = resolve(catalog, "tpu-v4-pod")
    assert _domain(pod.with_devices(6144)) == [3072]  # PaLM: 2 x 3072 chips
    assert _domain(pod.with_devices(512)) == [512]
    assert _domain(pod.with_devices(6144).with_devices(4096)) == [4096]  # from the pod, not the slice
    assert _domain(resolve(catalog, "tpu-v6e-pod").with_devices(3072)) == [256]


def test_switched_domains_are_not_sliced(catalog):
    assert _domain(resolve(catalog, "dgx-h100").with_devices(24)) == [8]


def test_tp12_fits_a_3072_chip_slice(catalog):
    system = resolve(catalog, "tpu-v4-pod").with_devices(6144)
    model = load_model("palm-540b")
    plans = enumerate_plans(model, 6144, accelerator_of(system, "bf16").scale_up, 2048, 2048,
                            Constraints(tp=12, dp=512))
    assert set(plans.tp) == {12}


def test_palm_and_trillium_rows_are_predicted(catalog):
    rows = {r.id: r for r in read()}
    for row_id in ("T033", "T054"):
        value = predict(rows[row_id], run(rows[row_id], catalog))
        assert value > 0
