"""``wafersim serve``: play a serving benchmark run request by request (event-driven)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from wafersim.api import simulate_serving, simulate_serving_models
from wafersim.cli import options as opt
from wafersim.cli.common import (
    catalog,
    check_split,
    console,
    known,
    parse_duration,
    parse_slo,
    print_json,
    print_plan,
    print_summary,
)
from wafersim.cli.progress import progress, serve_estimate
from wafersim.errors import ConfigError, ParameterError
from wafersim.serve.co_resident import CoResidentServeResult
from wafersim.serve.fleet import FleetServeResult
from wafersim.serve.plan import MOST_REPLICAS
from wafersim.serve.result import ServeResult
from wafersim.serve.simulate import DEFAULT_PREFILL_TOKENS
from wafersim.serve.trace import TraceWorkload
from wafersim.units import fmt_time, fmt_usd


def serve(
    model: str = opt.MODEL,
    system: str = opt.SYSTEM,
    requests: int = typer.Option(None, "--requests", help="Prompts the run sends (--num-prompts); "
                                 "default 1000, or every request of --workload."),
    concurrency: int = typer.Option(None, "--concurrency", help="Most requests in flight "
                                    "(--max-concurrency); default: no cap."),
    rate: float = typer.Option(None, "--rate", help="Poisson arrivals, requests/s; "
                               "default: all sent at once."),
    input_tokens: int = typer.Option(None, "--input-tokens", help="Prompt tokens (the most, with "
                                     "--range-ratio or --dataset); default 1024."),
    output_tokens: int = typer.Option(None, "--output-tokens", help="Generated tokens (the "
                                      "most); default 1024."),
    range_ratio: float = typer.Option(1.0, "--range-ratio", help="Lengths uniform in "
                                      "[ratio x L, L]; 1: every request exactly L."),
    seed: int = typer.Option(0, "--seed", help="Seed of lengths and arrival times."),
    workload: Path = typer.Option(None, "--workload", help="Replay a CSV or JSONL trace "
                                  "(arrival_s, input_tokens, output_tokens; optional model, "
                                  "session, prefix_tokens): docs/serving-workloads.md."),
    arrivals: str = typer.Option(None, "--arrivals", help="poisson (with --rate), gamma (bursty: "
                                 "--rate, --burstiness) or piecewise (diurnal: --rates, --period)."),
    burstiness: float = typer.Option(None, "--burstiness", help="Gamma arrivals: the gaps' "
                                     "coefficient of variation; 1 is Poisson, more is burstier."),
    rates: str = typer.Option(None, "--rates", help="Piecewise arrivals: requests/s per period, "
                              "cycling, e.g. 2,8,4."),
    period: str = typer.Option(None, "--period", help="Piecewise arrivals: how long each rate "
                               "holds, e.g. 1h or 600s; default 1h."),
    dataset: str = typer.Option(None, "--dataset", help="Lengths from a public dataset's "
                                "published statistics: sharegpt, lmsys or arxiv."),
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
    chunked_prefill: int = typer.Option(None, "--chunked-prefill", help="Chunked prefill mixed "
                                        "with decode: tokens per iteration (Sarathi); default: "
                                        "off, prompts first."),
    preemption: str = typer.Option(None, "--preemption", help="Paged KV cache that preempts "
                                   "when blocks run out: recompute or swap (to host memory); "
                                   "default: off."),
    prefix_caching: bool = typer.Option(False, "--prefix-caching/--no-prefix-caching",
                                        help="Reuse cached prompt prefixes of a session."),
    mix: str = typer.Option(None, "--mix", help="With --model a,b: the requests' split over "
                            "the models as weights, e.g. 3,1; default: even."),
    replicas: str = typer.Option("1", "--replicas", help="Copies of the plan serving the run "
                                 "behind one router (each on its own devices)."),
    router: str = typer.Option("round-robin", "--router", help="Which replica gets each "
                               "request: round-robin, least-tokens (fewest outstanding tokens) "
                               "or session (session affinity)."),
    slo: str = typer.Option(None, "--slo", help="Service-level objective, e.g. "
                            "ttft=500ms,tpot=50ms (either part may be left out)."),
    trace: str = typer.Option(None, "--trace", help="Write the run's timeline to this file as "
                              "a Chrome / Perfetto trace (opens in ui.perfetto.dev)."),
    pricing: str = opt.PRICING,
    as_json: bool = opt.JSON,
) -> None:
    """Simulate a benchmark run of MODEL on SYSTEM: duration, tokens/s, TTFT, TPOT, latency.

    `wafersim serve plan --help`: the cheapest fleet that meets a TTFT and TPOT SLO at a rate.
    """
    replay = None if workload is None else TraceWorkload.read(workload, requests)
    _check_contexts(model, replay, input_tokens, output_tokens, dataset)
    check_split(disaggregate)
    fleet = _replicas(replicas)
    ttft_slo, tpot_slo = parse_slo(slo)
    if "," in model:
        given = [flag for flag, v in {"--tp": tp, "--pp": pp, "--ep": ep, "--attention-dp":
                                      attention_dp, "--draft": draft,
                                      "--disaggregate": disaggregate, "--workload": workload,
                                      "--arrivals": arrivals, "--burstiness": burstiness,
                                      "--rates": rates, "--dataset": dataset,
                                      "--replicas": fleet > 1, "--trace": trace}.items() if v]
        if given:
            raise ConfigError(f"{given[0]} is not modelled for several models served together "
                              "(--model a,b); drop it or serve one model")
        requests, input_tokens, output_tokens = (requests or 1000, input_tokens or 1024,
                                                 output_tokens or 1024)
        with progress(serve_estimate(requests)):
            many = simulate_serving_models(model, system, requests, concurrency, rate,
                                           input_tokens, output_tokens, range_ratio, seed,
                                           precision, kv_precision, count, pipeline_wafers,
                                           _weights(mix), prefill_tokens, catalog(), stack,
                                           pricing=pricing)
        print_json(many.to_json()) if as_json else _print_models(many)
        return
    if mix:
        raise ConfigError("--mix splits requests over several models; give --model a,b")
    with progress(serve_estimate(requests or (replay.requests if replay else 1000))):
        r = simulate_serving(model, system, requests, concurrency, rate, input_tokens,
                             output_tokens, range_ratio, seed, precision, kv_precision, count, tp,
                             pp, ep, attention_dp, draft, acceptance, lookahead, disaggregate,
                             prefill_tokens, catalog(), stack, pipeline_wafers, pricing=pricing,
                             chunked_prefill=chunked_prefill, preemption=preemption,
                             prefix_caching=prefix_caching, workload=replay, arrivals=arrivals,
                             burstiness=burstiness, rates=_rates(rates), period_s=_period(period),
                             dataset=dataset, replicas=fleet, router=router, slo_ttft_s=ttft_slo,
                             slo_tpot_s=tpot_slo, trace=trace)
    if as_json:
        print_json(r.to_json())
        return
    _print(r)


def _check_contexts(model: str, trace: TraceWorkload | None, input_tokens: int | None,
                    output_tokens: int | None, dataset: str | None) -> None:
    """Each request fits each model's context; with a trace, the error names the file."""
    longest = _longest(trace, input_tokens, output_tokens, dataset)
    if trace is None:
        return opt.check_contexts(model, *longest)
    try:
        opt.check_contexts(model, *longest)
    except ParameterError:
        raise ConfigError(f"{trace.source}: its longest request ({longest[0]:,} prompt + "
                          f"{longest[1]:,} output tokens) is past the context of {model}; "
                          "shorten it or serve a model with a longer context") from None


