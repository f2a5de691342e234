"""Inference plans on accelerator clusters: tensor, pipeline and expert parallel degrees and the
replicas that fill the system, enumerated as numpy arrays so every plan is costed at once.

Rules (Megatron-LM tensor parallelism, Shoeybi et al. 2019; vLLM/TensorRT-LLM serving):
tp divides the attention heads, and either divides the KV heads or is a multiple of them (KV
heads are then replicated); tp stays within the scale-up domain (the node's fastest tier);
pp divides the layers; ep divides both the experts and tp (experts are spread over the devices
of a tensor-parallel group, as vLLM's expert parallel does); replicas = devices // (tp x pp).

MoE models may also run data-parallel attention (SGLang `--enable-dp-attention`, DeepSeek-V3
report section 3.4): a group of tp devices runs attention as `ad` independent replicas of
tensor degree tp / ad, each with its own requests and KV cache, and spreads the routed experts
over all of the group's devices, ep = min(tp, E) (wide expert parallel: the group may exceed the
attention heads, and an ep that does not divide the experts puts ceil(E / ep) on the fullest
device).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from wafersim.catalog.system import System
from wafersim.errors import ParameterError
from wafersim.memo import memoised
from wafersim.models.spec import ModelSpec
from wafersim.plan.infer import Degrees
from wafersim.xp import Whole


@dataclass(frozen=True)
class Plans:
    """Candidate plans as equal-length integer arrays, or one plan as Python ints (`one`): the
    cost formulas take either."""

    tp: Whole
    pp: Whole
    ep: Whole
    dp: Whole  # model replicas on the system
    ad: Whole  # data-parallel attention replicas inside one tensor group (1: plain tp)

    def __len__(self) -> int:
        return int(np.size(self.tp))

    @property
    def attention_tp(self) -> Whole:
        """Devices one attention replica spans."""
        return self.tp // self.ad

    def _fields(self) -> tuple[Whole, ...]:
        return self.tp, self.pp, self.ep, self.dp, self.ad

    def take(self, index: npt.NDArray[np.int64] | npt.NDArray[np.bool_]) -> Plans:
        return Plans(*(np.asarray(v)[index] for v in self._fields()))

    def one(self, i: int) -> OnePlan:
        """Plan number `i` alone, its degrees as Python ints (costed without numpy arrays)."""
        return OnePlan(*(_at(v, i) for v in self._fields()))

    def degrees(self, i: int) -> Degrees:
        """Plan number `i` as typed degrees."""
        return Degrees(*(_at(v, i) for v in self._fields()))


@dataclass(frozen=True)
class OnePlan(Plans):
    """One plan, its degrees as Python ints (`Plans.one`); figures memoised for one plan are
    keyed by the object, not by comparing degrees."""

    def degrees(self, i: int = 0) -> Degrees:
        return Degrees(int(self.tp), int(self.pp), int(self.ep), int(self.dp), int(self.ad))


def _at(v: Whole, i: int) -> int:
    return v if isinstance(v, int) else int(v[i])


def scale_up_devices(system: System) -> int:
    """Devices in the largest scale-up group (1 when the node has none)."""
    return max([t.devices for t in system.scale_up] or [1])


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def tp_ok(model: ModelSpec, tp: int) -> bool:
    kv = model.n_kv_heads
    return model.n_heads % tp == 0 and (kv % tp == 0 or tp % kv == 0 or model.is_mla)


def check_degrees(model: ModelSpec, tp: int | None, pp: int | None, ep: int | None,
                  ad: int | None = None) -> None:
    """One-line errors for user-given degrees that cannot split the model."""
    if ad is not None and ad > 1:
        _check_attention_dp(model, tp, ep, ad)
        _check_pp(model, pp)
        return
    if tp is not None and (tp < 1 or not tp_ok(model, tp)):
        ok = ", ".join(str(d) for d in _divisors(model.n_heads) if tp_ok(model, d))
        raise ParameterError("tp", tp, f"{{tp}} must divide {model.id}'s {model.n_heads} attention "
                             f"heads and divide or be a multiple of its {model.n_kv_heads} KV heads; "
                             f"try one of {ok}", allowed=f"one of {ok}")
    _check_pp(model, pp)
    if ep is not None and (ep < 1 or (ep > 1 and (not model.is_moe or model.n_experts % ep))):
        what = f"its {model.n_experts} experts" if model.is_moe else "experts (it is dense; use 1)"
        raise ParameterError("ep", ep, f"{{ep}} must divide {model.id}'s {what}",
                             allowed="a divisor of the experts" if model.is_moe else "1")
    if ep is not None and tp is not None and tp % ep:
        raise ParameterError("ep", ep, "{ep} must divide {tp}: experts spread over a tensor group",
                             allowed=f"a divisor of {tp}", tp=tp)


def _check_pp(model: ModelSpec, pp: int | None) -> None:
    if pp is not None and (pp < 1 or model.n_layers % pp):
        raise ParameterError("pp", pp, f"{{pp}} must divide {model.id}'s {model.n_layers} layers",
                             allowed=f"a divisor of {model.n_layers}")


def _check_attention_dp(model: ModelSpec, tp: int | None, ep: int | None, ad: int) -> None:
    if not model.is_moe:
        raise ParameterError("attention_dp", ad, f"{{attention_dp}} applies to MoE models; "
                             f"{model.id} is dense: run replicas instead (drop {{attention_dp.flag}})",
                             allowed="None or 1 for dense models")
    if tp is not None and (tp % ad or not tp_ok(model, tp // ad)):
        raise ParameterError("attention_dp", ad, "{attention_dp} must divide {tp} into attention "
                             f"groups whose size divides {model.id}'s {model.n_heads} heads",
                             allowed=f"a divisor of {tp}", tp=tp)
    if ep is not None and tp is not None and ep != min(tp, model.n_experts):
        e = min(tp, model.n_experts)
        raise ParameterError("ep", ep, f"{{ep}}: with {{attention_dp.flag}} the experts spread over "
                             f"the whole tensor group; use {{ep.flag}} {e} (or drop {{ep.flag}})",
                             allowed=f"{e} or None")


def _tensor_rows(model: ModelSpec, n: int, group: int, tp: int | None, pps: list[int],
                 ep: int | None) -> list[tuple[int, ...]]:
    """Plain tensor-parallel plans: (tp, pp, ep, replicas, 1)."""
    tps = [tp] if tp else [d for d in _divisors(model.n_heads) if d <= group and tp_ok(model, d)]
    rows: list[tuple[int, ...]] = []
    for t in tps:
        for p in pps:
            if t * p > n:
                continue
            eps = [ep] if ep else ([e for e in _divisors(t) if model.n_experts % e == 0]
                                   if model.is_moe else [1])
            rows += [(t, p, e, n // (t * p), 1) for e in eps if t % e == 0]
    return rows


def _attention_dp_rows(model: ModelSpec, n: int, group: int, tp: int | None, pps: list[int],
                       ep: int | None, ad: int | None) -> list[tuple[int, ...]]:
    """Data-parallel attention plans of a MoE model: (group, pp, ep, replicas, ad)."""
    sizes = [tp] if tp else sorted({d for d in _divisors(n) if 1 < d <= group}
                                   | {2**i for i in range(1, group.bit_length()) if 2**i <= n})
    rows: list[tuple[int, ...]] = []
    for g in sizes:
        ads = [ad] if ad else [a for a in _divisors(g) if a > 1 and tp_ok(model, g // a)]
        e = min(g, model.n_experts)  # every device of the group holds experts, none twice
        if ep is not None and ep != e:
            continue
        rows += [(g, p, e, n // (g * p), a) for a in ads for p in pps if g * p <= n]
    return rows


@memoised(256, identity=(System,))
def enumerate_plans(model: ModelSpec, system: System, tp: int | None = None,
                    pp: int | None = None, ep: int | None = None, ad: int | None = None) -> Plans:
    """Every plan that splits `model` on `system`'s devices (user-fixed degrees kept); memoised,
    the arrays read-only."""
    check_degrees(model, tp, pp, ep, ad)
    n, group = system.devices, scale_up_devices(system)
    pps = [pp] if pp else _divisors(model.n_layers)
    rows = [] if ad and ad > 1 else _tensor_rows(model, n, group, tp, pps, ep)
    if model.is_moe and (ad is None or ad > 1):
        rows += _attention_dp_rows(model, n, group, tp, pps, ep, ad)
    if not rows:
        raise ParameterError("count", n, f"no plan with tp={tp or 'any'}, pp={pp or 'any'}, "
                             f"ep={ep or 'any'} fits {system.id}'s {n} devices; lower the degrees "
                             "or raise {count.flag}", allowed=f"> {n}")
    a = np.array(rows, dtype=np.int64)
    a.flags.writeable = False
    return Plans(a[:, 0], a[:, 1], a[:, 2], a[:, 3], a[:, 4])
