"""Claims about Cerebras systems (C11-C13): MemoryX sizes, code size, Condor Galaxy's peaks
and scaling. Registered when `claims.cerebras` is imported."""

from __future__ import annotations

from wafersim import api
from wafersim.catalog import Catalog, Chip, MemoryService
from wafersim.catalog.system import resolve
from wafersim.claims.claim import ClaimText, Evaluation, Figure, Verdict, claim
from wafersim.claims.common import value_of
from wafersim.ops.memory import training_state

SIZES = ("enterprise small", "enterprise large", "hyperscale small", "hyperscale large",
         "cs-2 small", "cs-2 large")
CONDOR = ("condor-galaxy-1", "condor-galaxy-2", "condor-galaxy-3")
# Llama 2 70B's own recipe (Touvron et al. 2023): 4 M-token batches of 4,096-token sequences
SCALING_RUN = {"model": "llama-2-70b", "tokens": 2e12, "global_batch": 1024, "seq_len": 4096}
NEAR_LINEAR = 0.9  # scaling efficiency counted as "near-perfectly linear"


def _memoryx(cat: Catalog, capacity: float) -> MemoryService | None:
    """The catalog's memory service of that capacity (within 1%), if any."""
    found = [m for m in cat.of_kind(MemoryService)
             if m.capacity_bytes.value is not None and abs(m.capacity_bytes.value / capacity - 1) < 0.01]
    return found[0] if found else None


@claim("C11", inputs=("memoryx-1200tb", "h100-sxm", "dgx-h100"))
def c11(cat: Catalog, text: ClaimText) -> Evaluation:
    """MemoryX sizes in the catalog; parameters 1,200 TB holds against 10,000 GPU nodes' HBM."""
    missing = [name for name in SIZES if _memoryx(cat, text.figure(name)) is None]
    state = training_state("bf16", "adam").total
    memoryx = value_of(cat.typed("memoryx-1200tb", MemoryService).capacity_bytes)
    nodes = text.figure("gpu cluster nodes")
    gpu_hbm = value_of(cat.typed("h100-sxm", Chip).hbm_bytes) * nodes
    dgx = resolve(cat, "dgx-h100")
    dgx_hbm = value_of(dgx.chip.hbm_bytes) * dgx.devices * nodes
    host = value_of(dgx.node.host_memory_bytes if dgx.node else None, "dgx-h100 host memory") * nodes
    per_gpu, per_dgx = memoryx / gpu_hbm, memoryx / dgx_hbm
    figures = (Figure("1,200 TB MemoryX / HBM of 10,000 H100", per_gpu, "x"),
               Figure("1,200 TB MemoryX / HBM of 10,000 DGX H100 (80,000 GPUs)", per_dgx, "x"),
               Figure("parameters 1,200 TB holds with Adam state", memoryx / state, "count"),
               Figure("parameters the HBM of 10,000 H100 holds", gpu_hbm / state, "count"),
               Figure("parameters the HBM of 10,000 DGX H100 holds", dgx_hbm / state, "count"),
               Figure("host memory of 10,000 DGX H100", host, "bytes", "where ZeRO-Offload can keep state"),
               Figure("stated MemoryX sizes missing from the catalog", len(missing), "count"))
    assumptions = (f"training state {state:g} bytes per parameter (bf16 weights and gradients, fp32 "
                   "master weights and Adam moments; ops.memory.training_state), the same on both sides",
                   "GPU parameters held in HBM (h100-sxm 80 GB), as GPU training keeps them",
                   "MemoryX sizes as catalogued; the 24, 36 and 120 TB entries cite this claim "
                   "itself (no primary Cerebras page), so their presence checks little")
    reading = (f"like for like is training state in the memory that holds it: {memoryx / state / 1e12:.0f} T "
               f"parameters in 1,200 TB against {gpu_hbm / state / 1e12:.0f} T in the HBM of 10,000 "
               f"H100 ({per_gpu:.1f}x) or {dgx_hbm / state / 1e12:.0f} T in 10,000 8-GPU nodes "
               f"({per_dgx:.2f}x); with host-memory offload the nodes hold {host / 1e15:.0f} PB more")
    if missing:
        return Evaluation(figures, assumptions, Verdict.does_not_hold,
                          f"the catalog has no MemoryX of the stated {', '.join(missing)} size",
                          reading=reading)
    if per_dgx >= 1:
        return Evaluation(figures, assumptions, Verdict.holds, "1,200 TB exceeds even 10,000 "
                          "8-GPU nodes' HBM", reading=reading)
    if per_gpu >= 1:
        return Evaluation(figures, assumptions, Verdict.holds_only_if,
                          f"every stated size is catalogued; 1,200 TB is {per_gpu:.1f}x the HBM of "
                          f"10,000 H100 but {per_dgx:.2f}x that of 10,000 DGX H100",
                          condition="a GPU 'node' is one 80 GB GPU; with 8-GPU nodes the cluster "
                                    f"holds {1 / per_dgx:.1f}x more", reading=reading)
    return Evaluation(figures, assumptions, Verdict.does_not_hold,
                      f"1,200 TB is only {per_gpu:.2f}x the HBM of 10,000 H100", reading=reading)


