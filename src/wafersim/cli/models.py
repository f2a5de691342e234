"""``wafersim models [ID|PATH]``: the model catalog and each model's derived figures."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from wafersim.cli.common import console, print_json
from wafersim.models import load_model, model_ids
from wafersim.report.models import model_detail, model_summary
from wafersim.units import fmt_bytes, fmt_count


def models(
    model: str = typer.Argument(None, metavar="[ID|PATH]",
                                help="A catalog id or the path of any HF config.json."),
    seq_len: int = typer.Option(2048, "--seq-len", min=1, help="Sequence length for FLOPs."),
    as_json: bool = typer.Option(False, "--json", help="Machine output in SI units."),
) -> None:
    """List the model catalog, or one model with parameters, FLOPs and memory figures."""
    if model:
        detail = model_detail(load_model(model), seq_len)
        print_json(detail) if as_json else _print_detail(detail)
        return
    rows = [model_summary(load_model(m)) for m in model_ids()]
    if as_json:
        print_json(rows)
        return
    table = Table(title="Models", title_justify="left")
    for h in ("id", "name", "type", "layers", "d_model", "heads/kv", "experts", "params",
              "active", "KV/token bf16", "context"):
        table.add_column(h)
    for r in rows:
        experts = f"{r['n_experts']} top-{r['top_k']}" if r["n_experts"] else "-"
        table.add_row(r["id"], r["name"], r["model_type"], str(r["n_layers"]), str(r["d_model"]),
                      f"{r['n_heads']}/{r['n_kv_heads']}", experts, fmt_count(r["params_total"]),
                      fmt_count(r["params_active"]), fmt_bytes(r["kv_cache_bytes_per_token_bf16"]),
                      str(r["max_seq_len"]))
    console().print(table)


def _print_detail(d: dict[str, Any]) -> None:
    out = console()
    out.print(f"{d['id']}: {d['name']} ({d['model_type']})", style="bold")
    for key in ("source", "notes"):
        if d.get(key):
            out.print(f"  {key}: {d[key]}")
    table = Table(show_header=True)
    table.add_column("figure")
    table.add_column("value")
    for key, value in d["architecture"].items():
        if value not in (0, False) or key in ("n_experts",):
            table.add_row(key, str(value))
    for key, value in d["derived"].items():
        if isinstance(value, dict):
            value = ", ".join(f"{k}: {_human(key, v)}" for k, v in value.items())
        else:
            value = _human(key, value)
        table.add_row(key, str(value))
    out.print(table)


def _human(key: str, value: Any) -> str:
    if "bytes" in key:
        return fmt_bytes(value)
    if "flops" in key:
        return f"{fmt_count(value)} FLOP"
    if key.startswith("params"):
        return fmt_count(value)
    return str(value)

