"""Where a scaling curve stops paying: the knee of step time against devices.

With a fixed global batch, each added system takes a smaller share of it; on a wafer cluster the
compute per system per layer shrinks while each layer's weight stream does not (every system gets
the whole layer), so past some count the stream is exposed and the step stops falling (Cerebras
glossary, SwarmX: the tree broadcasts the same weights to all N systems, its latency grows as
log N). Two readings of the same curve:

- `devices`: the last count whose step fell by more than `min_gain` from the previous count's;
  beyond it each step up in systems buys less than that.
- `exposed_exceeds_compute_at`: the first count where the exposed parts of the step (weight
  streaming, tree fill, activation I/O or communication) outweigh compute.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from wafersim.cost.train.result import TrainResult

MIN_GAIN = 0.10  # assumption: a step that falls by less than 10% no longer pays for the systems


@dataclass(frozen=True)
class Knee:
    """The knee of one scaling curve (None: the curve never reaches it)."""

    devices: int | None
    min_gain: float
    exposed_exceeds_compute_at: int | None
    flat_from: int | None  # the first count whose step fell by less than min_gain

    def to_json(self) -> dict[str, Any]:
        return {"devices": self.devices, "min_gain": self.min_gain, "flat_from": self.flat_from,
                "exposed_exceeds_compute_at": self.exposed_exceeds_compute_at,
                "rule": f"last count whose step fell by more than {self.min_gain:.0%} from the "
                        "previous count's"}

    def describe(self) -> str:
        gain = (f"the step stops falling by more than {self.min_gain:.0%} after "
                f"{self.devices} devices (next count {self.flat_from})" if self.flat_from else
                f"the step still falls by more than {self.min_gain:.0%} at every count")
        exposed = (f"exposed streaming/communication first exceeds compute at "
                   f"{self.exposed_exceeds_compute_at}" if self.exposed_exceeds_compute_at else
                   "compute outweighs exposed streaming/communication at every count")
        return f"knee: {gain}; {exposed}"


def exposed_s(r: TrainResult) -> float:
    """The step's parts not hidden behind compute (breakdown keys named 'exposed...')."""
    return sum(v for k, v in r.breakdown.items() if k.startswith("exposed"))


def scaling_knee(results: Sequence[TrainResult], min_gain: float = MIN_GAIN) -> Knee:
    """The knee of `results` taken in order of devices."""
    curve = sorted(results, key=lambda r: r.devices)
    flat = next((i for i in range(1, len(curve))
                 if curve[i - 1].step_time_s / curve[i].step_time_s - 1.0 < min_gain), None)
    bound = next((r.devices for r in curve if exposed_s(r) > r.breakdown.get("compute", 0.0)), None)
    return Knee(devices=curve[flat - 1].devices if flat else None, min_gain=min_gain,
                exposed_exceeds_compute_at=bound, flat_from=curve[flat].devices if flat else None)
