"""Which plans a model admits on a cluster: divisibility rules, user constraints, the search grid.

Rules (Megatron-LM and Megatron-Core argument checks): tp divides the attention heads and either
divides or is a multiple of the KV heads (KV heads are then replicated), and divides the scale-up
domain (a group never straddles it). The search takes pp among the divisors of the layers; a
fixed pp may leave uneven stages (Llama 3 405B: 126 layers on 16 stages), and the fullest stage
sets the pace. cp splits the
sequence into 2 x cp chunks (load-balanced ring attention); ep divides the experts and the
data-parallel ranks; interleaving needs pp x v chunks of whole layers (even stages: layers
divisible by pp x v) and the micro-batches to be a multiple of pp; the all-to-all overlap applies
to MoE plans with ep > 1.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator

import numpy as np

from wafersim.errors import ConfigError, ParameterError, SimError, literal
from wafersim.memo import memoised
from wafersim.models.spec import RECOMPUTE, ModelSpec
from wafersim.plan.train import SCHEDULES, Constraints, PlanSpace

MAX_MICRO_BATCH = 16  # search grid: larger micro-batches rarely help and never fit big models
MAX_CP = 32
MAX_V = 8


def divisors(n: int) -> list[int]:
    """Positive divisors of n, ascending."""
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return sorted(set(small + [n // d for d in small]))


def tp_error(model: ModelSpec, tp: int, scale_up: int) -> ParameterError | None:
    """Why `tp` is not allowed for `model` (None when it is)."""
    kv, heads = model.n_kv_heads, model.n_heads
    if heads % tp:
        return ParameterError("tp", tp, f"{{tp}} does not divide the {heads} attention heads of "
                              f"{literal(model.id)}", allowed=f"a divisor of {heads}")
    if kv % tp and tp % kv:
        return ParameterError("tp", tp, f"{{tp}} neither divides nor is a multiple of the {kv} KV "
                              f"heads of {literal(model.id)}",
                              allowed=f"a divisor or a multiple of {kv}")
    if tp > scale_up:
        return ParameterError("tp", tp, f"{{tp}} exceeds the scale-up domain of {scale_up} devices",
                              allowed=f"<= {scale_up}")
    if scale_up % tp:
        return ParameterError("tp", tp, f"{{tp}} does not divide the scale-up domain of {scale_up} "
                              "devices (groups would straddle)", allowed=f"a divisor of {scale_up}")
    return None


@memoised(256, identity=(Constraints,))
def _check_fixed(model: ModelSpec, devices: int, scale_up: int, seq_len: int, c: Constraints) -> None:
    """The fixed parts suit the model and the devices, or the first error (a pass is memoised)."""
    _check_values(c)
    if error := next(_model_errors(model, scale_up, seq_len, c), None):
        raise error
    fixed = [x for x in (c.tp, c.pp, c.dp, c.cp) if x is not None]
    if math.prod(fixed) > devices or (len(fixed) == 4 and math.prod(fixed) != devices) or (
            devices % math.prod(fixed)):
        raise ConfigError(f"tp x pp x dp x cp must multiply to the {devices} devices; "
                          f"the fixed factors ({' x '.join(map(str, fixed))}) cannot")


def _check_values(c: Constraints) -> None:
    """Each fixed part on its own: degrees of at least 1, known recompute modes and schedules."""
    for name in ("tp", "pp", "dp", "cp", "ep", "micro_batch", "v"):
        value = getattr(c, name)
        if value is not None and value < 1:
            raise ParameterError(name, value, f"{{{name}}} must be at least 1", allowed=">= 1")
    if c.overlap is not None and c.overlap not in (0, 1):
        raise ConfigError(f"overlap {c.overlap} must be 0 or 1")
    if c.zero is not None and c.zero not in (0, 1, 2, 3):
        raise ParameterError("zero", c.zero, "{zero} must be 0, 1, 2 or 3", allowed="0, 1, 2 or 3")
    for name, known in (("recompute", RECOMPUTE), ("schedule", SCHEDULES)):
        value = getattr(c, name)
        if value is not None and value not in known:
            raise ParameterError(name, value, f"{{{name}!r}} is not one of {', '.join(known)}",
                                 allowed=f"one of {', '.join(known)}")


def _model_errors(model: ModelSpec, scale_up: int, seq_len: int,
                  c: Constraints) -> Iterator[SimError]:
    """Why the fixed parts do not suit `model`, lazily, first the tensor-parallel degree."""
    mid, layers, experts = literal(model.id), model.n_layers, model.n_experts
    if c.tp is not None and c.tp >= 1 and (error := tp_error(model, c.tp, scale_up)):
        yield error
    if c.pp is not None and c.pp > layers:
        yield ParameterError("pp", c.pp, f"{{pp}} exceeds the {layers} layers of {mid}",
                             allowed=f"<= {layers}")
    if c.cp is not None and c.cp >= 1 and seq_len % (2 * c.cp):
        yield ParameterError("cp", c.cp, f"{{cp}}: the sequence length {seq_len} must divide into "
                             "2 x cp chunks", allowed=f"2 x cp divides {seq_len}")
    if c.ep is not None and c.ep > 1 and not model.is_moe:
        yield ParameterError("ep", c.ep, f"{{ep}}: {mid} has no experts (use {{ep.flag}} 1)",
                             allowed="1")
    if c.ep is not None and c.ep >= 1 and model.is_moe and experts % c.ep:
        yield ParameterError("ep", c.ep, f"{{ep}} does not divide the {experts} experts of {mid}",
                             allowed=f"a divisor of {experts}")
    if c.overlap and (not model.is_moe or c.ep == 1):
        yield ConfigError(f"overlap 1 hides expert all-to-all: {model.id} with ep {c.ep} has none "
                          "(use 0)")


def _pick(fixed: int | None, options: Iterable[int]) -> list[int]:
    """The fixed value, else every option (`options` may be lazy: unread when fixed)."""
    return [fixed] if fixed is not None else list(options)


def _powers_of_two(limit: int) -> list[int]:
    return [2**i for i in range(int(math.log2(max(limit, 1))) + 1)]


@memoised(256, identity=(Constraints,))
def _layouts(model: ModelSpec, devices: int, scale_up: int, seq_len: int,
             c: Constraints) -> list[tuple[int, int, int, int]]:
    """(tp, pp, cp, dp) factorizations of the devices that the model admits (memoised)."""
    out = []
    for tp in _pick(c.tp, (d for d in divisors(devices) if tp_error(model, d, scale_up) is None)):
        rest = devices // tp
        for pp in _pick(c.pp, (d for d in divisors(rest) if model.n_layers % d == 0)):
            for cp in _pick(c.cp, (d for d in _powers_of_two(MAX_CP) if seq_len % (2 * d) == 0)):
                if (rest % pp) or (rest // pp) % cp:
                    continue
                dp = rest // pp // cp
                if c.dp is None or c.dp == dp:
                    out.append((tp, pp, cp, dp))
    return out


def _per_layout(model: ModelSpec, layout: tuple[int, int, int, int], global_batch: int,
                c: Constraints) -> Iterable[tuple[int, ...]]:
    tp, pp, cp, dp = layout
    per_rank = math.ceil(global_batch / dp)
    eps = _pick(c.ep, [d for d in divisors(model.n_experts) if dp % d == 0]) if model.is_moe else [1]
    zeros = _pick(c.zero, [0, 1, 2, 3] if dp > 1 else [0])
    recomputes = [RECOMPUTE.index(c.recompute)] if c.recompute else range(len(RECOMPUTE))
    mbs = _pick(c.micro_batch, [b for b in _powers_of_two(MAX_MICRO_BATCH) if b <= per_rank])
    for ep, zero, rc, mb in itertools.product(eps, zeros, recomputes, mbs):
        n_micro = math.ceil(per_rank / mb)
        overlaps = _pick(c.overlap, [0, 1]) if ep > 1 else [0] * (not c.overlap)
        for v, overlap in itertools.product(_chunks(model, pp, n_micro, c), overlaps):
            yield tp, pp, dp, cp, ep, zero, rc, mb, v, overlap


def _chunks(model: ModelSpec, pp: int, n_micro: int, c: Constraints) -> list[int]:
    if c.v is not None:
        return [c.v]
    one = [] if c.schedule == "interleaved" else [1]
    if pp == 1 or c.schedule == "1f1b" or n_micro % pp:
        return one
    even = model.n_layers % pp == 0  # uneven stages: any v up to the layers per stage
    return one + [v for v in range(2, MAX_V + 1)
                  if (model.n_layers % (pp * v) == 0 if even else v <= model.n_layers // pp)]


def enumerate_plans(model: ModelSpec, devices: int, scale_up: int, global_batch: int,
                    seq_len: int, constraints: Constraints | None = None) -> PlanSpace:
    """Every plan in the search grid that the model, the cluster and the constraints admit."""
    return space_of(plan_rows(model, devices, scale_up, global_batch, seq_len, constraints))


def space_of(rows: list[tuple[int, ...]]) -> PlanSpace:
    """Rows of `plan_rows` as a PlanSpace of integer arrays."""
    a = np.array(rows, dtype=np.int64)
    return PlanSpace(tp=a[:, 0], pp=a[:, 1], dp=a[:, 2], cp=a[:, 3], ep=a[:, 4], zero=a[:, 5],
                     recompute=a[:, 6], micro_batch=a[:, 7], v=a[:, 8], overlap=a[:, 9])


def plan_rows(model: ModelSpec, devices: int, scale_up: int, global_batch: int, seq_len: int,
              constraints: Constraints | None = None) -> list[tuple[int, ...]]:
    """The plans of `enumerate_plans` as rows of ints in PlanSpace's field order (recompute as
    its index)."""
    c = constraints or Constraints()
    _check_fixed(model, devices, scale_up, seq_len, c)
    rows = [row for layout in _layouts(model, devices, scale_up, seq_len, c)
            for row in _per_layout(model, layout, global_batch, c)]
    if not rows:
        raise ParameterError("plan", c, f"no parallel plan of {literal(model.id)} on {devices} "
                             "devices meets the given constraints; relax {tp.flag}/{pp.flag}/"
                             "{dp.flag}/{cp.flag}/{ep.flag} or change the count")
    return rows
