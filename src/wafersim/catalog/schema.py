"""Frozen, validated objects of the hardware catalog.

Five part kinds compose every system: a `Chip` (one accelerator as software addresses it: a GPU,
a Trainium2, a wafer), a `Node` (a scale-up domain you buy: DGX H100, CS-3, Trn2 UltraServer,
GB200 NVL72), a `Cluster` (nodes on a scale-out fabric), a `MemoryService` (MemoryX) and a
`Network` (NVLink, InfiniBand fat-tree, NeuronLink, SwarmX...).

Every number is a `Quantity` in SI units with its source and a confidence tag. A field's name ends
in the SI suffix of its dimension (`hbm_bandwidth_Bps`, `tdp_W`, `chips_count`); see `units.py`.
A sixth kind, `Stack`, is the serving software a system runs (vLLM 0.6.1 on ROCm, a Cerebras
Inference release): its parameters are relative to the chip's calibrated serving efficiency. A
seventh, `Architecture`, is a family of chips (the WSE generations) sharing its fitted efficiencies.
`Framework` is a training framework (Megatron-DeepSpeed, Megatron Bridge): its speed is relative to
the chip's calibrated framework efficiency, which stands for the chip's default framework.
Unknown values are explicit (`value: None` with a reason); uncertain ones carry a `lo..hi` range.
The building blocks are in `quantity.py`, the software parts in `software.py`, the site and
reliability parts in `economy.py`; this module gathers every kind.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from wafersim.catalog.economy import Reliability, Site
from wafersim.catalog.quantity import (
    LARGEST,
    LARGEST_COUNT,
    ZERO_ALLOWED,
    Frozen,
    Part,
    PerPrecision,
    Q,
    Quantity,
    Source,
    Tag,
    physical_problem,
)
from wafersim.catalog.software import Framework, Stack

__all__ = ["LARGEST", "LARGEST_COUNT", "ZERO_ALLOWED", "AnyPart", "Architecture", "Chip",
           "Cluster", "Framework", "Frozen", "KINDS", "MemoryService", "Network", "Node", "Part",
           "PerPrecision", "Q", "Quantity", "Reliability", "Site", "Source", "Stack", "Tag",
           "Tier", "WaferKernels", "WaferSpec", "physical_problem"]


class WaferSpec(Frozen):
    """The processing-element mesh of a wafer-scale engine."""

    architecture: str | None = None  # the `Architecture` part whose shared efficiencies it uses
    fabric_cols_count: Q = None  # PE columns the SDK exposes (x)
    fabric_rows_count: Q = None  # PE rows (y)
    usable_cols_count: Q = None  # largest program rectangle
    usable_rows_count: Q = None
    pes_marketing_count: Q = None  # "AI cores" in press material
    sram_per_pe_bytes: Q = None
    sram_banks_count: Q = None
    sram_read_bytes_per_cycle: Q = None
    sram_write_bytes_per_cycle: Q = None
    simd_fmac_per_cycle: dict[str, Quantity] = Field(default_factory=dict)  # fp16, fp16_fp32, fp32
    clock_hz: Q = None
    link_payload_bits: Q = None
    link_wavelets_per_cycle: Q = None  # per link direction
    hop_latency_cycles: Q = None
    colors_count: Q = None  # routable virtual channels
    fabric_bandwidth_Bps: Q = None  # aggregate, as marketed
    pe_power_W: Q = None
    sram_usable_fraction: Q = None  # share of SRAM a compiled program can use for data
    serving_efficiency_fraction: Q = None  # achieved share of the analytical SRAM-resident decode rate


class Chip(Part):
    """One accelerator: the unit a framework sees as a device."""

    kind: Literal["chip"] = "chip"
    device_class: Literal["gpu", "npu", "tpu", "trainium", "wafer", "rdu", "lpu", "hpu", "cpu"]
    peak_dense_flops_per_s: PerPrecision = Field(default_factory=dict)
    peak_sparse_flops_per_s: PerPrecision = Field(default_factory=dict)
    hbm_bytes: Q = None
    hbm_bandwidth_Bps: Q = None
    sram_bytes: Q = None
    sram_bandwidth_Bps: Q = None
    ddr_bytes: Q = None  # off-package DRAM an RDU/LPU addresses directly
    ddr_bandwidth_Bps: Q = None
    # the DDR holds weights and state as device memory (SN40L); False: a host CPU's memory the
    # chip can reach (Grace behind NVLink-C2C) that serving and training leave alone by default
    ddr_is_device_memory: bool = False
    scale_up_bandwidth_Bps: Q = None  # per device, per direction
    scale_out_bandwidth_Bps: Q = None  # per device, per direction (NIC share)
    io_bandwidth_Bps: Q = None  # off-chip I/O of a wafer
    cores_count: Q = None
    clock_hz: Q = None
    matmul_efficiency_fraction: PerPrecision = Field(default_factory=dict)  # best achieved / dense peak
    hbm_efficiency_fraction: Q = None  # achieved share of HBM bandwidth on streaming kernels
    kernel_overhead_s: Q = None  # fixed cost per kernel (launch, tail)
    framework_efficiency_fraction: Q = None  # end-to-end training / kernel-level estimate (calibrated)
    serving_efficiency_fraction: Q = None  # end-to-end serving / kernel-level estimate (calibrated)
    tdp_W: Q = None
    price_usd: Q = None
    cloud_price_usd_per_hour: Q = None
    transistors_count: Q = None
    die_area_mm2: Q = None
    process: str | None = None
    launch: str | None = None
    default_node: str | None = None  # node id this chip usually ships in
    wafer: WaferSpec | None = None
    reliability: str = "gpu-fleet"  # the `Reliability` part giving its failure rates


class Tier(Frozen):
    """One level of a node's scale-up interconnect: a network joining groups of devices."""

    network: str
    devices_count: Quantity  # devices in one group at this tier


