"""Where a weight-streaming micro-batch keeps its activations: wafer SRAM (documented) or
off-wafer activation servers (offload), and `auto`, the faster of the two."""

import math
from dataclasses import replace

import pytest

from wafersim import train
from wafersim.catalog.system import resolve
from wafersim.cost.train.scenario import TrainWorkload
from wafersim.cost.train.wafer import train_wafer
from wafersim.errors import ParameterError
from wafersim.models import load_model

ONE_T = dict(model="megatron-1t", system="cs-3", tokens=1e12, memory_service="memoryx-55tb")


@pytest.fixture(scope="module")
def one_t(catalog):
    return {a: train(**ONE_T, activations=a, catalog=catalog) for a in ("sram", "offload", "auto")}


def test_offload_beats_sram_for_1t_on_one_cs3(one_t):
    sram, offload = one_t["sram"], one_t["offload"]
    assert offload.mfu > 2 * sram.mfu  # the SRAM cap leaves most of each layer's stream exposed
    assert offload.tokens_per_s > sram.tokens_per_s
    assert sram.plan.activations == "sram" and offload.plan.activations == "offload"


def test_auto_picks_the_faster(one_t):
    auto = one_t["auto"]
    assert auto.plan.activations == "offload"
    assert auto.step_time_s == min(one_t["sram"].step_time_s, one_t["offload"].step_time_s)
    assert any("picked by activations auto" in n for n in auto.assumptions)


def test_default_is_the_documented_sram(catalog, one_t):
    default = train(**ONE_T, catalog=catalog)
    assert default.plan.activations == "sram"
    assert default.step_time_s == one_t["sram"].step_time_s
    note = next(n for n in default.assumptions if n.startswith("activations held in wafer SRAM"))
    assert "ALCF SC24" in note and "offload" in note and "MFU" in note  # the alternative's figure


def test_sram_caps_tokens_per_pass_by_hand(one_t):
    """44 GB x 0.8 usable = 35.2 GB; the largest matrix 25600 x 102400 bf16 = 5.24 GB; layer
    inputs (full recompute) of one 2048-token sequence over 128 layers: 2 B x 25600 x 128 x 2048
    = 13.4 GB; so 2 sequences, 4,096 tokens per weight pass."""
    r = one_t["sram"]
    free = 44e9 * 0.8 - 25600 * 102400 * 2
    per_seq = 2 * 25600 * 128 * 2048
    assert r.plan.micro_batch_cap == math.floor(free / per_seq) == 2
    assert r.plan.recompute == "full" and r.plan.micro_batch * 2048 == 4096
    assert r.memory["sram_activations"] <= free
    assert r.plan.micro_batches == 2048 // 2


def test_offload_cap_is_one_layers_working_set(one_t):
    r = one_t["offload"]
    assert r.plan.micro_batch_cap > 5 * one_t["sram"].plan.micro_batch_cap
    assert r.memory["sram_activations"] + r.memory["weight_buffers"] <= r.memory["sram_usable"]
    assert r.memory["offwafer_activations"] > 0
    assert "exposed_activation_io" in r.breakdown


def test_offload_io_costs_time_when_it_cannot_hide(catalog):
    """Keeping every activation (no recompute) off-wafer moves ~17x more bytes than the layer
    inputs; on the 1 T model that I/O is exposed."""
    r = train(**ONE_T, activations="offload", recompute="none", catalog=catalog)
    assert r.breakdown["exposed_activation_io"] > 0.1 * r.step_time_s


def test_alternatives_list_every_feasible_candidate(one_t):
    plans = {(a["plan"]["activations"], a["plan"]["recompute"]) for a in one_t["sram"].alternatives}
    assert plans == {("offload", "full"), ("offload", "none")}  # sram/none does not fit


def test_offload_needs_catalogued_activation_servers(catalog):
    system = resolve(catalog, "cs-3")
    bare = replace(system, node=system.node.model_copy(update={"activation_memory_bytes": None}))
    work = TrainWorkload(1e9, 64, 2048)
    with pytest.raises(ParameterError, match="no activation servers"):
        train_wafer(load_model("llama-2-7b"), bare, work, activations="offload")
    assert train_wafer(load_model("llama-2-7b"), bare, work, activations="auto").plan.activations == "sram"


@pytest.mark.parametrize("args, says", [
    (("--system", "cs-3", "--activations", "hbm"), "--activations 'hbm' is not a home"),
    (("--system", "h100-sxm", "--activations", "offload"), "wafer-scale systems only"),
])
def test_bad_choices_exit_2_with_one_line(cli, args, says):
    run = cli("train", "--model", "llama-2-7b", "--tokens", "1e9", *args)
    assert run.code == 2 and says in run.err and run.err.count("\n") == 1


def test_cli_reports_the_home_in_plan_json(cli):
    run = cli("train", "--model", "llama-2-7b", "--system", "cs-3", "--tokens", "1e9",
              "--activations", "auto", "--json")
    plan = run.json()["plan"]
    assert run.code == 0 and plan["activations"] in ("sram", "offload")
    assert plan["micro_batch_cap"] >= plan["micro_batch"]
