"""Training on wafer-scale clusters as a backend: weights stream from MemoryX through SwarmX
to every wafer layer by layer (`cost/train/wafer.py`); no parallel plan to choose."""

from __future__ import annotations

from wafersim.cost.train.result import TrainResult
from wafersim.cost.train.scenario import TrainScenario
from wafersim.cost.train.wafer import train_wafer
from wafersim.errors import ParameterError, literal
from wafersim.plan import Constraints


class WeightStreaming:
    """Weights in MemoryX, activations in wafer SRAM (or offloaded), gradients reduced in the
    SwarmX tree."""

    name = "weight_streaming"
    how = "trains by weight streaming"

    def check(self, ts: TrainScenario) -> None:
        if ts.work.lora_rank:
            raise ParameterError("finetune", ts.finetune, "{finetune!r} is modelled on accelerator "
                                 "clusters only", allowed="None on wafer-scale systems")
        if ts.constraints != Constraints():
            raise ParameterError("plan", ts.constraints, f"{literal(ts.system.id)} trains by "
                                 "weight streaming; {tp.flag}/{pp.flag}/{dp.flag}/{cp.flag}/"
                                 "{ep.flag}/{zero.flag}/{micro_batch.flag}/{schedule.flag} apply "
                                 "to accelerator clusters only",
                                 allowed="no fixed parts on wafer-scale systems")

    def train(self, ts: TrainScenario) -> TrainResult:
        return train_wafer(ts.model, ts.system, ts.work, sparsity=ts.sparsity,
                           recompute=ts.recompute, activations=ts.activations or "sram")
