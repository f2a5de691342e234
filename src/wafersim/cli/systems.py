"""``wafersim systems [ID]``: the hardware catalog as tables (human units) or JSON (SI)."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from wafersim.catalog.schema import KINDS
from wafersim.cli.common import catalog, console, print_json
from wafersim.errors import ConfigError
from wafersim.report.catalog import part_detail, system_summary
from wafersim.units import UNITS, fmt, fmt_bandwidth, fmt_bytes, fmt_count, fmt_flops, fmt_power, fmt_time

TITLES = {"chip": "Accelerators", "node": "Nodes, systems and racks", "cluster": "Clusters",
          "memory_service": "Memory services", "network": "Networks", "stack": "Serving stacks",
          "framework": "Training frameworks (speed over the chip's default framework)",
          "architecture": "Chip architectures (efficiencies shared by their generations)",
          "site": "Sites (facility, power and price defaults of the cost basis tco)",
          "reliability": "Failure rates (mean time between interruptions per component)"}


def systems(
    system_id: str = typer.Argument(None, metavar="[ID]", help="Show everything about one id."),
    kind: str = typer.Option(None, "--kind", help="Only chip, node, cluster, memory_service, "
                             "network, stack, framework, architecture, site or "
                             "reliability."),
    as_json: bool = typer.Option(False, "--json", help="Machine output in SI units."),
) -> None:
    """List every system in the catalog, or one in full with its sources."""
    cat = catalog()
    if system_id:
        detail = part_detail(cat, cat.get(system_id))
        print_json(detail) if as_json else _print_detail(detail)
        return
    if kind is not None and kind not in KINDS:
        raise ConfigError(f"--kind {kind!r} is not one of {', '.join(KINDS)}")
    parts = [p for p in cat.parts.values() if kind in (None, p.kind)]
    rows = [system_summary(cat, p) for p in parts]
    if as_json:
        print_json(rows)
        return
    for k in KINDS:
        subset = [r for r in rows if r["kind"] == k]
        if subset:
            console().print(_table(k, subset))


def _flops_cell(table: dict[str, float], *precisions: str) -> str:
    for p in precisions:
        if p in table:
            return f"{fmt_flops(table[p])} {p}"
    return "-"


PREFERRED = ("fp4", "fp8", "int8", "bf16", "fp16", "tf32", "fp32", "fp6", "int4", "fp64")


def _sparse_cell(table: dict[str, float]) -> str:
    """The largest sparse figure; on ties the most commonly quoted precision."""
    if not table:
        return "-"
    rank = {p: i for i, p in enumerate(PREFERRED)}
    best = max(table, key=lambda p: (table[p], -rank.get(p, len(rank))))
    return f"{fmt_flops(table[best])} {best}"


def _table(kind: str, rows: list[dict[str, Any]]) -> Table:
    table = Table(title=TITLES[kind], title_justify="left", show_lines=False)
    if kind in ("chip", "node", "cluster"):
        heads = ["id", "name", "chips", "dense 16-bit", "dense 8-bit", "dense 4-bit",
                 "sparse peak", "memory", "mem BW", "scale-up/chip", "interconnect", "power"]
        for h in heads:
            table.add_column(h, overflow="fold")
        for r in rows:
            d = r["peak_dense_flops_per_s"]
            table.add_row(
                r["id"], r["name"], str(r["chips"]), _flops_cell(d, "bf16", "fp16"),
                _flops_cell(d, "fp8", "int8"), _flops_cell(d, "fp4", "int4"),
                _sparse_cell(r["peak_sparse_flops_per_s"]), fmt_bytes(r["memory_bytes"]),
                fmt_bandwidth(r["memory_bandwidth_Bps"]),
                fmt_bandwidth(r["scale_up_bandwidth_Bps_per_chip"]),
                ", ".join(r["interconnect"]) or "-", fmt_power(r["power_W"]))
    elif kind == "memory_service":
        for h in ("id", "name", "capacity", "bandwidth", "max params", "power"):
            table.add_column(h)
        for r in rows:
            table.add_row(r["id"], r["name"], fmt_bytes(r["capacity_bytes"]),
                          fmt_bandwidth(r["bandwidth_Bps"]), fmt_count(r["max_params_count"]),
                          fmt_power(r["power_W"]))
    elif kind == "stack":
        for h in ("id", "name", "release", "chips", "per request per step", "speed-up"):
            table.add_column(h)
        for r in rows:
            speedup = "-" if r["speedup_ratio"] is None else f"{r['speedup_ratio']:.3g}x"
            table.add_row(r["id"], r["name"], r["release"] or "-", ", ".join(r["chips"]) or "any",
                          fmt_time(r["per_request_step_s"]), speedup)
    elif kind == "framework":
        for h in ("id", "name", "releases", "chips", "default for", "speed"):
            table.add_column(h)
        for r in rows:
            speed = "-" if r["speed_ratio"] is None else f"{r['speed_ratio']:.3g}x"
            table.add_row(r["id"], r["name"], ", ".join(r["releases"]) or "any",
                          ", ".join(r["chips"]) or "any", ", ".join(r["default_for"]) or "-", speed)
    elif kind == "architecture":
        for h in ("id", "name", "chips", "matmul efficiency", "serving efficiency"):
            table.add_column(h)
        for r in rows:
            table.add_row(r["id"], r["name"], ", ".join(r["chips"]),
                          *(_fraction(r[k]) for k in ("matmul_efficiency_fraction",
                                                       "serving_efficiency_fraction")))
    elif kind == "site":
        for h in ("id", "name", "PUE", "electricity", "facility", "life"):
            table.add_column(h)
        for r in rows:
            table.add_row(r["id"], r["name"], _fraction(r["pue_ratio"]),
                          f"${r['electricity_usd_per_J'] / UNITS['usd_per_kWh'].factor:.3g}/kWh",
                          f"${r['facility_usd_per_J'] / UNITS['usd_per_kW_month'].factor:,.0f}/kW/month",
                          fmt_time(r["depreciation_life_s"]))
    elif kind == "reliability":
        for h in ("id", "name", "device", "software", "node", "link"):
            table.add_column(h)
        for r in rows:
            table.add_row(r["id"], r["name"], *(fmt_time(r.get(f"{k}_mtbf_s")) for k in
                                                 ("device", "software", "node", "link")))
    else:
        for h in ("id", "name", "scope", "topology", "BW/device", "latency", "max devices"):
            table.add_column(h)
        for r in rows:
            table.add_row(r["id"], r["name"], r["scope"], r["topology"],
                          fmt_bandwidth(r["bandwidth_per_device_Bps"]), fmt_time(r["latency_s"]),
                          fmt_count(r["max_devices_count"]))
    return table


def _fraction(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"


def _value_cell(f: dict[str, Any]) -> str:
    if f["value"] is None:
        return f"unknown ({f.get('reason', '')})"
    text = fmt(f["value"], f["unit"])
    if "range" in f:
        lo, hi = f["range"]
        text += f"  [{fmt(lo, f['unit'])} .. {fmt(hi, f['unit'])}]"
    return text + ("  (projected)" if f.get("projected") else "")


def _print_detail(detail: dict[str, Any], depth: int = 0) -> None:
    out = console()
    header = f"{detail['id']} ({detail['kind']}): {detail['name']}, {detail['vendor']}"
    out.print(("  " * depth) + header, style="bold")
    for key in ("description", "notes", "process", "launch", "release", "chips", "origin"):
        if detail.get(key):
            value = ", ".join(detail[key]) if isinstance(detail[key], list) else detail[key]
            out.print(("  " * depth) + f"  {key}: {value}")
    table = Table(show_lines=False)
    for h in ("field", "value", "tag", "source"):
        table.add_column(h, overflow="fold")
    for path, f in detail["fields"].items():
        cite = f.get("citation", f.get("source") or "")
        note = f"  note: {f['note']}" if f.get("note") else ""
        table.add_row(path, _value_cell(f), f["tag"], cite + note)
    out.print(table)
    for key, value in detail.items():
        if key.endswith("_detail"):
            for sub in value if isinstance(value, list) else [value]:
                _print_detail(sub, depth + 1)

