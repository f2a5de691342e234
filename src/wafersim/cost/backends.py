"""The registry: each device class to the backends that train and serve on it, and the one
dispatch for each.

Adding a device class is one backend module per question (`cost/train/backend.py` and
`cost/infer/backend.py` say what each must do) and one line in `TRAINING` and `SERVING`;
nothing else in wafersim asks what kind of device a system has.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TypeVar

from wafersim.catalog.system import System
from wafersim.cost.infer.backend import ServingBackend
from wafersim.cost.infer.co_resident import serve_together
from wafersim.cost.infer.curve import Curve
from wafersim.cost.infer.disagg import DisaggregatedServing
from wafersim.cost.infer.hbm_serving import HbmServing
from wafersim.cost.infer.result import CoResidentResult, InferResult
from wafersim.cost.infer.scenario import InferScenario, check_batches
from wafersim.cost.infer.wafer_serving import WaferServing
from wafersim.cost.train.backend import TrainingBackend
from wafersim.cost.train.cluster_training import ClusterTraining
from wafersim.cost.train.result import TrainResult
from wafersim.cost.train.scenario import TrainScenario
from wafersim.cost.train.weight_streaming import WeightStreaming
from wafersim.errors import ConfigError, InfeasiblePlan, ParameterError
from wafersim.plan.infer import DisaggregatedPlan

_B = TypeVar("_B")

# device classes whose chips hold weights in HBM and train with parallel plans
ACCELERATORS = ("gpu", "npu", "tpu", "trainium", "rdu", "lpu", "hpu", "cpu")
_CLUSTER, _HBM = ClusterTraining(), HbmServing()
TRAINING: dict[str, TrainingBackend] = dict.fromkeys(ACCELERATORS, _CLUSTER) | {
    "wafer": WeightStreaming()}
SERVING: dict[str, ServingBackend] = dict.fromkeys(ACCELERATORS, _HBM) | {"wafer": WaferServing()}


def _registered(registry: dict[str, _B], system: System, what: str) -> _B:
    backend = registry.get(system.chip.device_class)
    if backend is None:
        raise ConfigError(f"{system.chip.id}: no {what} backend is registered for device class "
                          f"{system.chip.device_class!r}; known: {', '.join(sorted(registry))}")
    return backend


def training_backend(system: System) -> TrainingBackend:
    """The training backend registered for the system's device class."""
    return _registered(TRAINING, system, "training")


def serving_backend(system: System) -> ServingBackend:
    """The serving backend registered for the system's device class."""
    return _registered(SERVING, system, "serving")


def train(ts: TrainScenario) -> TrainResult:
    """Train the scenario on its system's backend; the default batch, if taken, is an assumption."""
    backend = training_backend(ts.system)
    backend.check(ts)
    result = backend.train(ts)
    note = ts.batch_note()
    return replace(result, assumptions=(*note, *result.assumptions)) if note else result


def serve(sc: InferScenario, batches: list[int], search: bool = False) -> list[InferResult]:
    """Serve the scenario: one result per batch, or the best batch with `search`."""
    check_batches(batches)
    backend = serving_backend(sc.system)
    if sc.split is None:
        backend.check(sc)
        return backend.serve(sc, batches, search)
    if not backend.disaggregates:
        raise ParameterError("disaggregate", sc.split, f"{{disaggregate}}: {sc.system.id} "
                             f"{backend.how}; prefill/decode pools are modelled on HBM "
                             "systems (drop it)", allowed="None")
    assert isinstance(backend, HbmServing)  # the one backend that disaggregates today
    return DisaggregatedServing(backend).serve(sc, batches, search)


def serve_models(scs: list[InferScenario], batch: int) -> CoResidentResult:
    """Several models resident together on one set of the system's devices, `batch` requests in
    flight each."""
    check_batches([batch])
    backend = serving_backend(scs[0].system)
    if not backend.co_resides:
        raise ParameterError("model", ",".join(sc.model.id for sc in scs), f"{{model.flag}}: "
                             f"several models resident together are modelled on wafer systems; "
                             f"{scs[0].system.id} {backend.how} (serve one model)",
                             allowed="one model id")
    for sc in scs:
        backend.check(sc)
    return serve_together(scs, batch)


def serve_at_most(sc: InferScenario, batch: int) -> InferResult:
    """The scenario at `batch` requests in flight, or at the KV cache's capacity when fewer fit."""
    try:
        return serve(sc, [batch])[0]
    except InfeasiblePlan:
        if batch == 1:
            raise
        cap = serve(sc, [1])[0].max_batch
        if not 1 <= cap < batch:
            raise
        return serve(sc, [cap])[0]


def under_load(sc: InferScenario) -> InferScenario:
    """The scenario a run under load is served with (its backend's `under_load`; a split as is)."""
    return sc if sc.split is not None else serving_backend(sc.system).under_load(sc)


def curves(sc: InferScenario, result: InferResult, top: int) -> tuple[Curve, Curve]:
    """(prefill, decode) step-time curves of the plan `result` carries, for 1..`top` requests;
    one curve twice when prompts and decoding share the devices."""
    plan, backend = result.plan, serving_backend(sc.system)
    if isinstance(plan, DisaggregatedPlan):
        assert isinstance(backend, HbmServing)  # only HBM plans are disaggregated
        return DisaggregatedServing(backend).pool_curves(sc, plan, top)
    one = backend.curve(sc, plan, top)
    return one, one


def occupied(sc: InferScenario, result: InferResult) -> System:
    """The devices the plan `result` carries runs on."""
    plan = result.plan
    if isinstance(plan, DisaggregatedPlan):
        return DisaggregatedServing.occupied(sc, plan)
    return serving_backend(sc.system).occupied(sc, plan)
