"""Training sized to a budget: the fewest devices that meet a deadline, or the fastest run within
a power or money budget.

Counts are whole nodes, tried on a ladder doubling from one node to the largest cluster the
catalog allows (`MAX_SIZED_DEVICES` where it gives none), then bisected between the rungs where
the budget starts or stops being met. Wall time falls with the count but not strictly (a count's
plan depends on its factors), so the choice is the best among the counts evaluated, and every
count tried is kept so the choice can be explained. A count the model cannot train on
(InfeasiblePlan) is skipped and recorded. Facility power grows with the count, so a power ladder
stops at its first rung over budget; cost need not (one node can cost more than eight), so a
money ladder climbs to the top.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wafersim.catalog.system import System
from wafersim.cost.backends import train
from wafersim.cost.kernels.economics import unknown_inputs
from wafersim.cost.train.result import TrainResult
from wafersim.cost.train.scenario import TrainScenario
from wafersim.errors import InfeasiblePlan, ParameterError, one_line
from wafersim.units import fmt_power, fmt_time, fmt_usd

__all__ = ["MAX_SIZED_DEVICES", "Budget", "Candidate", "Sizing", "ladder", "size_training"]

MAX_SIZED_DEVICES = 2**20  # largest count tried where the catalog gives no largest cluster
# Budget fields -> the keyword each is given by (`api.size_training`), as errors name them
PARAMETERS = {"usd": "budget_usd", "facility_power_W": "power_W", "deadline_s": "deadline_s"}


@dataclass(frozen=True)
class Budget:
    """One limit a training run must meet: money (`Economics.outlay_usd`: on basis tco the
    purchase plus the run's facility and electricity, on rental the bill), facility power from
    the wall (`Economics.facility_power_W`) or a deadline on the wall time with failures."""

    usd: float | None = None
    facility_power_W: float | None = None
    deadline_s: float | None = None

    def __post_init__(self) -> None:
        given = {k: v for k, v in self.limits().items() if v is not None}
        for key, value in given.items():
            _check_limit(PARAMETERS[key], value)
        if not given:
            raise ParameterError("budget_usd", None, "no budget: give {budget_usd.flag}, "
                                 "{power_W.flag} or {deadline_s.flag}", allowed="one budget")
        if len(given) > 1:
            names = [PARAMETERS[k] for k in given]
            raise ParameterError(names[0], given[next(iter(given))], " and ".join(
                f"{{{n}.flag}}" for n in names) + ": give one budget at a time",
                                 allowed="one budget", **{PARAMETERS[k]: v for k, v in given.items()})

    def limits(self) -> dict[str, float | None]:
        return {"usd": self.usd, "facility_power_W": self.facility_power_W,
                "deadline_s": self.deadline_s}

    @property
    def kind(self) -> str:
        """The field that is set: usd, facility_power_W or deadline_s."""
        return next(k for k, v in self.limits().items() if v is not None)

    @property
    def limit(self) -> float:
        value = self.limits()[self.kind]
        assert value is not None
        return value

    def measure(self, r: TrainResult) -> float | None:
        """What this budget bounds, for run `r`; None where the catalog lacks an input."""
        if self.kind == "deadline_s":
            return r.wall_time_s
        if self.kind == "usd":  # basis tco: buy the cluster and run it; rental: the bill
            return r.economy.outlay_usd if r.economy else None
        return r.economy.facility_power_W if r.economy else None

    def describe(self) -> str:
        """'a deadline of 60 days', 'a budget of $20 M', '10 MW from the wall'."""
        if self.kind == "deadline_s":
            return f"a deadline of {fmt_time(self.limit)}"
        if self.kind == "usd":
            return f"a budget of {fmt_usd(self.limit)}"
        return f"{fmt_power(self.limit)} from the wall"

    def to_json(self) -> dict[str, float | None]:
        return self.limits()


def _check_limit(name: str, value: object) -> None:
    if (isinstance(value, bool) or not isinstance(value, int | float)
            or not (math.isfinite(value) and value > 0)):
        raise ParameterError(name, value, f"{{{name}!r}} must be a positive finite number",
                             allowed="> 0, finite")


@dataclass(frozen=True)
class Candidate:
    """One count tried: its run's wall time, facility power and cost, or why it cannot run."""

    devices: int
    wall_time_s: float | None = None
    facility_power_W: float | None = None
    cost_usd: float | None = None
    within: bool | None = None  # the run meets the budget; None: infeasible, or unknown
    infeasible: str | None = None  # why the model cannot train on this count

    def to_json(self) -> dict[str, Any]:
        return {"devices": self.devices, "wall_time_s": self.wall_time_s,
                "facility_power_W": self.facility_power_W, "cost_usd": self.cost_usd,
                "within_budget": self.within, "infeasible": self.infeasible}


@dataclass(frozen=True)
class Sizing:
    """A system sized to a budget: the chosen run (None with the reason when no count meets the
    budget), what bound the choice, and every count tried, fewest devices first."""

    system: str
    budget: Budget
    chosen: TrainResult | None
    binding: str | None  # deadline, power, money, largest cluster or scaling
    candidates: tuple[Candidate, ...]
    reason: str | None = None
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"system": self.system, "budget": self.budget.to_json(),
                "cost_basis": self.chosen.economy.basis if self.chosen and self.chosen.economy
                else None, "devices": self.chosen.devices if self.chosen else None,
                "binding": self.binding, "reason": self.reason,
                "candidates": [c.to_json() for c in self.candidates], "notes": list(self.notes)}