def _longest(trace: TraceWorkload | None, input_tokens: int | None, output_tokens: int | None,
             dataset: str | None) -> tuple[int, int]:
    """The (prompt, output) of the request that needs the most context: the trace's longest, or
    the lengths given or their defaults (a dataset's own caps fit the context)."""
    if trace is None:
        default = 1 if dataset else 1024
        return input_tokens or default, output_tokens or default
    s = trace.sample()
    i = int((s.input_tokens + s.output_tokens).argmax())
    return int(s.input_tokens[i]), int(s.output_tokens[i])


def _rates(text: str | None) -> list[float] | None:
    """'2,8,4' -> [2.0, 8.0, 4.0] requests/s."""
    if text is None:
        return None
    try:
        return [float(r) for r in text.split(",")]
    except ValueError:
        raise ConfigError(f"--rates {text!r} must be requests/s separated by commas, "
                          "e.g. 2,8,4") from None


def _period(text: str | None) -> float | None:
    return None if text is None else parse_duration(text, "--period", "1h, 30min or 600s")


def _replicas(text: str) -> int:
    """'4' -> 4; a list (one count per system) is refused."""
    if "," in text:
        raise ConfigError(f"--replicas {text!r}: a fleet mixing systems is not modelled yet; give "
                          "one count for one system")
    try:
        count = int(text)
    except ValueError:
        raise ConfigError(f"--replicas {text!r} must be a whole number of replicas, e.g. 4") from None
    if not 1 <= count <= MOST_REPLICAS:
        raise ConfigError(f"--replicas {count} must be 1 to {MOST_REPLICAS:,} replicas")
    return count