class Node(Part):
    """A scale-up domain sold as one box or rack (DGX H100, CS-3, Trn2 UltraServer, NVL72)."""

    kind: Literal["node"] = "node"
    chip: str
    chips_count: Quantity
    scale_up: list[Tier] = Field(default_factory=list)
    scale_out: str | None = None
    memory_service: str | None = None
    broadcast_reduce: str | None = None
    io_bandwidth_Bps: Q = None  # external I/O of the whole node, per direction
    power_W: Q = None  # whole node, max
    host_power_W: Q = None  # node power not drawn by the accelerators
    price_usd: Q = None
    cloud_price_usd_per_hour: Q = None
    host_memory_bytes: Q = None
    # off-wafer memory per system for activation checkpoints (wafer clusters' activation servers);
    # present with a null value: the servers exist but their memory is unpublished
    activation_memory_bytes: Q = None
    # weight units a wafer system holds at once in weight streaming: the one computing and those
    # prefetched; the next unit may be requested only once one of them is freed
    weight_buffers_count: Q = None
    cpu_cores_count: Q = None
    rack_units_count: Q = None
    max_cluster_nodes_count: Q = None  # largest cluster the vendor supports


class Cluster(Part):
    """Many nodes joined by a scale-out fabric (and, for wafers, MemoryX and SwarmX)."""

    kind: Literal["cluster"] = "cluster"
    node: str
    nodes_count: Quantity
    scale_out: str | None = None
    memory_service: str | None = None
    broadcast_reduce: str | None = None
    power_W: Q = None
    price_usd: Q = None
    pue_ratio: Q = None
    vendor_ai_flops_per_s: Q = None  # headline "AI" FLOP/s as marketed (often sparse)
    parameter_memory_bytes: Q = None
    internal_bandwidth_Bps: Q = None
    deployed: bool = True  # False for a capacity or reference design, not a built system


class MemoryService(Part):
    """External parameter storage that streams weights and runs the optimizer (MemoryX)."""

    kind: Literal["memory_service"] = "memory_service"
    capacity_bytes: Quantity
    bandwidth_Bps: Q = None  # to each attached system, per direction
    max_params_count: Q = None  # as claimed by the vendor
    optimizer_flops_per_s: Q = None  # compute available for the weight update
    power_W: Q = None
    price_usd: Q = None
    nodes_count: Q = None
    media: str | None = None
    for_nodes: list[str] = Field(default_factory=list)


class Network(Part):
    """A network: a scale-up domain, a scale-out fabric, or a broadcast/reduce tree."""

    kind: Literal["network"] = "network"
    scope: Literal["scale_up", "scale_out", "broadcast_reduce", "io"]
    topology: Literal["switch", "fat_tree", "clos", "torus_2d", "torus_3d", "ring", "full_mesh",
                      "tree", "point_to_point", "dragonfly"]
    bandwidth_per_device_Bps: Q = None  # per attached device, per direction
    link_bandwidth_Bps: Q = None
    latency_s: Q = None
    switch_radix_count: Q = None
    tiers_count: Q = None
    max_devices_count: Q = None
    oversubscription_ratio: Q = None
    fan_out_count: Q = None  # children per tree node
    efficiency_fraction: Q = None  # achievable share of line rate
    in_network_reduction: bool = False
    sliceable: bool = False  # jobs take slices of the domain; larger jobs run as equal slices
    technology: str | None = None


class WaferKernels(Frozen):
    """Coefficients of the analytical wafer kernels (cost/kernels/wafer_*.py) that the hardware
    numbers leave free, shared by every generation: fitted to the PE mesh simulator
    (validate/kernels.py, `wafersim mesh calibrate`) or, where the simulator itself assumes them, copied."""

    summa_step_cycles: Q = None  # fixed cycles per SUMMA step beyond its compute or panel stream
    transcendental_passes_count: Q = None  # vector passes per software exp / rsqrt (assumed)


class Architecture(Part):
    """One micro-architecture shared by a family of chips (Cerebras WSE-1, WSE-2, WSE-3).

    The generations differ only in their hardware numbers (PEs, SIMD widths, clock, SRAM and its
    ports, fabric, I/O); whatever the kernel models built from those numbers do not explain is
    one efficiency per execution mode, shared by every generation and fitted jointly on all of
    their published runs (`validate/calibrate_wafer.py`, leave-one-out errors per row).
    """

    kind: Literal["architecture"] = "architecture"
    chips: list[str] = Field(default_factory=list)  # chip ids of the family
    matmul_efficiency_fraction: Q = None  # weight-streaming training: achieved / kernel-level rate
    serving_efficiency_fraction: Q = None  # SRAM-resident decode: achieved / analytical mesh time
    kernels: WaferKernels | None = None  # free coefficients of the analytical kernels


AnyPart = (Chip | Node | Cluster | MemoryService | Network | Stack | Framework | Architecture | Site
           | Reliability)
KINDS: dict[str, type[AnyPart]] = {
    "chip": Chip, "node": Node, "cluster": Cluster, "memory_service": MemoryService,
    "network": Network, "stack": Stack, "framework": Framework, "architecture": Architecture,
    "site": Site,
    "reliability": Reliability,
}
