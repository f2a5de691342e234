"""Greedy decoding on a multi-wafer layer pipeline equals the NumPy reference."""

import pytest

from wafersim.errors import ParameterError
from wafersim.mesh.functional import LlamaConfig, decode_pipeline, greedy_reference
from wafersim.mesh.functional.pipeline import llama_config

CONFIG = LlamaConfig()
PROMPT = (1, 2, 3)


@pytest.fixture(scope="module")
def reference():
    return greedy_reference(CONFIG, PROMPT, 6, seed=0)


@pytest.mark.parametrize("wafers", [1, 2, 3, 4])
def test_tokens_equal_numpy(wafers, reference):
    run = decode_pipeline(CONFIG, wafers, PROMPT, 6, seed=0)
    assert run.tokens == reference
    assert sum(run.layers_per_wafer) == CONFIG.n_layers
    for t, parts in zip(run.latency_s, run.breakdown_s, strict=True):
        assert sum(parts.values()) == pytest.approx(t, rel=1e-12)


def test_reference_tokens_depend_on_the_seed(reference):
    assert greedy_reference(CONFIG, PROMPT, 6, seed=1) != reference
    assert len(set(reference)) > 1


def test_hops_add_latency_and_longer_context_costs_more():
    one = decode_pipeline(CONFIG, 1, PROMPT, 6, seed=0)
    two = decode_pipeline(CONFIG, 2, PROMPT, 6, seed=0)
    assert one.breakdown_s[0]["hops"] == 0.0
    assert two.breakdown_s[0]["hops"] > two.hop_s
    assert two.latency_s[0] > one.latency_s[0]
    assert one.breakdown_s[-1]["layers"] >= one.breakdown_s[0]["layers"]


def test_config_follows_the_mesh_decode_layer():
    assert llama_config(4, 64, 4) == CONFIG


@pytest.mark.parametrize("kwargs", [{"wafers": 5}, {"prompt": (99,)}, {"new_tokens": 40}])
def test_bad_inputs_name_the_parameter(kwargs):
    args = {"wafers": 2, "prompt": PROMPT, "new_tokens": 4} | kwargs
    with pytest.raises(ParameterError):
        decode_pipeline(CONFIG, **args)
