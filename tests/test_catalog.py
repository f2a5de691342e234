"""The built-in catalog: every seed id present, every number sourced, compositions consistent."""

import pytest

from wafersim.catalog import Chip, Cluster, MemoryService, Network, Node, Tag
from wafersim.catalog.catalog import quantities
from wafersim.catalog.system import resolve

SEED_IDS = {
    # Cerebras
    "wse-2", "cs-2", "wse-3", "cs-3", "memoryx-1.5tb", "memoryx-12tb", "memoryx-24tb",
    "memoryx-36tb", "memoryx-120tb", "memoryx-1200tb", "swarmx-cs2", "swarmx-cs3", "andromeda",
    "condor-galaxy-1", "condor-galaxy-2", "condor-galaxy-3",
    # NVIDIA
    "a100-sxm-40gb", "a100-sxm-80gb", "h100-sxm", "h100-pcie", "h800", "h200-sxm", "gh200",
    "b200", "gb200", "dgx-h100", "dgx-b200", "gb200-nvl72", "ib-ndr-fattree",
    # AWS
    "trainium2", "trn2-instance", "trn2-ultraserver", "trainium3", "trn3-ultraserver",
    # Huawei
    "ascend-910b", "atlas-800t-a2", "atlas-900-supercluster",
    # validation systems
    "mi300x", "tpu-v4", "tpu-v5p", "tpu-v6e", "gaudi2", "sn40l", "groq-lpu",
}
# Every system id the validation schema names (../shared/validation/README.md).
VALIDATION_IDS = {
    "a100-sxm-40gb", "a100-sxm-80gb", "h100-sxm", "h100-pcie", "h800", "h200-sxm", "gh200",
    "b200", "gb200", "mi300x", "tpu-v4", "tpu-v5p", "tpu-v6e", "gaudi2", "trainium1",
    "trainium2", "trainium3", "ascend-910b", "ascend-910b4", "ascend-910c", "cs-2", "cs-3",
    "sn40l", "groq-lpu",
}


def test_seed_ids_present(catalog):
    missing = sorted((SEED_IDS | VALIDATION_IDS) - set(catalog.parts))
    assert not missing, f"missing catalog ids: {missing}"


def test_every_number_has_a_source_and_tag(catalog):
    count = 0
    for part in catalog.parts.values():
        for path, q in quantities(part):
            count += 1
            assert isinstance(q.tag, Tag), (part.id, path)
            if q.value is None:
                assert q.reason, f"{part.id}.{path}: unknown without a reason"
            else:
                src = catalog.source(part, q.source)
                assert src is not None and src.citation, f"{part.id}.{path}: no citation"
    assert count > 500


def test_every_part_has_numbers(catalog):
    for part in catalog.parts.values():
        assert list(quantities(part)), f"{part.id} has no quantities"


def test_accelerators_have_core_figures(catalog):
    for chip in catalog.of_kind(Chip):
        assert chip.peak_dense_flops_per_s, f"{chip.id}: no dense peak"
        mem = [q for q in (chip.hbm_bytes, chip.sram_bytes) if q is not None and q.known]
        assert mem, f"{chip.id}: no memory capacity"


def test_dense_never_exceeds_sparse(catalog):
    for chip in catalog.of_kind(Chip):
        for prec, sparse in chip.peak_sparse_flops_per_s.items():
            dense = chip.peak_dense_flops_per_s.get(prec)
            if dense is not None and dense.known and sparse.known:
                assert dense.value <= sparse.value, (chip.id, prec)


@pytest.mark.parametrize("chip_id, pes_min", [("wse-2", 745_000), ("wse-3", 885_000)])
def test_wafer_mesh(catalog, chip_id, pes_min):
    chip = catalog.typed(chip_id, Chip)
    w = chip.wafer
    assert w is not None
    pes = w.fabric_cols_count.value * w.fabric_rows_count.value
    assert pes >= pes_min
    assert w.sram_per_pe_bytes.value == 48 * 1024
    assert w.clock_hz.lo == pytest.approx(0.85e9) and w.clock_hz.hi == pytest.approx(1.1e9)
    # dense FP16 peak = marketed PEs x SIMD FMAC x 2 FLOP x clock (derived, within its range)
    simd = w.simd_fmac_per_cycle["fp16"].value
    derived = w.pes_marketing_count.value * simd * 2 * w.clock_hz.value
    peak = chip.peak_dense_flops_per_s["fp16"]
    assert derived == pytest.approx(peak.value, rel=0.02)
    # the vendor "AI" figure is the sparse one, several times the dense figure
    assert chip.peak_sparse_flops_per_s["fp16"].value > 4 * peak.value


def test_wse3_doubles_simd(catalog):
    w2, w3 = catalog.typed("wse-2", Chip).wafer, catalog.typed("wse-3", Chip).wafer
    assert w3.simd_fmac_per_cycle["fp16"].value == 2 * w2.simd_fmac_per_cycle["fp16"].value


def test_cluster_limits(catalog):
    assert catalog.typed("cs-2", Node).max_cluster_nodes_count.value == 192
    assert catalog.typed("cs-3", Node).max_cluster_nodes_count.value == 2048


@pytest.mark.parametrize("ms_id, tb", [("memoryx-1.5tb", 1.5), ("memoryx-12tb", 12),
                                       ("memoryx-24tb", 24), ("memoryx-36tb", 36),
                                       ("memoryx-120tb", 120), ("memoryx-1200tb", 1200)])
def test_memoryx_sizes(catalog, ms_id, tb):
    assert catalog.typed(ms_id, MemoryService).capacity_bytes.value == pytest.approx(tb * 1e12)


def test_swarmx_is_a_reduce_tree(catalog):
    for net_id in ("swarmx-cs2", "swarmx-cs3"):
        net = catalog.typed(net_id, Network)
        assert net.scope == "broadcast_reduce" and net.in_network_reduction


@pytest.mark.parametrize("system_id, chips", [
    ("dgx-h100", 8), ("dgx-b200", 8), ("gb200-nvl72", 72), ("trn2-instance", 16),
    ("trn2-ultraserver", 64), ("atlas-800t-a2", 8), ("atlas-900-supercluster", 18_000),
    ("andromeda", 16), ("condor-galaxy-1", 64), ("condor-galaxy-3", 64), ("cs-3", 1),
    ("h100-sxm", 1),
])
def test_composition(catalog, system_id, chips):
    assert resolve(catalog, system_id).devices == chips


def test_trn2_ultraserver_fp8(catalog):
    # claim C28: 64 Trainium2 give 83.2 PFLOPS dense FP8
    system = resolve(catalog, "trn2-ultraserver")
    assert system.peak_flops_per_s("fp8") == pytest.approx(83.2e15, rel=0.01)


def test_andromeda_dense_fp16(catalog):
    # 16 CS-2 at ~7.5 PF dense FP16 each = Andromeda's 120 PF
    assert resolve(catalog, "andromeda").peak_flops_per_s("fp16") == pytest.approx(120e15, rel=0.02)


def test_references_resolve(catalog):
    for kind in (Node, Cluster):
        for part in catalog.of_kind(kind):
            system = resolve(catalog, part.id)
            assert system.devices >= 1
            for tier in system.scale_up:
                assert tier.devices >= 1


def test_with_chips_respects_cluster_limit(catalog):
    from wafersim.errors import ConfigError

    cs3 = resolve(catalog, "cs-3")
    assert cs3.with_devices(2048).devices == 2048
    with pytest.raises(ConfigError, match="2048"):
        cs3.with_devices(2049)
