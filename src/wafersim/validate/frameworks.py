"""What a row's training framework does that its plan columns do not say: the catalog
`Framework` whose speed it runs at (`framework_of`), and the formats its data-parallel
collectives move (`DataParallelWire`). A framework not listed here moves Megatron-LM's: fp32
gradients, 16-bit weights."""

from __future__ import annotations

from wafersim.catalog import Catalog, Framework
from wafersim.cost.train.scenario import DataParallelWire
from wafersim.validate.records import Record

# NVIDIA's MLPerf GPT-3 submissions (NeMo, training_results_v4.0 and v4.1, benchmarks/gpt3/
# implementations/*/conf/optim/distributed_fused_adam.yaml: grad_sync_dtype bf16; config_common.sh:
# FP8_PARAMS=True, so fp8 runs gather fp8 weights)
NEMO_MLPERF_GPT3 = {"bf16": DataParallelWire(2.0, 2.0), "fp8": DataParallelWire(2.0, 1.0)}


def wire_of(row: Record) -> DataParallelWire | None:
    """The data-parallel formats of the row's framework; None where it is Megatron-LM's."""
    engine, release = row.engine_release
    if engine == "nemo" and release.startswith("mlperf-training") and row.benchmark == "mlperf-gpt3":
        return NEMO_MLPERF_GPT3.get(row.precision or "bf16")
    return None


def framework_of(row: Record, catalog: Catalog) -> str | None:
    """The row's framework as the catalog knows it (`engine:release`, or the engine where the
    release is unstated), or None where the catalog has no such engine or release: the chip's
    default framework."""
    engine, release = row.engine_release
    found = catalog.parts.get(engine)
    if not isinstance(found, Framework) or not found.covers(release):
        return None
    return engine if release in ("", "unstated") else f"{engine}:{release}"
