"""The backend registry: every device class the catalog admits has a serving backend, the one
dispatch asks only the registry, and a new device class is one registration."""

import ast
import typing
from dataclasses import replace
from pathlib import Path

import pytest

import wafersim
from wafersim.catalog.schema import Chip
from wafersim.catalog.system import resolve
from wafersim.cost import backends
from wafersim.cost.infer.hbm_serving import HbmServing
from wafersim.cost.infer.scenario import InferScenario
from wafersim.errors import ConfigError, ParameterError
from wafersim.models import load_model
from wafersim.plan import Constraints
from wafersim.plan.infer import HbmPlan, WaferPlan

ROOT = Path(wafersim.__file__).parent


def test_every_device_class_has_a_training_and_a_serving_backend():
    classes = set(typing.get_args(Chip.model_fields["device_class"].annotation))
    assert classes == set(backends.SERVING) == set(backends.TRAINING)


def test_only_the_registry_reads_the_device_class():
    readers = []
    for path in ROOT.rglob("*.py"):
        if "catalog" in path.parts or path.name == "backends.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr == "device_class":
                readers.append(str(path.relative_to(ROOT)))
    assert not readers, readers


def test_results_carry_the_plan_their_backend_makes(catalog):
    gpu = wafersim.infer("llama-3.1-8b", "h100-sxm", catalog=catalog)
    wafer = wafersim.infer("llama-3.1-8b", "cs-3", catalog=catalog)
    assert isinstance(gpu.plan, HbmPlan) and isinstance(wafer.plan, WaferPlan)
    assert gpu.to_json()["plan"]["kind"] == "hbm" and wafer.to_json()["plan"]["kind"] == "sram_resident"


class Counting(HbmServing):
    """An HBM backend that counts its calls: stands for a newly registered device class."""

    name = "counting"
    calls = 0

    def serve(self, sc, batches, search):
        Counting.calls += 1
        return super().serve(sc, batches, search)


def test_a_new_device_class_is_one_registration(catalog, monkeypatch):
    monkeypatch.setitem(backends.SERVING, "gpu", Counting())
    before = Counting.calls
    r = wafersim.infer("llama-3.1-8b", "h100-sxm", catalog=catalog)
    assert Counting.calls == before + 1 and r.tpot_s > 0


def test_an_unregistered_device_class_says_which_are_known(catalog, monkeypatch):
    monkeypatch.delitem(backends.SERVING, "gpu")
    with pytest.raises(ConfigError, match="no serving backend .* 'gpu'; known: "):
        wafersim.infer("llama-3.1-8b", "h100-sxm", catalog=catalog)


def test_a_backend_that_cannot_disaggregate_refuses_a_split(catalog):
    sc = InferScenario.of(load_model("llama-3.1-8b"), resolve(catalog, "cs-3"), disaggregate="1:1")
    with pytest.raises(ParameterError, match="disaggregate=1:1: cs-3 pipelines layers"):
        backends.serve(sc, [1])


def test_the_scenario_resolves_the_device_count_once(catalog):
    system = resolve(catalog, "dgx-h100")
    sc = InferScenario.of(load_model("llama-3.1-8b"), system, count=16)
    assert sc.system.devices == 16 and sc.count == 16
    split = InferScenario.of(load_model("llama-3.1-8b"), system, disaggregate="4:12")
    assert split.system.devices == 16 and split.on(4).system.devices == 4 and split.on(4).split is None
    assert replace(sc, count=None).system.devices == 16


def test_training_dispatch_asks_the_registry(catalog, monkeypatch):
    monkeypatch.delitem(backends.TRAINING, "wafer")
    with pytest.raises(ConfigError, match="no training backend .* 'wafer'"):
        wafersim.train("llama-2-7b", "cs-3", 1e12, catalog=catalog)


def test_a_training_backend_refuses_what_it_cannot_do(catalog):
    with pytest.raises(ParameterError, match="sparsity=0.5 applies to wafer-scale systems only"):
        wafersim.train("llama-2-7b", "dgx-a100", 1e12, sparsity=0.5, catalog=catalog)
    with pytest.raises(ParameterError, match="trains by weight streaming"):
        wafersim.train("llama-2-7b", "cs-3", 1e12, plan=Constraints(tp=2), catalog=catalog)


def test_the_default_batch_is_an_assumption_of_the_result(catalog):
    given = wafersim.train("llama-2-7b", "dgx-a100", 1e12, global_batch=1024, catalog=catalog)
    default = wafersim.train("llama-2-7b", "dgx-a100", 1e12, catalog=catalog)
    assert not any("default ~4M" in a for a in given.assumptions)
    assert default.assumptions[0].startswith("global batch ")
