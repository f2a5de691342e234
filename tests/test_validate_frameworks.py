"""A row's framework sets what its plan columns do not: the data-parallel collectives' formats."""

import pytest

from wafersim.catalog.system import resolve
from wafersim.cost.train.scenario import DataParallelWire
from wafersim.cost.train.step import StepModel
from wafersim.errors import ParameterError
from wafersim.models import load_model
from wafersim.plan import Constraints, enumerate_plans
from wafersim.validate.frameworks import wire_of
from wafersim.validate.records import read


def _rows():
    return {r.id: r for r in read()}


def test_nemo_mlperf_gpt3_reduces_bf16_and_gathers_fp8_weights():
    rows = _rows()
    assert wire_of(rows["T046"]) == DataParallelWire(2.0, 1.0)  # fp8, FP8_PARAMS=True
    assert wire_of(rows["T042"]) is None  # Megatron-Core: Megatron-LM's defaults
    assert wire_of(rows["T056"]) is None  # NeMo, but the LoRA benchmark's implementation


def test_lighter_wire_exposes_less_data_parallel_time(catalog):
    model, system = load_model("gpt3-175b"), resolve(catalog, "dgx-h100").with_devices(3072)
    plans = enumerate_plans(model, 3072, 8, 768, 2048, Constraints(tp=4, pp=8, dp=96, zero=1,
                                                                  micro_batch=1, v=1))
    wires = (DataParallelWire(4.0, 2.0), DataParallelWire(2.0, 1.0))
    exposed = [StepModel(model, system, 2048, 768, "fp8", wire=wire).evaluate(plans.one(0))
               .breakdown["exposed_dp_comm"] for wire in wires]
    assert exposed[0] > exposed[1]


def test_wire_bytes_must_be_positive():
    with pytest.raises(ParameterError, match="grad_reduce_bytes"):
        DataParallelWire(0.0, 2.0)
