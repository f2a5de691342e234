"""Invariants of derived model figures over random shapes."""

from hypothesis import given, settings
from hypothesis import strategies as st

from wafersim.models import from_hf_config


@st.composite
def llama_configs(draw):
    kv = draw(st.sampled_from([1, 2, 4, 8]))
    heads = kv * draw(st.integers(1, 8))
    head_dim = draw(st.sampled_from([32, 64, 128]))
    cfg = {"model_type": "llama", "hidden_size": heads * head_dim, "num_attention_heads": heads,
           "num_key_value_heads": kv, "num_hidden_layers": draw(st.integers(1, 64)),
           "intermediate_size": draw(st.integers(1, 64)) * 128,
           "vocab_size": draw(st.integers(1000, 200_000)),
           "tie_word_embeddings": draw(st.booleans())}
    if draw(st.booleans()):
        cfg |= {"model_type": "mixtral", "num_local_experts": draw(st.integers(2, 16))}
        cfg["num_experts_per_tok"] = draw(st.integers(1, cfg["num_local_experts"]))
    return cfg


@settings(max_examples=200, deadline=None)
@given(llama_configs())
def test_counts_are_consistent(cfg):
    m = from_hf_config(cfg, "random")
    assert 0 < m.params_active <= m.params_total
    assert m.params_matmul_active <= m.params_active + m.vocab_size * m.d_model
    assert (m.params_active < m.params_total) == (m.is_moe and m.top_k < m.n_experts)


@settings(max_examples=200, deadline=None)
@given(llama_configs(), st.integers(1, 32_768))
def test_flops_grow_with_sequence(cfg, seq):
    m = from_hf_config(cfg, "random")
    assert m.training_flops_per_token(seq) >= 6 * m.params_matmul_active
    assert m.training_flops_per_token(seq + 1) > m.training_flops_per_token(seq)
    assert m.training_flops_per_token(seq, "full") > m.training_flops_per_token(seq, "selective")
    assert m.decode_flops(seq) > m.decode_flops(seq - 1)


@settings(max_examples=100, deadline=None)
@given(llama_configs(), st.integers(1, 80))
def test_more_layers_more_params(cfg, extra):
    deeper = cfg | {"num_hidden_layers": cfg["num_hidden_layers"] + extra}
    assert from_hf_config(deeper, "b").params_total > from_hf_config(cfg, "a").params_total
