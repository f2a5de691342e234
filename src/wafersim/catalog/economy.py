"""Economic parts of the catalog: the `Site` a system runs at (facility, power, prices) and the
`Reliability` of a fleet (failure rates by component class)."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from wafersim.catalog.quantity import Part, Q, Quantity


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
