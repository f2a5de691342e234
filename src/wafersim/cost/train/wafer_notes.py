"""The assumption notes of a weight-streaming result: which activations home and recompute mode it
assumes, why, its sources, and what the alternatives would have given."""

from __future__ import annotations

from wafersim.cost.train.result import TrainResult
from wafersim.plan.train import StreamingPlan

SRAM_SOURCES = ("documented: 'activations stay present on wafer' (ALCF SC24 tutorial), 'we store "
                "weights in external memory and activations in on-chip memory' (Cerebras blog, "
                "HN 38459509)")
OFFLOAD_SOURCES = ("not documented for training: ALCF's CS-3 cluster lists activation servers and "
                   "Model Zoo a per-device num_act_servers, without saying what they hold")


def _plan(r: TrainResult) -> StreamingPlan:
    assert isinstance(r.plan, StreamingPlan)
    return r.plan


def mechanism_notes(best: TrainResult, others: list[TrainResult], activations: str,
                    recompute: str, seq_len: int, io_Bps: float) -> tuple[str, ...]:
    """Notes on the activations home and the recompute mode of `best`, with the alternatives."""
    return (_activations_note(best, others, activations, seq_len, io_Bps),
            _recompute_note(best, recompute))


def _activations_note(best: TrainResult, others: list[TrainResult], activations: str,
                      seq_len: int, io_Bps: float) -> str:
    p = _plan(best)
    tokens = p.micro_batch * seq_len
    if p.activations == "sram":
        text = (f"activations held in wafer SRAM ({SRAM_SOURCES}): every layer's stored "
                f"activations of a micro-batch share it with the weight buffer, capping a weight "
                f"pass at {p.micro_batch_cap} sequences; this pass: {tokens:,.0f} tokens")
    else:
        off = best.memory.get("offwafer_activations", 0.0)
        text = (f"activations offloaded ({OFFLOAD_SOURCES}): each layer's stored activations "
                f"leave over the {io_Bps / 1e9:.0f} GB/s system I/O in the forward pass and return "
                f"in the backward pass, sharing the ingress with the weights; SRAM holds one "
                f"layer's working set, capping a weight pass at {p.micro_batch_cap} sequences; "
                f"this pass: {tokens:,.0f} tokens; {off / 1e9:,.1f} GB off-wafer per system, "
                "activation-server capacity not catalogued (not checked)")
    why = {"auto": "picked by activations auto as the faster feasible",
           "sram": "the documented default; activations offload or auto give the alternative",
           "offload": "as asked"}[activations]
    other = next((r for r in others if _plan(r).activations != p.activations), None)
    alt = ("; the other home " + _figure(other, "") if other else
           "; the other home is infeasible or not catalogued here")
    return f"{text} ({why}){alt}"


def _figure(r: TrainResult, prefix: str) -> str:
    p = _plan(r)
    return (f"{prefix}({p.activations}, recompute {p.recompute}, {p.micro_batch:.3g} sequences "
            f"per pass) would take {r.step_time_s:.4g} s per step, MFU {r.mfu:.1%}")


def _recompute_note(best: TrainResult, recompute: str) -> str:
    p = _plan(best)
    what = {"full": "only each layer's input is kept and its forward pass is recomputed in the "
                    "backward pass (+1/3 compute, larger micro-batches)",
            "none": "every activation the backward pass needs is kept (no extra compute)",
            "selective": "equal to none on a wafer: attention is fused, no scores are kept"}
    how = "the faster of none and full (recompute auto)" if recompute == "auto" else "as asked"
    return (f"recompute {p.recompute}: {what[p.recompute]}; {how}; Cerebras's compiler picks "
            "recompute regions itself (Model Zoo recompute_api.py)")