@claim("C12")
def c12(cat: Catalog, text: ClaimText) -> Evaluation:
    """Lines of code are not a performance quantity: the claim cannot be checked here."""
    implied = text.figure("gpt-3 lines") / (1 - text.figure("code reduction"))
    figures = (Figure("lines of code of a GPT-3 model", None, "lines",
                      "wafersim models time, memory and cost, not code"),
               Figure("GPU lines the two stated figures imply", implied, "lines",
                      "565 / (1 - 0.97), arithmetic on the claim's own figures"))
    return Evaluation(
        figures, ("no catalog or model figure bears on code size",), Verdict.cannot_be_checked,
        "a performance simulator cannot count lines of code",
        missing="the two code bases counted the same way: Cerebras's GPT-3 in its Model Zoo "
                "(565 lines) and a GPU GPT-3 with the same features (e.g. Megatron-LM with its "
                "tensor and pipeline parallel code, about 18,800 lines if 97% less holds), "
                "both excluding the framework underneath")


def _scaling(cat: Catalog) -> float:
    """Speed-up of Llama 2 70B training from one CS-3 to CG-3's 64, over 64."""
    one = api.train(**SCALING_RUN, system="condor-galaxy-3", count=1, catalog=cat)  # type: ignore[arg-type]
    full = api.train(**SCALING_RUN, system="condor-galaxy-3", catalog=cat)  # type: ignore[arg-type]
    return one.step_time_s / full.step_time_s / full.devices


@claim("C13", inputs=CONDOR)
def c13(cat: Catalog, text: ClaimText) -> Evaluation:
    """Condor Galaxy's exaFLOPs (sparse and dense) and its weight-streaming scaling, 1 to 64 CS-3."""
    systems = [resolve(cat, c) for c in CONDOR]
    sparse = [value_of(s.chip.peak_sparse_flops_per_s.get("fp16")) * s.devices  # type: ignore[call-overload]
              for s in systems]
    dense = [s.peak_flops_per_s("fp16") or 0.0 for s in systems]
    efficiency = _scaling(cat)
    memory = systems[2].memory_service
    held = value_of(memory.capacity_bytes if memory else None, "CG-3 MemoryX") \
        / training_state("bf16", "adam").total
    stated = {"CG-1 + CG-2": (sparse[0] + sparse[1], text.figure("cg-1 + cg-2")),
              "CG-3": (sparse[2], text.figure("cg-3")), "total": (sum(sparse), text.figure("total"))}
    figures = (Figure("scaling efficiency, Llama 2 70B from 1 to 64 CS-3 (CG-3)", efficiency, "fraction",
                      "speed-up / 64 at a fixed 1,024 x 4,096-token batch"),
               Figure("CG-1 + CG-2 + CG-3 sparse 'AI' FP16 peak", sum(sparse), "flops_per_s"),
               Figure("CG-1 + CG-2 sparse 'AI' FP16 peak", sparse[0] + sparse[1], "flops_per_s"),
               Figure("CG-3 sparse 'AI' FP16 peak", sparse[2], "flops_per_s"),
               Figure("CG-1 + CG-2 + CG-3 dense FP16 peak", sum(dense), "flops_per_s",
                      "PEs x SIMD x clock per wafer, 1.1 GHz"),
               Figure("parameters CG-3's MemoryX holds with Adam state", held, "count",
                      f"{memory.id if memory else '-'}, 16 bytes per parameter"))
    assumptions = ("64 CS-2 in each of CG-1 and CG-2, 64 CS-3 in CG-3 (catalog); peaks = systems x "
                   "the wafer's FP16 peak, sparse (vendor 'AI') or dense (derived)",
                   "scaling: Llama 2 70B, Llama 2's batch (1,024 sequences of 4,096 tokens) held "
                   "fixed, weight streaming from MemoryX over SwarmX, as wafersim train computes it",
                   f"near-linear taken as a scaling efficiency of at least {NEAR_LINEAR:.0%}",
                   "CG-3's MemoryX: the cs-3 default (no size is published for CG-3)")
    wrong = [f"{k} {got / 1e18:.1f} EF sparse against {want / 1e18:g}" for k, (got, want) in stated.items()
             if abs(got / want - 1) > 0.05]
    if held < text.figure("memoryx params"):
        wrong.append(f"CG-3's MemoryX holds only {held / 1e9:.0f} B parameters")
    if efficiency < NEAR_LINEAR:
        wrong.append(f"scaling efficiency {efficiency:.0%} at 64 CS-3")
    if wrong:
        return Evaluation(figures, assumptions, Verdict.does_not_hold, "; ".join(wrong))
    return Evaluation(figures, assumptions, Verdict.holds_only_if,
                      f"the sparse peaks add up to {sum(sparse) / 1e18:.0f} EF and 64 CS-3 train "
                      f"Llama 2 70B at {efficiency:.0%} scaling efficiency; its MemoryX holds "
                      f"{held / 1e12:.1f} T parameters",
                      condition=f"the exaFLOPs count sparse 'AI' FLOPs: the dense FP16 peak of the "
                                f"three is {sum(dense) / 1e18:.1f} EF")
