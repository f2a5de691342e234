"""Capacity planning: the cheapest fleet that serves a request rate within TTFT and TPOT SLOs.

For each system and each replica size (the devices that hold the model, and a quarter, half and
twice that many), layer 1 prunes and bounds: one request's time to first token must fit the TTFT
SLO, and the most tokens/s one replica serves within the TPOT SLO (layer 1's max-throughput search
under a TPOT bound) gives the fewest replicas that could carry the rate. The simulator then confirms:
a Poisson run at the rate against that many replicas (least-tokens routing); while its p99 TTFT
or p99 TPOT misses the SLO, the fleet grows by a quarter (at least one replica), up to
`MAX_GROWTH` times the bound. Fleets that meet the SLO are ranked by their hourly cost on the
system's cost basis (the economics model); the cheapest wins, the rest are runners-up, and a
system that cannot meet the SLO says why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from wafersim.catalog.system import System
from wafersim.cost.backends import serve, serving_backend, under_load
from wafersim.cost.infer.common import Serving
from wafersim.cost.infer.scenario import InferScenario
from wafersim.cost.kernels.economics import serving_economics
from wafersim.errors import InfeasiblePlan, ParameterError
from wafersim.models.spec import ModelSpec
from wafersim.serve.result import ServeResult, Slo
from wafersim.serve.simulate import simulate
from wafersim.serve.workload import Workload
from wafersim.units import HOUR_S, fmt_time

MAX_GROWTH = 4.0  # the largest fleet tried, over layer 1's lower bound
MOST_REPLICAS = 100_000  # practical limit: a fleet is simulated replica by replica
RUN_S = 120.0  # seconds of arrivals each confirming run replays
FEWEST_REQUESTS, MOST_REQUESTS = 1000, 20000


@dataclass(frozen=True)
class FleetOption:
    """One system's fleet for the rate: replicas of one plan, its p99 latencies and its cost."""

    system: str
    replicas: int
    devices: int  # every replica's devices
    plan: dict[str, Any]
    ttft_p99_s: float
    tpot_p99_s: float
    slo_attainment: float
    usd_per_hour: float | None  # None: the system's price is not in the catalog
    usd_per_million_tokens: float | None
    cost_basis: str
    meets: bool

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class CapacityPlan:
    """The cheapest fleet meeting the SLO at the rate, the runners-up, and the systems that
    could not (with the reason)."""

    rate_per_s: float
    slo: Slo
    best: FleetOption | None
    runners_up: tuple[FleetOption, ...]
    refused: dict[str, str] = field(default_factory=dict)
    tried: tuple[FleetOption, ...] = ()  # every fleet simulated, in order

    def to_json(self) -> dict[str, Any]:
        return {"rate_per_s": self.rate_per_s,
                "slo": {"ttft_s": self.slo.ttft_s, "tpot_s": self.slo.tpot_s},
                "best": None if self.best is None else self.best.to_json(),
                "runners_up": [o.to_json() for o in self.runners_up],
                "refused": dict(self.refused), "tried": [o.to_json() for o in self.tried]}


def plan_capacity(model: ModelSpec, systems: list[System], rate_per_s: float, slo: Slo,
                  serving: Serving, seed: int = 0) -> CapacityPlan:
    """The cheapest fleet of each system that serves `rate_per_s` requests/s of `serving`'s
    shape within `slo` at p99, ranked by hourly cost."""
    _check(rate_per_s, slo)
    found: list[FleetOption] = []
    tried: list[FleetOption] = []
    refused: dict[str, str] = {}
    for system in systems:
        options, reason = _sized(model, system, rate_per_s, slo, serving, seed, tried)
        if not options:
            refused[system.id] = reason
        found += options
    ranked = sorted(found, key=_price)
    return CapacityPlan(rate_per_s, slo, ranked[0] if ranked else None, tuple(ranked[1:]),
                        refused, tuple(tried))


def _check(rate_per_s: float, slo: Slo) -> None:
    if not (rate_per_s > 0 and math.isfinite(rate_per_s)):
        raise ParameterError("rate_per_s", rate_per_s, "{rate_per_s:g} requests/s must be a "
                             "positive number", allowed="> 0")
    if slo.ttft_s is None or slo.tpot_s is None:
        raise ParameterError("slo", slo, "{slo.flag} needs both a TTFT and a TPOT bound, e.g. "
                             "ttft=500ms,tpot=50ms", allowed="ttft and tpot")


def _price(o: FleetOption) -> tuple[bool, float, float]:
    """Known prices first, cheapest first, then the faster p99 TTFT; unknown prices after,
    fewest devices first."""
    cost = o.usd_per_hour if o.usd_per_hour is not None else float(o.devices)
    return (o.usd_per_hour is None, round(cost, 6), o.ttft_p99_s)


