"""Attention heads padded to a tensor degree that does not divide them (models/padding.py):
the NxD Inference rule, the padded FLOPs and KV bytes in the costs, the padding in results."""

from __future__ import annotations

import pytest

from wafersim.catalog.system import resolve
from wafersim.cost.infer import hbm
from wafersim.cost.infer.common import Serving
from wafersim.cost.infer.hbm_points import hbm_device
from wafersim.models import load_model
from wafersim.models.padding import pad_heads, padded_head_counts, unpadded
from wafersim.plan.infer_grid import OnePlan


@pytest.mark.parametrize(("heads", "kv", "tp", "expected"), [
    (232, 8, 16, (240, 16)),  # Falcon-180B on 16 devices: pad queries, replicate KV to tp
    (56, 8, 32, (64, 32)),  # NxD Inference's gqa.py example, replicated to the tp degree
    (40, 8, 3, (42, 42)),  # tp not a multiple of the KV heads: GQA converted to MHA
    (25, 25, 8, (32, 32)),  # multi-head attention pads keys and values with the queries
    (64, 8, 8, (64, 8)),  # a dividing degree changes nothing
    (64, 8, 16, (64, 16)),  # tp past the KV heads replicates them (Megatron-LM, vLLM)
])
def test_padded_head_counts(heads, kv, tp, expected):
    assert padded_head_counts(heads, kv, tp) == expected


def test_dividing_degree_keeps_the_model():
    m = load_model("llama-3.1-70b")
    assert pad_heads(m, 8) is m and pad_heads(m, 16) is m  # 64 heads, 8 KV: replicated as before


def test_padded_spec_scales_attention_by_the_ratio():
    m = load_model("falcon-180b")
    p = pad_heads(m, 16)
    assert (p.n_heads, p.n_kv_heads, p.heads_before_padding) == (240, 16, (232, 8))
    assert p.attention_score_flops(4096) / m.attention_score_flops(4096) == pytest.approx(240 / 232)
    assert p.kv_cache_bytes_per_token() == 2 * m.kv_cache_bytes_per_token()
    assert p.params_total > m.params_total  # the padded query/output and KV weights are stored
    assert unpadded(p) == m


def test_prefill_attention_rises_by_the_padding_ratio(catalog):
    m = load_model("falcon-180b")
    system = resolve(catalog, "trn2-instance")
    serving = Serving()
    device = hbm_device(system, serving)
    plan = OnePlan(16, 1, 1, 1, 1)
    fixed = m.n_layers * device.kernel_overhead_s  # launch overheads do not scale with heads

    def attention(model):
        return hbm.prefill_parts(model, system, device, serving, plan, 1)["attention"] - fixed

    assert attention(pad_heads(m, 16)) / attention(m) == pytest.approx(240 / 232, rel=1e-12)


def test_serving_a_padded_degree(cli):
    run = cli("infer", "--model", "falcon-180b", "--system", "trn2-instance", "--tp", "16", "--pp",
              "1", "--json")
    assert run.code == 0, run.err
    out = run.json()
    assert out["plan"]["tp"] == 16
    assert out["padded_heads"] == {"query_heads": 240, "kv_heads": 16, "query_heads_before": 232,
                                   "kv_heads_before": 8}
    assert any("padded" in note for note in out["assumptions"])
    plain = cli("infer", "--model", "falcon-180b", "--system", "trn2-instance", "--tp", "8",
                "--pp", "1", "--json").json()
    assert "padded_heads" not in plain


def test_training_a_padded_degree_counts_useful_flops(cli):
    args = ("train", "--model", "falcon-180b", "--system", "trn2-instance", "--count", "128",
            "--tokens", "1e9", "--json")
    run = cli(*args, "--tp", "16")
    assert run.code == 0, run.err
    out = run.json()
    assert out["plan"]["tp"] == 16 and out["padded_heads"]["query_heads"] == 240
    m = load_model("falcon-180b")
    useful = m.training_flops_per_token(2048) * out["tokens_per_s"]  # the unpadded model's FLOPs
    assert out["flops_per_s_per_device"] * out["devices"] == pytest.approx(useful, rel=1e-9)
