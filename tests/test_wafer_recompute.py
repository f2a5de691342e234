"""Recompute on a wafer: none keeps every activation, full keeps layer inputs and recomputes the
forward pass; auto takes the faster; the choice is in the plan, the breakdown and the notes."""

import pytest

from wafersim import train

SEVEN_B = dict(model="llama-2-7b", system="cs-3", tokens=1e9, global_batch=1024, seq_len=4096)


@pytest.fixture(scope="module")
def runs(catalog):
    return {m: train(**SEVEN_B, recompute=m, activations="offload", catalog=catalog)
            for m in ("none", "full", "selective", "auto")}


def test_full_recompute_costs_one_forward(runs):
    full = runs["full"]  # compute: forward + backward = 3 forwards, plus the small LM head
    assert full.breakdown["recompute"] == pytest.approx(full.breakdown["compute"] / 3, rel=0.03)
    assert runs["none"].breakdown["recompute"] == 0.0


def test_recompute_shrinks_what_is_stored(runs):
    assert runs["full"].plan.micro_batch_cap >= runs["none"].plan.micro_batch_cap
    assert runs["full"].memory["offwafer_activations"] < runs["none"].memory["offwafer_activations"]


def test_auto_is_the_faster_and_says_so(runs):
    auto = runs["auto"]
    assert auto.step_time_s == min(runs["none"].step_time_s, runs["full"].step_time_s)
    assert auto.plan.recompute in ("none", "full")
    assert any(n.startswith(f"recompute {auto.plan.recompute}:") and "auto" in n
               for n in auto.assumptions)


def test_selective_equals_none_on_a_wafer(runs):
    sel = runs["selective"]
    assert sel.plan.recompute == "selective"
    assert sel.step_time_s == pytest.approx(runs["none"].step_time_s)
    assert any("attention is fused" in n for n in sel.assumptions)


def test_sram_auto_recompute_takes_full_when_none_cannot_fit_a_batch(catalog):
    """llama-2-7b at 4096 tokens: 44 GB x 0.8 = 35.2 GB less the 4096 x 11008 bf16 matrix
    (0.09 GB); layer inputs of one sequence 2 B x 4096 x 32 layers x 4096 = 1.07 GB, so 32
    sequences per pass with full recompute; every activation (~18 GB a sequence) fits one."""
    r = train(**SEVEN_B, catalog=catalog)
    assert r.plan.activations == "sram" and r.plan.recompute == "full"
    assert r.plan.micro_batch_cap == int((44e9 * 0.8 - 4096 * 11008 * 2) // (2 * 4096 * 32 * 4096)) == 32