def _sized(model: ModelSpec, system: System, rate: float, slo: Slo, serving: Serving, seed: int,
           tried: list[FleetOption]) -> tuple[list[FleetOption], str]:
    """The smallest confirmed fleet of `system` for each replica size that meets the SLO (one
    per plan), or none and why the size that holds the model does not."""
    fit = serving_backend(system).fitting_count(InferScenario.of(model, system, serving))
    base = fit or system.devices
    found: dict[int, FleetOption] = {}
    reason = ""
    others = sorted({max(1, base // 4), max(1, base // 2), 2 * base} - {base})
    for i, count in enumerate([fit, *others]):  # first: the devices that hold the model
        option, why = _fleet(model, system, count, rate, slo, serving, seed, tried)
        if option is not None and option.devices // option.replicas not in found:
            found[option.devices // option.replicas] = option
        elif option is None and i == 0:
            reason = why
    return list(found.values()), reason


def _fleet(model: ModelSpec, system: System, count: int | None, rate: float, slo: Slo,
           serving: Serving, seed: int, tried: list[FleetOption]) -> tuple[FleetOption | None, str]:
    """The smallest confirmed fleet of `count` devices per replica of `system` (None: the
    system as catalogued), or None and why."""
    try:
        sc, bound = _bound(model, system, count, rate, slo, serving)
    except InfeasiblePlan as exc:
        return None, str(exc)
    workload = Workload(_requests(rate), serving.input_tokens, serving.output_tokens,
                        rate_per_s=rate, seed=seed)
    replicas, last = bound, None
    while replicas <= math.ceil(bound * MAX_GROWTH):
        last = _option(sc, simulate(sc, workload, replicas=replicas, router="least-tokens",
                                    slo=slo), replicas, slo)
        tried.append(last)
        if last.meets:
            return last, ""
        replicas = max(replicas + 1, math.ceil(replicas * 1.25))
    assert last is not None
    return None, (f"{last.replicas} replicas still miss the SLO at p99 (TTFT "
                  f"{fmt_time(last.ttft_p99_s)}, TPOT {fmt_time(last.tpot_p99_s)}); "
                  f"{MAX_GROWTH:g}x layer 1's bound of {bound} is the most tried")


def _bound(model: ModelSpec, system: System, count: int | None, rate: float, slo: Slo,
           serving: Serving) -> tuple[InferScenario, int]:
    """The scenario a replica serves, and the fewest replicas layer 1 says could carry `rate`."""
    sc = InferScenario.of(model, system, serving, count)
    one = serve(sc, [1])[0]
    if slo.ttft_s is not None and one.ttft_s > slo.ttft_s:
        raise InfeasiblePlan(f"one request alone takes {fmt_time(one.ttft_s)} to its first token "
                             f"on {sc.system.devices} device(s), past the TTFT SLO of "
                             f"{fmt_time(slo.ttft_s)}")
    best = serve(InferScenario.of(model, system, serving, count, tpot_slo_s=slo.tpot_s), [1],
                 search=True)[0]
    per_replica = best.throughput_tokens_per_s / serving.output_tokens  # requests/s
    bound = max(1, math.ceil(rate / per_replica))
    if bound * MAX_GROWTH > MOST_REPLICAS:
        raise InfeasiblePlan(f"{rate:g} requests/s need at least {bound:,} replicas of "
                             f"{sc.system.devices} device(s); more than {MOST_REPLICAS:,} / "
                             f"{MAX_GROWTH:g} are not simulated")
    return under_load(sc), bound


def _requests(rate: float) -> int:
    return int(min(MOST_REQUESTS, max(FEWEST_REQUESTS, rate * RUN_S)))


def _option(sc: InferScenario, run: ServeResult, replicas: int, slo: Slo) -> FleetOption:
    """A simulated fleet as an option: its p99 figures, whether they meet `slo`, its cost."""
    ttft, tpot = run.ttft_s["p99"], run.tpot_s["p99"]
    meets = (slo.ttft_s is None or ttft <= slo.ttft_s) and (
        slo.tpot_s is None or tpot is None or tpot <= slo.tpot_s)
    eco = serving_economics(sc.system.with_devices(run.devices), HOUR_S)
    return FleetOption(sc.system.id, replicas, run.devices, run.plan.to_json(), ttft,
                       tpot if tpot is not None else 0.0, run.slo_attainment or 0.0,
                       eco.cost_usd, run.usd_per_million_tokens, eco.basis, meets)
