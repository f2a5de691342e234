"""Systems added to the catalog: MI325X, MI355X, B300, GB300 NVL72, H100 NVL, H200 NVL, L40S,
Gaudi 3, Inferentia2, TPU7x, GroqRack and SambaNova SN40L: each loads with sourced numbers, and
trains and serves through the CLI with sane figures."""

import pytest

from wafersim.catalog.memory import device_memory_bytes, memory_tiers, spill_read_s
from wafersim.catalog.system import resolve

# system -> (model it serves, weight precision, devices for the training point)
NEW = {
    "mi325x-platform": ("llama-3-8b", "bf16", 8), "mi355x-platform": ("llama-3-8b", "bf16", 8),
    "dgx-b300": ("llama-3-8b", "fp8", 8), "gb300-nvl72": ("llama-3-8b", "fp4", 72),
    "h100-nvl-server": ("llama-3-8b", "bf16", 8), "h200-nvl-server": ("llama-3-8b", "bf16", 8),
    "l40s-server": ("llama-3-8b", "bf16", 8), "hls-gaudi3": ("llama-3-8b", "bf16", 8),
    "inf2-48xlarge": ("llama-3-8b", "bf16", 12), "tpu-v7-pod": ("llama-3-8b", "bf16", 64),
    "groq-rack": ("llama-3-8b", "int8", 64), "sn40l-node": ("llama-3-70b", "bf16", 8),
    "sn40l-16": ("llama-3.1-405b", "bf16", 16),
}
TRAIN_PRECISION = {"groq-rack": "fp16"}  # Groq publishes FP16, not BF16
TRAIN_MODEL = {"groq-rack": "gpt3-125m"}  # 64 x 230 MB of SRAM hold no 1.3B model with optimizer


@pytest.mark.parametrize("system_id", sorted(NEW))
def test_loads_with_sourced_core_numbers(catalog, system_id):
    system = resolve(catalog, system_id)
    chip = system.chip
    peak = chip.peak_dense_flops_per_s.get("bf16") or chip.peak_dense_flops_per_s.get("fp16")  # type: ignore[call-overload]
    memory = device_memory_bytes(chip)
    assert peak is not None and peak.value and peak.value > 1e14, system_id
    assert memory is not None and memory > 1e8 and system.memory_bandwidth_Bps
    for q in (peak, getattr(chip, f"{memory_tiers(chip)[0].name}_bytes")):
        assert q is not None and q.source and catalog.source(chip, q.source).url, system_id
    assert system.devices == NEW[system_id][2] or system_id in ("tpu-v7-pod", "gb300-nvl72")


@pytest.mark.parametrize("system_id", sorted(NEW))
def test_serves_one_point(cli, system_id):
    model, precision, _ = NEW[system_id]
    run = cli("infer", "--model", model, "--system", system_id, "--precision", precision,
              "--json")
    assert run.code == 0, run.err
    data = run.json()
    assert 1 < data["user_tokens_per_s"] < 5000 and 0 < data["ttft_s"] < 5


@pytest.mark.parametrize("system_id", sorted(NEW))
def test_trains_one_point(cli, system_id):
    devices = str(NEW[system_id][2])
    run = cli("train", "--model", TRAIN_MODEL.get(system_id, "gpt3-1.3b"), "--system", system_id,
              "--count", devices,
              "--tokens", "1e9", "--precision", TRAIN_PRECISION.get(system_id, "bf16"), "--json")
    assert run.code == 0, run.err
    assert 0.05 < run.json()["mfu"] < 0.8


def _infer(cli, system, *args):
    run = cli("infer", "--model", "llama-3-70b", "--system", system, "--json", *args)
    assert run.code == 0, run.err
    return run.json()


def test_b300_prefills_faster_than_b200_at_fp4_and_holds_more_at_fp8(cli):
    fp4 = [_infer(cli, s, "--precision", "fp4", "--batch", "32") for s in ("dgx-b300", "dgx-b200")]
    assert fp4[0]["ttft_s"] < fp4[1]["ttft_s"]
    fp8 = [_infer(cli, s, "--precision", "fp8") for s in ("dgx-b300", "dgx-b200")]
    assert fp8[0]["max_batch"] > 1.4 * fp8[1]["max_batch"]  # 279 vs 180 GB per GPU


def test_mi355x_beats_mi325x(cli):
    decode = [_infer(cli, s)["tpot_s"] for s in ("mi355x-platform", "mi325x-platform")]
    assert decode[0] < decode[1]  # 8.0 vs 6.0 TB/s
    steps = [cli("train", "--model", "gpt3-1.3b", "--system", s, "--tokens", "1e9", "--json")
             for s in ("mi355x-platform", "mi325x-platform")]
    assert steps[0].json()["step_time_s"] < steps[1].json()["step_time_s"]


def test_l40s_and_nvl_cards_scale_up_over_bridges_or_pcie(catalog):
    l40s, h100, h200 = (resolve(catalog, s) for s in ("l40s-server", "h100-nvl-server",
                                                      "h200-nvl-server"))
    assert [t.devices for t in l40s.scale_up] == [8] and l40s.scale_up[0].network.id == "pcie4-x16"
    assert [t.devices for t in h100.scale_up] == [2, 8]
    assert [t.devices for t in h200.scale_up] == [4, 8]


def test_groq_memory_is_its_sram(catalog, cli):
    chip = resolve(catalog, "groq-rack").chip
    assert [t.name for t in memory_tiers(chip)] == ["sram"]
    assert device_memory_bytes(chip) == pytest.approx(230.7e6, rel=0.01)
    run = cli("infer", "--model", "llama-3-8b", "--system", "groq-node", "--precision", "int8")
    # 8 GB of weights need 40 x 230 MB on average, but no split of 32 layers over 40 or 48 or 56
    # chips leaves every chip under its SRAM: the error names the fewest whole nodes that hold it
    assert run.code == 2 and "--count 64" in run.err
    served = cli("infer", "--model", "llama-3-8b", "--system", "groq-node", "--precision", "int8",
                 "--count", "64")
    assert served.code == 0 and "groq-node x64" in served.out
    # in bf16 the embedding over at most 8 tensor ranks alone outgrows a chip: no count helps
    none = cli("infer", "--model", "llama-3-8b", "--system", "groq-node")
    assert none.code == 2 and "fits no split" in none.err and "--count" not in none.err


def test_sn40l_spills_to_ddr_at_ddr_bandwidth(catalog):
    chip = resolve(catalog, "sn40l").chip
    tiers = memory_tiers(chip)
    assert [t.name for t in tiers] == ["hbm", "ddr"]
    assert device_memory_bytes(chip) == pytest.approx(64e9 + 1.5e12)
    assert spill_read_s(chip, 50e9, 0.9) == 0.0
    spilled = 100e9 - 0.9 * 64e9
    expected = spilled * (1 / tiers[1].bandwidth_Bps - 1 / tiers[0].bandwidth_Bps)
    assert spill_read_s(chip, 100e9, 0.9) == pytest.approx(expected)


def test_sn40l_decode_pays_for_the_spill(cli):
    one = _infer(cli, "sn40l", "--count", "1")
    eight = _infer(cli, "sn40l-node")
    assert one["tpot_s"] > 10 * eight["tpot_s"]  # 141 GB of weights: 77 GB read from DDR per token
