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
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from wafersim.precision import Precision
from wafersim.units import DIMENSION_HELP


class Tag(StrEnum):
    """How far a number can be trusted."""

    primary = "primary"  # vendor datasheet/docs/SDK, paper by the builders
    secondary = "secondary"  # trade press, third-party compilation
    derived = "derived"  # arithmetic on tagged inputs
    unverified = "unverified"  # weak or conflicting sources


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(Frozen):
    """A citation a quantity points to by id."""

    citation: str
    url: str | None = None


# Physical ranges per dimension (units.py), checked on every value and range bound:
# fractions lie in (0, 1]; counts are whole numbers >= 1; times and cycle counts are additive
# costs (overheads, latencies) where 0 means none; every other dimension (sizes, bandwidths,
# rates, powers, prices, areas, widths, ratios) must be > 0. Unknowns are null, never 0.
# Values past LARGEST (counts past LARGEST_COUNT; the catalog's largest is 1.2e14 parameters)
# are typos: they overflow derived figures to infinity or make planning search for ever.
ZERO_ALLOWED = frozenset({"s", "cycles"})
LARGEST, LARGEST_COUNT = 1e30, 1e15


def physical_problem(value: float, dimension: str) -> str | None:
    """Why `value` (SI) cannot be a quantity of `dimension`, with the fix; None when it can.
    The text follows the value: ``f"value {value:g} {problem}"``."""
    unknown = "write null with a 'reason' if it is unknown"
    what = DIMENSION_HELP.get(dimension, dimension).split(",")[0]
    if not math.isfinite(value):
        return f"is not a finite number; write a plain number, or {unknown}"
    largest = LARGEST_COUNT if dimension == "count" else LARGEST
    if abs(value) > largest:
        return (f"is larger than wafersim accepts ({largest:g} in SI units); check the unit "
                "suffix of the key and the exponent")
    if dimension == "fraction" and not 0 < value <= 1:
        return (f"is outside (0, 1]; {what} is a fraction of its whole: write e.g. 0.8 (or 80 "
                f"with a _pct key), or {unknown}")
    if dimension == "count" and not (value >= 1 and value == int(value)):
        return f"is not a whole number >= 1; counts are whole: fix it, or {unknown}"
    if dimension in ZERO_ALLOWED:
        return f"is negative; {what} is >= 0 (0: none)" if value < 0 else None
    sign = "negative" if value < 0 else "zero"
    return f"is {sign}; {what} must be > 0: fix it, or {unknown}" if value <= 0 else None


class Quantity(Frozen):
    """One sourced number in SI units, or an explicit unknown."""

    value: float | None
    dimension: str
    tag: Tag
    source: str | None = None
    lo: float | None = None
    hi: float | None = None
    reason: str | None = None  # why the value is unknown (required when value is None)
    note: str | None = None
    projected: bool = False  # announced/roadmap figure, not shipped hardware

    @model_validator(mode="after")
    def _check(self) -> Quantity:
        if self.value is None and not self.reason:
            raise ValueError("an unknown value (null) needs a 'reason'")
        if self.value is not None and self.source is None:
            raise ValueError("a value needs a 'source'")
        for label, bound in (("value", self.value), ("range low", self.lo), ("range high", self.hi)):
            problem = None if bound is None else physical_problem(bound, self.dimension)
            if problem:
                raise ValueError(f"{label} {bound:g} {problem}")
        if (self.lo is None) != (self.hi is None):
            raise ValueError("'range' needs both low and high")
        if self.lo is not None and self.hi is not None:
            if self.lo > self.hi:
                raise ValueError(f"range low {self.lo:g} exceeds high {self.hi:g}")
            if self.value is not None and not self.lo <= self.value <= self.hi:
                raise ValueError(f"value {self.value:g} lies outside its range")
        return self

    @property
    def known(self) -> bool:
        return self.value is not None

    def or_none(self) -> float | None:
        return self.value


Q = Quantity | None
PerPrecision = dict[Precision, Quantity]


