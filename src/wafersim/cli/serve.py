"""``wafersim serve``: play a serving benchmark run request by request (event-driven)."""

from __future__ import annotations

import typer
from rich.table import Table

from wafersim.api import simulate_serving
from wafersim.cli import options as opt
from wafersim.cli.common import catalog, console, print_json, print_plan, print_summary
from wafersim.serve.result import ServeResult
from wafersim.serve.simulate import DEFAULT_PREFILL_TOKENS
from wafersim.units import fmt_time, fmt_usd


def serve(
    model: str = opt.MODEL,
    system: str = opt.SYSTEM,
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
    count: int = opt.COUNT,
    pipeline_wafers: int = opt.PIPELINE_WAFERS,
    precision: str = opt.PRECISION,
    kv_precision: str = opt.KV_PRECISION,
    tp: int = opt.TP,
    pp: int = opt.PP,
    ep: int = opt.EP,
    attention_dp: int = opt.ATTENTION_DP,
    draft: str = opt.DRAFT,
    acceptance: float = opt.ACCEPTANCE,
    lookahead: int = opt.LOOKAHEAD,
    disaggregate: str = opt.DISAGGREGATE,
    stack: str = opt.STACK,
    prefill_tokens: int = typer.Option(DEFAULT_PREFILL_TOKENS, "--prefill-tokens", help="Prompt "
                                       "tokens one scheduler prefills per iteration "
                                       "(--max-prefill-tokens)."),
    as_json: bool = opt.JSON,
) -> None:
    """Simulate a benchmark run of MODEL on SYSTEM: duration, tokens/s, TTFT, TPOT, latency."""
    r = simulate_serving(model, system, requests, concurrency, rate, input_tokens, output_tokens,
                         range_ratio, seed, precision, kv_precision, count, tp, pp, ep,
                         attention_dp, draft, acceptance, lookahead, disaggregate, prefill_tokens,
                         catalog(), stack, pipeline_wafers)
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
    print_plan(r.to_json()["plan"], r.assumptions)
