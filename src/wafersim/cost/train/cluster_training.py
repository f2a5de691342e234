"""Training on accelerator clusters (GPU, TPU, Trainium, Ascend, Gaudi) as a backend: every
parallel plan searched at once (`cost/train/cluster.py`), the fastest feasible reported."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from wafersim.cost.train.cluster import train_cluster
from wafersim.cost.train.result import TrainResult
from wafersim.cost.train.scenario import TrainScenario
from wafersim.errors import ParameterError
from wafersim.plan.train import Constraints


class ClusterTraining:
    """Data, tensor, pipeline, context and expert parallel plans over HBM accelerators."""

    name = "cluster"
    how = "trains parallel plans over accelerators"

    def check(self, ts: TrainScenario) -> None:
        if ts.sparsity:
            raise ParameterError("sparsity", ts.sparsity, "{sparsity} applies to wafer-scale "
                                 "systems only", allowed="0 on accelerator clusters")
        if ts.activations is not None:
            raise ParameterError("activations", ts.activations, "{activations!r} applies to "
                                 "weight streaming on wafer-scale systems only; accelerator "
                                 "clusters keep activations in HBM (set {recompute.flag})",
                                 allowed="None on accelerator clusters")

    def train(self, ts: TrainScenario) -> TrainResult:
        fixed = _with_recompute(ts.constraints, None if ts.recompute == "auto" else ts.recompute)
        return train_cluster(ts.model, ts.system, ts.work, fixed, ts.attention)


@lru_cache(maxsize=256)
def _with_recompute(constraints: Constraints, recompute: str | None) -> Constraints:
    """The constraints with the recompute mode fixed (None: searched); memoised."""
    return replace(constraints, recompute=recompute)
