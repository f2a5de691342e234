"""Shared serving pieces: request shape checks, MoE experts touched, speculative decoding."""

import pytest

from wafersim.cost.infer.common import Serving, expected_experts, speculative_tokens_per_step
from wafersim.errors import ConfigError
from wafersim.models import load_model


def test_one_token_touches_top_k_experts():
    assert expected_experts(8, 2, 1) == pytest.approx(2.0)
    assert expected_experts(256, 8, 1) == pytest.approx(8.0)


def test_many_tokens_touch_every_expert():
    assert expected_experts(8, 2, 1000) == pytest.approx(8.0)
    counts = expected_experts(64, 4, [1, 2, 4, 8, 16])
    assert all(a < b for a, b in zip(counts, counts[1:], strict=False))


def test_speculative_tokens_per_step_matches_leviathan():
    assert speculative_tokens_per_step(0.0, 4) == pytest.approx(1.0)
    assert speculative_tokens_per_step(0.8, 4) == pytest.approx((1 - 0.8**5) / 0.2)
    with pytest.raises(ConfigError):
        speculative_tokens_per_step(1.0, 4)


def test_serving_rejects_bad_values():
    with pytest.raises(ConfigError, match="precision='fp3'"):
        Serving(precision="fp3")
    with pytest.raises(ConfigError, match="input_tokens=0"):
        Serving(input_tokens=0)


def test_paged_kv_rounds_up_to_blocks():
    m = load_model("llama-3.1-8b")
    s = Serving(input_tokens=10, output_tokens=7)  # 17 tokens -> two blocks of 16
    assert s.kv_bytes_per_request(m) == 32 * m.kv_cache_bytes_per_token("bf16")
    assert s.kv_bytes_per_request(m, paged=False) == 17 * m.kv_cache_bytes_per_token("bf16")