def _weights(text: str | None) -> list[float] | None:
    """'3,1' -> [3.0, 1.0]."""
    if text is None:
        return None
    try:
        return [float(w) for w in text.split(",")]
    except ValueError:
        raise ConfigError(f"--mix {text!r} must be numbers separated by commas, e.g. 3,1") from None


def _print_models(r: CoResidentServeResult) -> None:
    out = console()
    print_summary(f"{', '.join(m.model for m in r.models)} resident together on {r.system} "
                  f"x{r.devices}", {
                      "duration": fmt_time(r.duration_s),
                      "output tokens/s": f"{r.throughput_tokens_per_s:,.0f}",
                      "energy per token": known(r.energy_per_token_J, "{:.3g} J"),
                      f"$ per million tokens ({r.cost_basis})": fmt_usd(r.usd_per_million_tokens)})
    t = Table(title="per model", title_justify="left")
    for head in ("model", "requests", "duration", "tok/s", "TTFT mean", "TPOT mean",
                 "latency p99"):
        t.add_column(head)
    for m in r.models:
        t.add_row(m.model, str(m.requests), fmt_time(m.duration_s),
                  f"{m.throughput_tokens_per_s:,.0f}", fmt_time(m.ttft_s["mean"]),
                  fmt_time(m.tpot_s["mean"]), fmt_time(m.latency_s["p99"]))
    out.print(t)
    print_plan(r.to_json()["plan"], r.assumptions)


def _slo_rows(r: ServeResult) -> dict[str, str]:
    """SLO attainment and goodput (with --slo), and the KV cache's use."""
    rows = {}
    if r.slo_attainment is not None and r.goodput_requests_per_s is not None:
        rows = {"SLO met by": f"{r.slo_attainment:.1%} of requests",
                "goodput": f"{r.goodput_requests_per_s:,.2f} requests/s within the SLO"}
    if r.kv_utilisation:
        rows["KV cache use"] = (f"{r.kv_utilisation['mean']:.1%} mean, "
                                f"{r.kv_utilisation['peak']:.1%} peak")
    return rows


def _print(r: ServeResult) -> None:
    out = console()
    print_summary(f"{r.model} on {r.system} x{r.devices}: {r.requests} requests", {
        "duration": fmt_time(r.duration_s),
        "output tokens/s": f"{r.throughput_tokens_per_s:,.0f}",
        "requests/s": f"{r.request_throughput_per_s:,.2f}",
        "mean requests in flight": f"{r.mean_concurrency:,.1f}",
        "energy per token": known(r.energy_per_token_J, "{:.3g} J"),
        f"$ per million tokens ({r.cost_basis})": fmt_usd(r.usd_per_million_tokens),
        "steady state (layer 1)": f"{r.steady_state['throughput_tokens_per_s']:,.0f} tok/s at "
                                  f"{r.steady_state['batch']:.0f} in flight",
        **_slo_rows(r),
    })
    t = Table(title="per request", title_justify="left")
    for head in ("", "mean", "p50", "p90", "p99"):
        t.add_column(head)
    for name, stats in (("time to first token", r.ttft_s), ("time per output token", r.tpot_s),
                        ("latency", r.latency_s), ("queueing delay", r.queue_s or {})):
        if stats:
            t.add_row(name, *(fmt_time(stats[k]) for k in ("mean", "p50", "p90", "p99")))
    out.print(t)
    if r.preemptions:
        out.print(f"preemptions: {r.preemptions}")
    for pool, parts in r.pools.items():
        shares = ", ".join(f"{k} {v / r.duration_s:.1%}" for k, v in parts.items() if v)
        out.print(f"{pool}: {shares}")
    if isinstance(r, FleetServeResult) and r.replicas > 1:
        counts = ", ".join(f"{p['requests']:,}" for p in r.per_replica)
        out.print(f"{r.replicas} replicas ({r.router}), requests each: {counts}")
    print_plan(r.to_json()["plan"], r.assumptions)
