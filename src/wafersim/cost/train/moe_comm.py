"""Expert-parallel all-to-all of MoE layers and its overlap with compute, for many plans at once.

Plain dispatch (Megatron-Core's all-to-all token dispatcher over NCCL): each token travels to
each of its top-k experts as its own copy, in 16 bits, and the all-to-all sits on the critical
path. Overlapped schedule (`overlap` = 1; DualPipe and DeepEP, DeepSeek-AI 2024, arXiv:2412.19437,
Sec. 3.2): a token crosses the scale-out network once per destination node and is forwarded to
its experts inside the node, node-limited routing caps those nodes, fp8 training dispatches in
fp8 (the combine stays 16-bit, Sec. 3.3), and the all-to-all and pipeline sends of one
micro-batch run while another computes, with the communication kernels holding a share of the
compute units.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from wafersim.cost.train.comm import GroupCollectives
from wafersim.models.spec import ModelSpec
from wafersim.plan.train import PlanSpace
from wafersim.xp import Real, Whole, ceil, maximum, minimum, power, real, where

Array = npt.NDArray[np.float64]
COMM_SM_SHARE = 20 / 132  # DeepSeek-V3 Sec. 3.2.2: 20 of the H800's 132 SMs run dispatch/combine
COMBINE_BYTES = 2.0  # expert outputs return in bf16 (DeepSeek-V3 Sec. 3.3.3; Megatron-Core)


def destinations(model: ModelSpec, units: Real) -> Real:
    """Expected distinct units (nodes or ranks) among `units` holding a token's top-k experts.

    Experts spread evenly and picked alike: units x (1 - (1 - 1/units)^k) (occupancy of k balls
    in `units` bins); node-limited routing caps it at topk_groups groups' worth of units.
    """
    u = maximum(real(units), 1.0)
    hit = u * (1.0 - power(1.0 - 1.0 / u, model.top_k))  # expected occupied bins, k balls
    if model.topk_groups:
        hit = minimum(hit, model.topk_groups * maximum(1.0, u / model.expert_groups))
    out: Real = minimum(hit, model.top_k)
    return out


def ep_nodes(plans: PlanSpace, scale_up: int) -> Real:
    """Scale-up domains the expert-parallel group spans (members sit tp x cp ranks apart)."""
    per_domain = minimum(maximum(scale_up // (plans.tp * plans.cp), 1), plans.ep)  # np.clip
    nodes: Real = ceil(plans.ep / per_domain)
    return nodes


def all_to_all_s(comm: GroupCollectives, model: ModelSpec, plans: PlanSpace, tokens: Real,
                 scale_up: int, fp8: bool) -> tuple[Real, Real]:
    """(forward, backward) seconds of one MoE layer's dispatch and combine on one micro-batch."""
    nodes = ep_nodes(plans, scale_up)
    dedup = plans.overlap == 1
    # deduplicated per node across nodes, per rank inside one (groups are contiguous expert blocks)
    units = destinations(model, where(nodes > 1, nodes, plans.ep))
    copies = where(dedup, units, float(model.top_k))
    dispatch_bytes = where(dedup & fp8, 1.0, COMBINE_BYTES)
    per_copy = tokens / plans.tp * model.d_model * copies  # elements sent per device
    sent = (per_copy * dispatch_bytes, per_copy * COMBINE_BYTES)
    dispatch: Real
    combine: Real
    if isinstance(plans.tp, np.ndarray):  # dispatch and combine costed in one pass
        stride, n = np.tile(plans.tp * plans.cp, 2), len(plans)
        both = np.asarray(comm.time_s("all_to_all", np.concatenate(sent), stride,
                                      np.tile(plans.ep, 2)))
        dispatch, combine = both[:n], both[n:]
    else:
        dispatch, combine = (comm.time_s("all_to_all", b, plans.tp * plans.cp, plans.ep) for b in sent)
    return dispatch + combine, 2.0 * combine  # backward: both ways in 16 bits


def overlapped(hidden: Real, work: Real, overlap: Whole) -> Real:
    """Exposed seconds of `hidden` communication run beside `work` seconds of compute: the
    compute loses the communication kernels' share while both run, and what outlasts it shows."""
    shared = maximum(COMM_SM_SHARE * hidden, hidden - work)
    out: Real = where(overlap == 1, shared, hidden)
    return out