class Part(Frozen):
    """Fields every catalog file has."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.\-]*$")
    name: str
    vendor: str
    description: str | None = None
    notes: str | None = None
    sources: dict[str, Source] = Field(default_factory=dict)
    origin: str = ""  # file the part came from (set by the loader)


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


class Stack(Part):
    """A serving software release: engine, version and how it runs unlike the chip's default.

    The default stack of a chip (`default_for`) is the one its serving efficiency is fitted on;
    another stack says how it differs, each number fitted across every chip it runs on
    (`validate/calibrate_stacks.py`) and applied by `cost/infer/stack.py`: kernel speed by
    operator class (`gemm_speed_ratio`, `attention_mha/gqa/mla_speed_ratio`, over the default
    stack's), fixed costs per step, per layer and per request in the batch, graph capture (without
    it every kernel is launched from the host), speculative decoding (tokens drafted per step,
    their acceptance, a draft pass's cost), and `speedup_ratio`, a release's whole speed where
    its parts are unpublished. Null parameters are the default stack's. `server_path_s` is a fixed
    time from each request's send until the engine schedules it (HTTP, tokenisation,
    scheduling); only the serving simulator (`serve/`) plays it.
    """

    SPEED_RATIOS: ClassVar[tuple[str, ...]] = (
        "gemm_speed_ratio", "attention_mha_speed_ratio", "attention_gqa_speed_ratio",
        "attention_mla_speed_ratio")
    SPECULATION: ClassVar[tuple[str, ...]] = ("draft_tokens_count", "acceptance_fraction",
                                              "draft_cost_ratio")

    kind: Literal["stack"] = "stack"
    chips: list[str] = Field(default_factory=list)  # chip ids it runs on (empty: any)
    default_for: list[str] = Field(default_factory=list)  # chips whose serving efficiency it sets
    release: str | None = None  # version or date
    gemm_speed_ratio: Q = None
    attention_mha_speed_ratio: Q = None
    attention_gqa_speed_ratio: Q = None
    attention_mla_speed_ratio: Q = None
    step_s: Q = None
    per_layer_s: Q = None
    per_request_step_s: Q = None
    graph_capture: bool = True  # False: kernels launched one by one from the host
    kernel_launch_s: Q = None  # host launch cost per kernel (read only without graph capture)
    kernels_per_layer_count: Q = None  # kernels a decoder layer launches per step
    draft_tokens_count: Q = None  # speculative decoding: tokens drafted per step
    acceptance_fraction: Q = None  # each drafted token's acceptance rate
    draft_cost_ratio: Q = None  # one draft pass over one target decode step
    speedup_ratio: Q = None
    server_path_s: Q = None

    @model_validator(mode="after")
    def _launches(self) -> Stack:
        """A stack without graph capture says what its launches cost."""
        if not self.graph_capture and (self.seconds("kernel_launch_s") <= 0
                                       or self.seconds("kernels_per_layer_count") <= 0):
            raise ValueError("graph_capture is false but kernel_launch_s or "
                             "kernels_per_layer_count is missing; give both (sourced)")
        return self

    @model_validator(mode="after")
    def _speculation(self) -> Stack:
        """Speculative decoding is given whole or not at all."""
        given = [self.seconds(n) > 0 for n in self.SPECULATION]
        if any(given) and not all(given):
            raise ValueError(f"speculative decoding needs all of {', '.join(self.SPECULATION)}; "
                             "give each (acceptance below 1) or none")
        if self.seconds("acceptance_fraction") >= 1:
            raise ValueError("acceptance_fraction must be below 1 (every draft accepted never "
                             "ends a step)")
        return self

    @property
    def speculates(self) -> bool:
        return self.seconds("draft_tokens_count") > 0

    def seconds(self, name: str) -> float:
        """The value of quantity `name` (SI), 0 where it is null."""
        q = getattr(self, name)
        return 0.0 if q is None or q.value is None else float(q.value)

    def ratio(self, name: str) -> float:
        """The value of ratio `name`, 1 (the default stack's) where it is null."""
        q = getattr(self, name)
        return 1.0 if q is None or q.value is None else float(q.value)

    @property
    def launch_s_per_layer(self) -> float:
        """Host launch time per decoder layer and step: 0 with graph capture."""
        if self.graph_capture:
            return 0.0
        return self.seconds("kernel_launch_s") * self.seconds("kernels_per_layer_count")

    @property
    def server_path(self) -> float:
        return self.seconds("server_path_s")

    @property
    def per_request_s(self) -> float:
        return self.seconds("per_request_step_s")

    @property
    def speedup(self) -> float:
        return self.ratio("speedup_ratio")


class WaferKernels(Frozen):
    """Coefficients of the analytical wafer kernels (cost/kernels/wafer_*.py) that the hardware
    numbers leave free, shared by every generation: fitted to the PE mesh simulator
    (validate/kernels.py, `wafersim mesh calibrate`) or, where the simulator itself assumes them, copied."""

    summa_step_cycles: Q = None  # fixed cycles per SUMMA step beyond its compute or panel stream
    transcendental_passes_count: Q = None  # vector passes per software exp / rsqrt (assumed)


class Framework(Part):
    """A training framework: engine, the releases it covers and its speed over the chip default.

    A chip's `framework_efficiency_fraction` is fitted on runs of its default framework (the
    catalog framework whose `default_for` names the chip: Megatron-LM on NVIDIA GPUs, MaxText on
    TPUs); another framework's `speed_ratio` multiplies it, fitted across every chip the
    framework runs on (`validate/calibrate_frameworks.py`) and applied by `cost/train/step.py`.
    The id is the engine as the validation rows' `framework` column names it (`engine:release`);
    `releases` lists the releases the ratio was measured on (empty: every release). Null (or a
    release not listed) is the chip default's speed.
    """

    kind: Literal["framework"] = "framework"
    chips: list[str] = Field(default_factory=list)  # chip ids it runs on (empty: any)
    default_for: list[str] = Field(default_factory=list)  # chips whose framework efficiency it sets
    releases: list[str] = Field(default_factory=list)  # releases speed_ratio holds for (empty: all)
    speed_ratio: Q = None  # whole-step speed over the chip's default framework

    def covers(self, release: str) -> bool:
        """Whether `release` is one the framework's parameters hold for."""
        return not self.releases or release in self.releases

    @property
    def speed(self) -> float:
        """The speed over the chip default: 1 where it is null."""
        q = self.speed_ratio
        return 1.0 if q is None or q.value is None else float(q.value)


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


class Site(Part):
    """Where a system runs and what owning it costs: the facility, its power and prices, and the
    defaults for what the hardware catalog leaves unpriced (network ports, hosts, memory services).

    Every field is a ranged parameter, which claim sensitivity moves like an efficiency.
    """

    kind: Literal["site"] = "site"
    pue_ratio: Quantity  # facility power / IT power
    electricity_usd_per_J: Quantity
    facility_usd_per_J: Quantity  # facility rent per watt of provisioned IT load per second
    depreciation_life_s: Quantity  # service life purchased hardware is written off over
    idle_power_fraction: Quantity  # an accelerator's draw while it waits, share of its TDP
    busy_power_fraction: Quantity  # its average draw while it computes, share of its TDP
    host_power_ratio: Quantity  # host power per accelerator over its TDP (no host figure)
    host_price_usd: Quantity  # one host server without accelerators (no node price)
    switch_port_price_usd: Quantity  # one scale-out switch port with its share of the chassis
    switch_port_power_W: Quantity
    transceiver_price_usd: Quantity  # one optical module (two per switched link)
    transceiver_power_W: Quantity
    memory_service_price_usd_per_byte: Quantity  # capacity of an unpriced memory service
    memory_service_power_W_per_byte: Quantity
    storage_bandwidth_per_device_Bps: Quantity  # checkpoint write and read, per accelerator
    restart_s: Quantity  # rejoining a job after an interruption, the checkpoint read aside

    @model_validator(mode="after")
    def _usable(self) -> Site:
        """Every figure known (a site stands in for what the hardware catalog lacks), a PUE of
        at least 1, a service life of some time, and an idle draw no larger than the busy one."""
        for name, q in self:
            if isinstance(q, Quantity) and q.value is None:
                raise ValueError(f"{name} is unknown ({q.reason}); a site needs every figure: give "
                                 "a value with its range")
        pue = min(self.pue_ratio.value or 1.0, self.pue_ratio.lo or 1.0)
        if pue < 1:
            raise ValueError(f"pue_ratio {pue:g} is below 1; the facility draws the IT load and "
                             "more: give 1 or more")
        if 0 in (self.depreciation_life_s.value, self.depreciation_life_s.lo):
            raise ValueError("depreciation_life is 0; hardware is written off over some years: "
                             "give a life > 0")
        idle, busy = self.idle_power_fraction.value or 0.0, self.busy_power_fraction.value or 1.0
        if idle > busy:
            raise ValueError(f"idle_power_fraction {idle:g} exceeds busy_power_fraction {busy:g}; "
                             "an accelerator draws less waiting than computing")
        return self


class Reliability(Part):
    """Failure rates of one class of hardware, as mean time between interruptions per component.

    A job is interrupted by the first failure of any component it uses; rates add
    (`cost/kernels/failures.py`). Unknown classes are null with a reason.
    """

    kind: Literal["reliability"] = "reliability"
    device_mtbf_s: Q = None  # one accelerator (GPU, its HBM, SRAM, processor) or wafer system
    software_mtbf_s: Q = None  # per accelerator: software bugs, collective timeouts, dependencies
    node_mtbf_s: Q = None  # one host: maintenance, CPU, memory, SSD, power supply, chassis
    link_mtbf_s: Q = None  # one scale-out endpoint: NIC, cable, its share of the switches
    memory_service_mtbf_s: Q = None  # one memory-service node (MemoryX)
    broadcast_reduce_mtbf_s: Q = None  # one broadcast/reduce switch (SwarmX)

    @model_validator(mode="after")
    def _failing_sometime(self) -> Reliability:
        """A mean time between failures of 0 would interrupt a job at every instant."""
        for name, q in self:
            if isinstance(q, Quantity) and 0 in (q.value, q.lo):
                raise ValueError(f"{name.removesuffix('_s')} is 0; a mean time between failures "
                                 "is > 0: fix it, or write null with a 'reason' if it is unknown")
        return self


AnyPart = (Chip | Node | Cluster | MemoryService | Network | Stack | Framework | Architecture | Site
           | Reliability)
KINDS: dict[str, type[AnyPart]] = {
    "chip": Chip, "node": Node, "cluster": Cluster, "memory_service": MemoryService,
    "network": Network, "stack": Stack, "framework": Framework, "architecture": Architecture,
    "site": Site,
    "reliability": Reliability,
}