def ladder(system: System) -> tuple[int, list[int]]:
    """Devices per node and the counts tried first: one node, doubling, up to the largest
    cluster the catalog allows (or MAX_SIZED_DEVICES), that largest count included."""
    per_node = system.devices_per_node
    node = system.node
    limit = node.max_cluster_nodes_count if node else None
    nodes = int(limit.value) if limit and limit.value else max(1, MAX_SIZED_DEVICES // per_node)
    rungs = [per_node * 2**k for k in range(nodes.bit_length()) if 2**k <= nodes]
    return per_node, rungs + ([per_node * nodes] if rungs[-1] != per_node * nodes else [])


class _Runs:
    """Runs by count, each evaluated once; a count the model cannot train on is its reason."""

    def __init__(self, scenario_at: Callable[[int], TrainScenario], budget: Budget) -> None:
        self.scenario_at, self.budget = scenario_at, budget
        self.done: dict[int, TrainResult | str] = {}

    def __call__(self, n: int) -> TrainResult | str:
        if n not in self.done:
            try:
                self.done[n] = train(self.scenario_at(n))
            except InfeasiblePlan as exc:
                self.done[n] = one_line(str(exc))
            except ParameterError as exc:  # the default batch grows with the count: too few tokens
                if exc.parameter != "tokens":
                    raise
                self.done[n] = one_line(str(exc))
        return self.done[n]

    def within(self, n: int) -> bool:
        return self.meets(n) is True

    def meets(self, n: int) -> bool | None:
        """Whether the run at `n` meets the budget; None: it cannot run, or the figure the
        budget bounds is unknown."""
        r = self(n)
        value = None if isinstance(r, str) else self.budget.measure(r)
        return None if value is None else value <= self.budget.limit

    def over(self, n: int) -> bool:
        """The run at `n` is feasible and past the budget (a feasible-but-unknown is not)."""
        r = self(n)
        value = None if isinstance(r, str) else self.budget.measure(r)
        return value is not None and value > self.budget.limit

    def feasible(self) -> list[TrainResult]:
        return [r for _, r in sorted(self.done.items()) if not isinstance(r, str)]

    def candidates(self) -> tuple[Candidate, ...]:
        return tuple(Candidate(n, infeasible=r) if isinstance(r, str) else
                     Candidate(n, r.wall_time_s, r.economy.facility_power_W if r.economy else None,
                               r.cost_usd, self.meets(n)) for n, r in sorted(self.done.items()))


def _bisect(lo: int, hi: int, per_node: int, upper: Callable[[int], bool]) -> None:
    """Evaluate whole-node counts between `lo` (below the boundary) and `hi` (above it) until
    they are one node apart; `upper` says on which side a count lies."""
    while hi - lo > per_node:
        mid = lo + (hi - lo) // per_node // 2 * per_node
        lo, hi = (lo, mid) if upper(mid) else (mid, hi)


def size_training(scenario_at: Callable[[int], TrainScenario], system: System,
                  budget: Budget) -> Sizing:
    """`system` sized to `budget`: `scenario_at(n)` is the training question on n devices. A
    deadline takes the fewest devices whose wall time (failures included) meets it; a power or
    money budget takes the fastest run within it."""
    runs = _Runs(scenario_at, budget)
    per_node, rungs = ladder(system)
    search = _fewest if budget.kind == "deadline_s" else _fastest
    chosen, binding = search(runs, per_node, rungs)
    reason = None if chosen is not None else _why_none(runs, system, rungs)
    return Sizing(system.id, budget, chosen, binding, runs.candidates(), reason,
                  _notes(budget, per_node, rungs))


_Choice = tuple[TrainResult | None, str | None]


def _fewest(runs: _Runs, per_node: int, rungs: list[int]) -> _Choice:
    """The fewest devices meeting the deadline among the rungs and the bisection below the first
    rung that meets it."""
    for below, n in zip([0, *rungs], rungs, strict=False):
        if runs.within(n):
            _bisect(below, n, per_node, runs.within)
            meeting = [r for r in runs.feasible() if runs.within(r.devices)]
            return min(meeting, key=lambda r: r.devices), "deadline"
    return None, None


def _fastest(runs: _Runs, per_node: int, rungs: list[int]) -> _Choice:
    """The fastest run within a power or money budget: the rungs (a power ladder up to its first
    rung over budget), then a bisection between the fastest rung within and the next if it is
    over."""
    for n in rungs:
        r = runs(n)
        if not isinstance(r, str) and runs.budget.measure(r) is None:
            return None, None  # unknown power or price: `_why_none` names the missing input
        if runs.budget.kind == "facility_power_W" and runs.over(n):
            break
    best = _fastest_within(runs)
    if best is None:
        return None, None
    above = [n for n in rungs if n > best.devices and n in runs.done]
    if above and runs.over(above[0]):
        _bisect(best.devices, above[0], per_node, runs.over)
        best = _fastest_within(runs) or best
    return best, _binding(runs, best, rungs[-1])


def _fastest_within(runs: _Runs) -> TrainResult | None:
    within = [r for r in runs.feasible() if runs.within(r.devices)]
    return min(within, key=lambda r: (r.wall_time_s, r.devices)) if within else None


def _binding(runs: _Runs, best: TrainResult, top: int) -> str:
    """What stopped the choice growing: the budget (the next count tried is over it), the
    largest cluster allowed, or scaling (a larger count within the budget is slower)."""
    larger = [r.devices for r in runs.feasible() if r.devices > best.devices]
    if best.devices >= top or not larger:
        return "largest cluster"
    return ("money" if runs.budget.kind == "usd" else "power") if runs.over(larger[0]) else "scaling"


def _why_none(runs: _Runs, system: System, rungs: list[int]) -> str:
    """Why no count meets the budget: the model trains on none, an input is unknown, or even the
    best run found misses it."""
    feasible, budget = runs.feasible(), runs.budget
    if not feasible:
        last = runs(rungs[-1])
        return (f"{system.id} trains the model on none of the counts tried, {rungs[0]:,} to "
                f"{rungs[-1]:,} devices: {last}")
    unknown = [r for r in feasible if budget.measure(r) is None]
    if unknown:
        what = "cost" if budget.kind == "usd" else "facility power"
        missing = "; ".join(unknown_inputs(unknown[0].assumptions)) or "an input is not catalogued"
        return f"{system.id} cannot be sized to {budget.describe()}: its {what} is unknown ({missing})"
    if budget.kind == "deadline_s":
        r = min(feasible, key=lambda x: x.wall_time_s)
        return (f"even {r.devices:,} devices take {fmt_time(r.wall_time_s)} (the fastest run on "
                f"the counts tried, up to {rungs[-1]:,}); the deadline is {fmt_time(budget.limit)}")
    r = min(feasible, key=lambda x: (budget.measure(x) or 0.0, x.devices))
    shown = fmt_usd if budget.kind == "usd" else fmt_power
    verb = "costs" if budget.kind == "usd" else "draws"
    return (f"the leanest run found, on {r.devices:,} devices, {verb} "
            f"{shown(budget.measure(r))}; the budget is {shown(budget.limit)}")


def _notes(budget: Budget, per_node: int, rungs: list[int]) -> tuple[str, ...]:
    goal = ("the fewest devices meeting the deadline" if budget.kind == "deadline_s" else
            "the fastest run within the budget")
    return (f"{goal} among the counts tried: whole nodes of {per_node:,} devices, doubling from "
            f"{rungs[0]:,} to {rungs[-1]:,}, then bisected; wall time does not fall strictly with "
            "the count, so an untried count may do better",)
