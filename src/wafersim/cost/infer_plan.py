"""Inference plans on accelerator clusters: tensor, pipeline and expert parallel degrees and the
replicas that fill the system, enumerated as numpy arrays so every plan is costed at once.

Rules (Megatron-LM tensor parallelism, Shoeybi et al. 2019; vLLM/TensorRT-LLM serving):
tp divides the attention heads, and either divides the KV heads or is a multiple of them (KV
heads are then replicated); tp stays within the scale-up domain (the node's fastest tier);
pp divides the layers; ep divides both the experts and tp (experts are spread over the devices
of a tensor-parallel group, as vLLM's expert parallel does); replicas = devices // (tp x pp).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wafersim.catalog.system import System
from wafersim.errors import ConfigError
from wafersim.models.spec import ModelSpec


@dataclass(frozen=True)
class Plans:
    """Candidate plans as equal-length integer arrays."""

    tp: np.ndarray
    pp: np.ndarray
    ep: np.ndarray
    dp: np.ndarray  # model replicas on the system

    def __len__(self) -> int:
        return int(self.tp.size)

    def take(self, index) -> Plans:  # type: ignore[no-untyped-def]
        return Plans(self.tp[index], self.pp[index], self.ep[index], self.dp[index])

    def describe(self, i: int) -> dict[str, int]:
        return {"tp": int(self.tp[i]), "pp": int(self.pp[i]), "ep": int(self.ep[i]),
                "replicas": int(self.dp[i])}


def scale_up_devices(system: System) -> int:
    """Devices in the largest scale-up group (1 when the node has none)."""
    return max([t.devices for t in system.scale_up] or [1])


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def tp_ok(model: ModelSpec, tp: int) -> bool:
    kv = model.n_kv_heads
    return model.n_heads % tp == 0 and (kv % tp == 0 or tp % kv == 0 or model.is_mla)


def check_degrees(model: ModelSpec, tp: int | None, pp: int | None, ep: int | None) -> None:
    """One-line errors for user-given degrees that cannot split the model."""
    if tp is not None and (tp < 1 or not tp_ok(model, tp)):
        raise ConfigError(f"--tp {tp} must divide {model.id}'s {model.n_heads} attention heads and "
                          f"divide or be a multiple of its {model.n_kv_heads} KV heads; try one of "
                          + ", ".join(str(d) for d in _divisors(model.n_heads) if tp_ok(model, d)))
    if pp is not None and (pp < 1 or model.n_layers % pp):
        raise ConfigError(f"--pp {pp} must divide {model.id}'s {model.n_layers} layers")
    if ep is not None and (ep < 1 or (ep > 1 and (not model.is_moe or model.n_experts % ep))):
        what = f"its {model.n_experts} experts" if model.is_moe else "experts (it is dense; use 1)"
        raise ConfigError(f"--ep {ep} must divide {model.id}'s {what}")
    if ep is not None and tp is not None and tp % ep:
        raise ConfigError(f"--ep {ep} must divide --tp {tp}: experts spread over a tensor group")


def enumerate_plans(model: ModelSpec, system: System, tp: int | None = None,
                    pp: int | None = None, ep: int | None = None) -> Plans:
    """Every plan that splits `model` on `system`'s devices (user-fixed degrees kept)."""
    check_degrees(model, tp, pp, ep)
    n, group = system.chips, scale_up_devices(system)
    tps = [tp] if tp else [d for d in _divisors(model.n_heads) if d <= group and tp_ok(model, d)]
    pps = [pp] if pp else _divisors(model.n_layers)
    rows = []
    for t in tps:
        for p in pps:
            if t * p > n:
                continue
            eps = [ep] if ep else ([e for e in _divisors(t) if model.n_experts % e == 0]
                                   if model.is_moe else [1])
            rows += [(t, p, e, n // (t * p)) for e in eps if t % e == 0]
    if not rows:
        raise ConfigError(f"no plan with tp={tp or 'any'}, pp={pp or 'any'}, ep={ep or 'any'} fits "
                          f"{system.id}'s {n} devices; lower the degrees or raise --count")
    a = np.array(rows, dtype=np.int64)
    return Plans(a[:, 0], a[:, 1], a[:, 2], a[:, 3])
