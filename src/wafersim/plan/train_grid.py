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
from collections.abc import Iterable

import numpy as np

from wafersim.errors import ConfigError
from wafersim.models.spec import RECOMPUTE, ModelSpec
from wafersim.plan.train import SCHEDULES, Constraints, PlanSpace

MAX_MICRO_BATCH = 16  # search grid: larger micro-batches rarely help and never fit big models
MAX_CP = 32
MAX_V = 8


def divisors(n: int) -> list[int]:
    """Positive divisors of n, ascending."""
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return sorted(set(small + [n // d for d in small]))


def tp_error(model: ModelSpec, tp: int, scale_up: int) -> str | None:
    """Why `tp` is not allowed for `model` (None when it is)."""
    kv = model.n_kv_heads
    if model.n_heads % tp:
        return f"--tp {tp} does not divide the {model.n_heads} attention heads of {model.id}"
    if kv % tp and tp % kv:
        return f"--tp {tp} neither divides nor is a multiple of the {kv} KV heads of {model.id}"
    if tp > scale_up:
        return f"--tp {tp} exceeds the scale-up domain of {scale_up} devices"
    if scale_up % tp:
        return f"--tp {tp} does not divide the scale-up domain of {scale_up} devices (groups would straddle)"
    return None


def _check_fixed(model: ModelSpec, devices: int, scale_up: int, seq_len: int, c: Constraints) -> None:
    checks = [
        (c.tp is not None and c.tp >= 1, lambda: tp_error(model, c.tp, scale_up)),  # type: ignore[arg-type]
        (c.pp is not None and c.pp > model.n_layers,
         lambda: f"--pp {c.pp} exceeds the {model.n_layers} layers of {model.id}"),
        (c.cp is not None and c.cp >= 1 and seq_len % (2 * c.cp),
         lambda: f"--cp {c.cp}: the sequence length {seq_len} must divide into 2 x cp chunks"),
        (c.ep is not None and c.ep > 1 and not model.is_moe,
         lambda: f"--ep {c.ep}: {model.id} has no experts (use --ep 1)"),
        (c.ep is not None and c.ep >= 1 and model.is_moe and model.n_experts % c.ep,
         lambda: f"--ep {c.ep} does not divide the {model.n_experts} experts of {model.id}"),
        (bool(c.overlap) and (not model.is_moe or c.ep == 1),
         lambda: f"overlap 1 hides expert all-to-all: {model.id} with ep {c.ep} has none (use 0)"),
    ]
    for name in ("tp", "pp", "dp", "cp", "ep", "micro_batch", "v"):
        value = getattr(c, name)
        if value is not None and value < 1:
            raise ConfigError(f"--{name.replace('_', '-')} {value} must be at least 1")
    if c.overlap is not None and c.overlap not in (0, 1):
        raise ConfigError(f"overlap {c.overlap} must be 0 or 1")
    if c.zero is not None and c.zero not in (0, 1, 2, 3):
        raise ConfigError(f"--zero {c.zero} must be 0, 1, 2 or 3")
    if c.recompute is not None and c.recompute not in RECOMPUTE:
        raise ConfigError(f"--recompute {c.recompute!r} is not one of {', '.join(RECOMPUTE)}")
    if c.schedule is not None and c.schedule not in SCHEDULES:
        raise ConfigError(f"--schedule {c.schedule!r} is not one of {', '.join(SCHEDULES)}")
    for applies, message in checks:
        if applies and (text := message()):
            raise ConfigError(text)
    fixed = [x for x in (c.tp, c.pp, c.dp, c.cp) if x is not None]
    if math.prod(fixed) > devices or (len(fixed) == 4 and math.prod(fixed) != devices) or (
            devices % math.prod(fixed)):
        raise ConfigError(f"tp x pp x dp x cp must multiply to the {devices} devices; "
                          f"the fixed factors ({' x '.join(map(str, fixed))}) cannot")


def _pick(fixed: int | None, options: Iterable[int]) -> list[int]:
    return [fixed] if fixed is not None else list(options)


def _powers_of_two(limit: int) -> list[int]:
    return [2**i for i in range(int(math.log2(max(limit, 1))) + 1)]


def _layouts(model: ModelSpec, devices: int, scale_up: int, seq_len: int,
             c: Constraints) -> list[tuple[int, int, int, int]]:
    """(tp, pp, cp, dp) factorizations of the devices that the model admits."""
    out = []
    for tp in _pick(c.tp, [d for d in divisors(devices) if tp_error(model, d, scale_up) is None]):
        rest = devices // tp
        for pp in _pick(c.pp, [d for d in divisors(rest) if model.n_layers % d == 0]):
            for cp in _pick(c.cp, [d for d in _powers_of_two(MAX_CP) if seq_len % (2 * d) == 0]):
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
    c = constraints or Constraints()
    _check_fixed(model, devices, scale_up, seq_len, c)
    rows = [row for layout in _layouts(model, devices, scale_up, seq_len, c)
            for row in _per_layout(model, layout, global_batch, c)]
    if not rows:
        raise ConfigError(f"no parallel plan of {model.id} on {devices} devices meets the given "
                          "constraints; relax --tp/--pp/--dp/--cp/--ep or change the count")
    a = np.array(rows, dtype=np.int64)
    return PlanSpace(tp=a[:, 0], pp=a[:, 1], dp=a[:, 2], cp=a[:, 3], ep=a[:, 4], zero=a[:, 5],
                     recompute=a[:, 6], micro_batch=a[:, 7], v=a[:, 8], overlap=a[:, 9])
