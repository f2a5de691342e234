"""``wafersim infer``: latency, throughput, capacity, energy and cost of serving a model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer
from rich.table import Table

from wafersim.api import infer as run_infer
from wafersim.api import infer_models
from wafersim.cli import options as opt
from wafersim.cli.common import (
    catalog,
    check_split,
    console,
    known,
    parse_duration,
    parse_ints,
    print_json,
    print_plan,
    print_range,
    print_summary,
    range_json,
    range_runs,
)
from wafersim.cli.flags import message_of
from wafersim.cli.plotting import check_plot, plot_option, write_plot
from wafersim.cli.progress import progress
from wafersim.cost.infer.result import CoResidentResult, InferResult
from wafersim.errors import ConfigError, InfeasiblePlan
from wafersim.figures.roofline import BATCHES, roofline_figure
from wafersim.units import fmt_bytes, fmt_time, fmt_usd


def parse_batches(text: str) -> list[int]:
    """'8' or '1,8,64' -> requests in flight."""
    return parse_ints(text, "--batch", "1,8,64", "batch")


def infer(
    model: str = opt.MODEL,
    system: str = opt.SYSTEM,
    count: int = opt.COUNT,
    pipeline_wafers: int = opt.PIPELINE_WAFERS,
    batch: str = typer.Option("1", "--batch", help="Requests in flight, or a list 1,8,64."),
    input_tokens: int = typer.Option(1024, "--input-tokens", help="Prompt tokens."),
    output_tokens: int = typer.Option(1024, "--output-tokens", help="Generated tokens."),
    precision: str = opt.PRECISION,
    kv_precision: str = opt.KV_PRECISION,
    tp: int = opt.TP,
    pp: int = opt.PP,
    ep: int = opt.EP,
    attention_dp: int = opt.ATTENTION_DP,
    draft: str = opt.DRAFT,
    acceptance: float = opt.ACCEPTANCE,
    lookahead: int = opt.LOOKAHEAD,
    decode_only: bool = typer.Option(False, "--decode-only", help="A disaggregated decode pool: "
                                     "prompts arrive prefilled; throughput leaves out TTFT."),
    disaggregate: str = opt.DISAGGREGATE,
    stack: str = opt.STACK,
    max_throughput: bool = typer.Option(False, "--max-throughput", help="Search the batch and "
                                        "plan with the most total tokens/s."),
    tpot_slo: str = typer.Option(None, "--tpot-slo", help="Max time per output token, e.g. 50ms."),
    with_range: bool = typer.Option(False, "--range", help="Also run with the system's "
                                    "efficiency ranges at their low and high bounds."),
    pricing: str = opt.PRICING,
    as_json: bool = opt.JSON,
    plot: str = plot_option("the system's roofline with the prefill and the decode steps at "
                            "batches 1, 4, 16, 64, 256 and --batch placed on it"),
) -> None:
    """Serve MODEL on SYSTEM: TTFT, TPOT, tokens/s per user and in total, max batch, J/token, $/M."""
    check_plot(plot)
    opt.check_contexts(model, input_tokens, output_tokens)
    check_split(disaggregate)
    if "," in model:
        unsupported = {"--batch with a list": "," in batch, "--max-throughput": max_throughput,
                       "--tpot-slo": tpot_slo, "--range": with_range, "--draft": draft,
                       "--disaggregate": disaggregate, "--decode-only": decode_only, "--tp": tp,
                       "--pp": pp, "--ep": ep, "--attention-dp": attention_dp, "--plot": plot}
        _refuse_for_models(unsupported)
        r = infer_models(model, system, parse_batches(batch)[0], input_tokens, output_tokens,
                         precision, kv_precision, count, pipeline_wafers, stack, catalog(),
                         pricing=pricing)
        print_json(r.to_json()) if as_json else _print_models(r)
        return
    slo = parse_duration(tpot_slo, "--tpot-slo") if tpot_slo else None
    batches = [1] if max_throughput else parse_batches(batch)
    if with_range and len(batches) > 1:
        raise ConfigError(f"--range takes one --batch, not the list {batch!r}; run each batch apart")
    kwargs: dict[str, Any] = dict(
        input_tokens=input_tokens, output_tokens=output_tokens, precision=precision,
        kv_precision=kv_precision, count=count, pipeline_wafers=pipeline_wafers, tp=tp, pp=pp,
        ep=ep, attention_dp=attention_dp,
        decode_only=decode_only, disaggregate=disaggregate, draft=draft, stack=stack,
        acceptance=acceptance, lookahead=lookahead, max_throughput=max_throughput, tpot_slo_s=slo,
        pricing=pricing)
    results: list[InferResult | str] = []
    with progress("serving at each batch", len(batches) if len(batches) > 1 else None) as advance:
        for b in batches:
            try:
                results.append(_within_slo(run_infer(model, system, batch=b, catalog=catalog(),
                                                     **kwargs), slo))
            except InfeasiblePlan as exc:
                if len(batches) == 1:
                    raise
                results.append(f"batch {b}: {message_of(exc)}")
            advance()
    if plot is not None:
        with progress("drawing the roofline"):
            write_plot(roofline_figure(model, system, input_tokens=input_tokens,
                                       output_tokens=output_tokens, precision=precision,
                                       batches=sorted({*BATCHES, *batches}), count=count,
                                       catalog=catalog()), plot)
    if with_range and isinstance(results[0], InferResult):
        runs = range_runs(catalog(), system, lambda cat: run_infer(
            model, system, batch=batches[0], catalog=cat, **kwargs))
        _range(results[0], runs, as_json)
        return
    _output(results, as_json)


def _within_slo(r: InferResult, slo: float | None) -> InferResult:
    """`r`, or an error when its time per output token misses --tpot-slo (a wafer pipeline has
    one plan per batch, so nothing was chosen to meet it)."""
    if slo is not None and r.tpot_s > slo * (1 + 1e-9):
        raise InfeasiblePlan(f"--batch {r.batch} gives {fmt_time(r.tpot_s)} per output token on "
                             f"{r.system}, past --tpot-slo {fmt_time(slo)}; lower --batch, add "
                             "--max-throughput to search the batch, or relax the SLO")
    return r


def _refuse_for_models(options: dict[str, object]) -> None:
    """One-line error for an option several models served together cannot honour."""
    given = [flag for flag, value in options.items() if value]
    if given:
        raise ConfigError(f"{given[0]} is not modelled for several models served together "
                          "(--model a,b); drop it or serve one model")


def _print_models(r: CoResidentResult) -> None:
    ids = ", ".join(r.plan.model_ids)
    print_summary(f"{ids} resident together on {r.system} x{r.devices}", {
        "pipeline wafers x replicas": f"{r.plan.pipeline_wafers} x {r.plan.replicas}"
                                      + (f" ({r.plan.idle_wafers} idle)" if r.plan.idle_wafers
                                         else ""),
        "tokens/s total": f"{r.throughput_tokens_per_s:,.0f}",
        "SRAM per wafer": f"{fmt_bytes(r.memory['weights'] + r.memory['kv_cache'])} of "
                          f"{fmt_bytes(r.memory['usable'])}",
        "energy per token": known(r.energy_per_token_J, "{:.3g} J"),
        f"$ per million tokens ({_basis(r)})": fmt_usd(r.usd_per_million_tokens)})
    table = Table(title="per model", title_justify="left")
    for head in ("model", "PE share", "batch", "TTFT", "TPOT", "tok/s per user", "tok/s total",
                 "largest batch", "J/token"):
        table.add_column(head)
    for m, plan in zip(r.models, r.plan.models, strict=True):
        table.add_row(m.model, f"{plan.pe_share:.1%}", str(m.batch), fmt_time(m.ttft_s),
                      fmt_time(m.tpot_s), f"{m.user_tokens_per_s:,.1f}",
                      f"{m.throughput_tokens_per_s:,.0f}", f"{m.max_batch:,}",
                      known(m.energy_per_token_J, "{:.3g}"))
    console().print(table)
    print_plan(r.plan.to_json(), r.assumptions)


RANGE_FIGURES = {"ttft_s": lambda r: r.ttft_s, "tpot_s": lambda r: r.tpot_s,
                 "user_tokens_per_s": lambda r: r.user_tokens_per_s,
                 "throughput_tokens_per_s": lambda r: r.throughput_tokens_per_s,
                 "usd_per_million_tokens": lambda r: r.usd_per_million_tokens}


def _range(r: InferResult, runs: tuple[InferResult, InferResult, list[str]], as_json: bool) -> None:
    low, high, params = runs
    if as_json:
        print_json(r.to_json() | {"range": range_json(RANGE_FIGURES, low, high, params)})
        return
    _print_one(r)
    shown: dict[str, Callable[[InferResult], str]] = {
        "time to first token": lambda x: fmt_time(x.ttft_s),
        "time per output token": lambda x: fmt_time(x.tpot_s),
        "tokens/s per user": lambda x: f"{x.user_tokens_per_s:,.1f}",
        "tokens/s total": lambda x: f"{x.throughput_tokens_per_s:,.0f}",
        "$ per million tokens": lambda x: fmt_usd(x.usd_per_million_tokens)}
    print_range({name: (f(low), f(r), f(high)) for name, f in shown.items()}, params)


def pareto(results: list[InferResult]) -> list[bool]:
    """True where no other point is at least as fast per user and in total, and faster in one."""
    def dominated(r: InferResult) -> bool:
        return any(o.user_tokens_per_s >= r.user_tokens_per_s
                   and o.throughput_tokens_per_s >= r.throughput_tokens_per_s
                   and (o.user_tokens_per_s > r.user_tokens_per_s
                        or o.throughput_tokens_per_s > r.throughput_tokens_per_s) for o in results)
    return [not dominated(r) for r in results]


def _output(results: list[InferResult | str], as_json: bool) -> None:
    ok = [r for r in results if isinstance(r, InferResult)]
    front = dict(zip(map(id, ok), pareto(ok), strict=True))
    if as_json:
        if len(results) == 1 and ok:
            print_json(ok[0].to_json())
            return
        points = [r.to_json() | {"pareto": front[id(r)]} if isinstance(r, InferResult)
                  else {"feasible": False, "reason": r} for r in results]
        print_json({"points": points})
    elif len(results) == 1 and ok:
        _print_one(ok[0])
    else:
        _print_curve(results, front)


def _summary(r: InferResult) -> dict[str, str]:
    return {
        "time to first token": fmt_time(r.ttft_s), "time per output token": fmt_time(r.tpot_s),
        "tokens/s per user": f"{r.user_tokens_per_s:,.1f}",
        "tokens/s total": f"{r.throughput_tokens_per_s:,.0f}",
        "requests in flight": str(r.batch), "largest batch that fits": f"{r.max_batch:,}",
        "devices": str(r.devices), "memory per device": fmt_bytes(r.memory_bytes_per_device),
        "energy per token": known(r.energy_per_token_J, "{:.3g} J"),
        f"$ per million tokens ({r.cost_basis})": fmt_usd(r.usd_per_million_tokens),
    }


def _basis(r: CoResidentResult) -> str:
    return r.models[0].cost_basis if r.models else "-"


def _print_one(r: InferResult) -> None:
    out = console()
    print_summary(f"{r.model} on {r.system} x{r.devices}", _summary(r))
    for title, parts, total in (("time per output token", r.decode_breakdown, r.tpot_s),
                                ("time to first token", r.prefill_breakdown, r.ttft_s)):
        t = Table(title=title, title_justify="left")
        for head in ("part", "time", "share"):
            t.add_column(head)
        for key, value in parts.items():
            if value:
                t.add_row(key, fmt_time(value), f"{value / total:.1%}")
        out.print(t)
    print_plan(r.plan.to_json(), r.assumptions)


def _curve_basis(results: list[InferResult | str]) -> str:
    return next((r.cost_basis for r in results if isinstance(r, InferResult)), "-")


def _print_curve(results: list[InferResult | str], front: dict[int, bool]) -> None:
    table = Table(title="throughput vs latency (* = Pareto frontier)", title_justify="left")
    for head in ("batch", "TTFT", "TPOT", "tok/s per user", "tok/s total", "devices", "plan",
                 "J/token", f"$/M tokens ({_curve_basis(results)})", "pareto"):
        table.add_column(head)
    for r in results:
        if isinstance(r, str):
            continue
        view = r.plan.to_json()
        plan = ", ".join(f"{k}={view[k]}" for k in ("tp", "pp", "ep", "replicas", "wafers")
                         if k in view)
        table.add_row(str(r.batch), fmt_time(r.ttft_s), fmt_time(r.tpot_s),
                      f"{r.user_tokens_per_s:,.1f}", f"{r.throughput_tokens_per_s:,.0f}",
                      str(r.devices), plan, known(r.energy_per_token_J, "{:.3g}"),
                      fmt_usd(r.usd_per_million_tokens), "*" if front[id(r)] else "")
    console().print(table)
    for r in results:
        if isinstance(r, str):
            console().print(f"infeasible: {r}")
