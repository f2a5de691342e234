"""``wafersim serve``: play a serving benchmark run request by request (event-driven)."""

from __future__ import annotations

import typer
from rich.table import Table

from wafersim.api import simulate_serving
from wafersim.cli.common import catalog, console, print_json, print_summary
from wafersim.cost.infer_common import DEFAULT_ACCEPTANCE
from wafersim.serve.result import ServeResult
from wafersim.serve.simulate import DEFAULT_PREFILL_TOKENS
from wafersim.units import fmt_time, fmt_usd


def serve(
    model: str = typer.Option(..., "--model", help="Model id or config.json path."),
    system: str = typer.Option(..., "--system", help="System id (chip, node or cluster)."),
    requests: int = typer.Option(1000, "--requests", help="Prompts the run sends (--num-prompts)."),
    concurrency: int = typer.Option(None, "--concurrency", help="Most requests in flight "
                                    "(--max-concurrency); default: no cap."),
    rate: float = typer.Option(None, "--rate", help="Poisson arrivals, requests/s; "
                               "default: all sent at once."),
    input_tokens: int = typer.Option(1024, "--input-tokens", help="Prompt tokens (the most, with "
                                     "--range-ratio)."),
    output_tokens: int = typer.Option(1024, "--output-tokens", help="Generated tokens (the most)."),
    range_ratio: float = typer.Option(1.0, "--range-ratio", help="Lengths uniform in "
                                      "[ratio x L, L]; 1: every request exactly L."),
    seed: int = typer.Option(0, "--seed", help="Seed of lengths and arrival times."),
    count: int = typer.Option(None, "--count", min=1, help="Devices (wafers for CS systems)."),
    precision: str = typer.Option("bf16", "--precision", help="Weights: bf16, fp8, int8, int4, fp4."),
    kv_precision: str = typer.Option("bf16", "--kv-precision", help="KV cache: bf16, fp8, ..."),
    tp: int = typer.Option(None, "--tp", help="Tensor-parallel degree (HBM systems)."),
    pp: int = typer.Option(None, "--pp", help="Pipeline-parallel degree (HBM systems)."),
    ep: int = typer.Option(None, "--ep", help="Expert-parallel degree (MoE, HBM systems)."),
    attention_dp: int = typer.Option(None, "--attention-dp", help="Data-parallel attention "
                                     "replicas per tensor group (MoE, HBM systems; 1: off)."),
    draft: str = typer.Option(None, "--draft", help="Draft model (wafers), or mtp (HBM systems)."),
    acceptance: float = typer.Option(DEFAULT_ACCEPTANCE, "--acceptance", help="Draft token acceptance rate."),
    lookahead: int = typer.Option(4, "--lookahead", help="Drafted tokens per verify step."),
    disaggregate: str = typer.Option(None, "--disaggregate", help="Prefill and decode on separate "
                                     "pools: PREFILL:DECODE devices, e.g. 16:16 (HBM systems)."),
    prefill_tokens: int = typer.Option(DEFAULT_PREFILL_TOKENS, "--prefill-tokens", help="Prompt "
                                       "tokens one scheduler prefills per iteration "
                                       "(--max-prefill-tokens)."),
    as_json: bool = typer.Option(False, "--json", help="Machine output in SI units."),
) -> None:
    """Simulate a benchmark run of MODEL on SYSTEM: duration, tokens/s, TTFT, TPOT, latency."""
    r = simulate_serving(model, system, requests, concurrency, rate, input_tokens, output_tokens,
                         range_ratio, seed, precision, kv_precision, count, tp, pp, ep,
                         attention_dp, draft, acceptance, lookahead, disaggregate, prefill_tokens,
                         catalog())
    if as_json:
        print_json(r.to_json())
        return
    _print(r)


def _print(r: ServeResult) -> None:
    out = console()
    print_summary(f"{r.model} on {r.system} x{r.devices}: {r.requests} requests", {
        "duration": fmt_time(r.duration_s),
        "output tokens/s": f"{r.throughput_tokens_per_s:,.0f}",
        "requests/s": f"{r.request_throughput_per_s:,.2f}",
        "mean requests in flight": f"{r.mean_concurrency:,.1f}",
        "energy per token": f"{r.energy_per_token_J:.3g} J",
        "$ per million tokens": fmt_usd(r.usd_per_million_tokens),
        "steady state (layer 1)": f"{r.steady_state['throughput_tokens_per_s']:,.0f} tok/s at "
                                  f"{r.steady_state['batch']:.0f} in flight",
    })
    t = Table(title="per request", title_justify="left")
    for head in ("", "mean", "p50", "p99"):
        t.add_column(head)
    for name, stats in (("time to first token", r.ttft_s), ("time per output token", r.tpot_s),
                        ("latency", r.latency_s)):
        t.add_row(name, *(fmt_time(stats[k]) for k in ("mean", "p50", "p99")))
    out.print(t)
    for pool, parts in r.pools.items():
        shares = ", ".join(f"{k} {v / r.duration_s:.1%}" for k, v in parts.items() if v)
        out.print(f"{pool}: {shares}")
    flat = {k: v for k, v in r.plan.items() if not isinstance(v, dict)}
    out.print("plan: " + ", ".join(f"{k}={v}" for k, v in flat.items()))
    for pool, sub in r.plan.items():
        if isinstance(sub, dict):
            out.print(f"  {pool}: " + ", ".join(f"{k}={v}" for k, v in sub.items()))
    out.print("assumptions:")
    for note in r.assumptions:
        out.print(f"  - {note}")
