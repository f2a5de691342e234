"""Fuzzing the model-config reader: any JSON value in any key of a config either loads into a
ModelSpec whose sizes are sane and whose figures compute, or fails with the library's one-line
ConfigError; never another exception."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wafersim.errors import ConfigError
from wafersim.models import load_model
from wafersim.models.hf import LARGEST, from_hf_config
from wafersim.models.registry import model_paths
from wafersim.models.spec import ModelSpec

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = (st.none() | st.booleans() | st.integers(min_value=-10**40, max_value=10**40)
           | st.integers(min_value=-2, max_value=70) | st.floats(allow_nan=True, allow_infinity=True)
           | st.text(max_size=12) | st.sampled_from(["4096", "false", "llama", "", "1e30"]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)

# One shipped config per reader family: dense GQA, MoE, MLA, learned positions, MQA, ratio MLP.
BASES = ["llama-3.1-8b", "mixtral-8x7b", "deepseek-v3", "gpt3-125m", "falcon-40b", "mpt-30b",
         "qwen3-235b-a22b", "gpt-neox-20b", "opt-175b", "bloom-176b", "gpt-j-6b", "glm-130b",
         "palm-540b", "gopher-280b", "grok-1"]


def _config(model_id: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(model_paths()[model_id].read_text(encoding="utf-8"))
    return data


def _check(spec: ModelSpec) -> None:
    """What every loaded spec must satisfy, and its figures must compute."""
    for size in (spec.n_layers, spec.d_model, spec.n_heads, spec.n_kv_heads, spec.head_dim,
                 spec.d_ff, spec.vocab_size, spec.max_seq_len):
        assert isinstance(size, int) and 1 <= size <= LARGEST
    assert spec.n_heads % spec.n_kv_heads == 0
    assert not spec.is_moe or 1 <= spec.top_k <= spec.n_experts
    assert spec.params_total >= spec.params_active > 0
    assert spec.kv_cache_bytes_per_token() > 0
    assert spec.training_flops_per_token(min(spec.max_seq_len, 4096)) > 0


def _load(raw: Any) -> None:
    try:
        spec = from_hf_config(raw, "fuzz", "fuzz/config.json")
    except ConfigError as exc:
        assert "\n" not in str(exc) and "fuzz/config.json" in str(exc)
        return
    _check(spec)


def test_the_bases_exist():
    for model_id in BASES:
        _check(from_hf_config(_config(model_id), model_id))


@FUZZ
@given(st.sampled_from(BASES), st.data())
def test_any_value_in_any_key_loads_or_is_a_config_error(model_id, data):
    raw = _config(model_id)
    key = data.draw(st.sampled_from(sorted(raw)) | st.sampled_from(
        ["head_dim", "num_key_value_heads", "n_inner", "moe_layer_freq", "expansion_ratio",
         "decoder_sparse_step", "first_k_dense_replace", "n_group", "topk_group"]))
    raw[key] = data.draw(values)
    _load(raw)


@FUZZ
@given(st.sampled_from(BASES), st.data())
def test_any_sizes_load_consistent_or_are_a_config_error(model_id, data):
    raw = _config(model_id)
    numeric = sorted(k for k, v in raw.items() if isinstance(v, int) and not isinstance(v, bool))
    for key in data.draw(st.lists(st.sampled_from(numeric), min_size=1, max_size=4)):
        raw[key] = data.draw(st.integers(min_value=-1, max_value=300) | st.sampled_from([2**24, 2**24 + 1]))
    _load(raw)


@FUZZ
@given(values)
def test_any_document_loads_or_is_a_config_error(raw):
    _load(raw)


@FUZZ
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_any_file_loads_or_is_a_config_error(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.json"
        path.write_bytes(data)
        try:
            _check(load_model(str(path)))
        except ConfigError as exc:
            assert "\n" not in str(exc)
