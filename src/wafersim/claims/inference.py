"""Claims about serving (C17-C19, C26, C32): figures from the inference cost models.

Every speed is `wafersim.infer` at a fixed batch (1,024 prompt + 1,024 output tokens, 16-bit
weights and KV cache unless a figure says otherwise); comparisons run both sides the same way.
"""

from __future__ import annotations

from wafersim.api import infer, infer_models
from wafersim.catalog import Catalog, Chip, Precision
from wafersim.catalog.system import resolve
from wafersim.claims.claim import ClaimText, Evaluation, Figure, Verdict, claim
from wafersim.claims.common import value_of
from wafersim.cost.infer.common import Serving
from wafersim.cost.infer.hbm import HBM_USABLE_FRACTION
from wafersim.cost.infer.hbm_points import devices_needed
from wafersim.cost.infer.result import InferResult
from wafersim.errors import InfeasiblePlan
from wafersim.models import load_model

TOLERANCE = 0.10  # a stated ratio met within 10% counts as met
SLOW_FLOOR = 0.5  # an H100 slower than half a tuned stack's speed is not a fair opponent
NOTHING_LOST = 0.05  # "loses nothing": within 5% of the batch-1 speed
ABOUT = 0.25  # "about N devices": within 25% of N
TOKENS = "1,024 prompt and 1,024 output tokens per request"


def _run(cat: Catalog, model: str, system: str, **kw: object) -> InferResult:
    return infer(model, system, catalog=cat, **kw)  # type: ignore[arg-type]


def _notes(*results: InferResult, words: tuple[str, ...] = ("efficiency", "SRAM")) -> tuple[str, ...]:
    """The results' assumptions that mention any of `words`, each once."""
    seen = dict.fromkeys(a for r in results for a in r.assumptions if any(w in a for w in words))
    return tuple(seen)


def _tps(name: str, r: InferResult, note: str = "") -> Figure:
    return Figure(name, r.user_tokens_per_s, "tokens/s", note)


# --- C17 ------------------------------------------------------------------------------------

def _c17_verdict(ratio: float, needed: float, h100: float, stated: float) -> tuple[Verdict, str, str | None]:
    """holds within TOLERANCE of the stated ratio; else holds-only-if the H100 speed the ratio
    needs is at least SLOW_FLOOR of a tuned stack's; else does-not-hold."""
    if ratio >= stated * (1 - TOLERANCE):
        return (Verdict.holds, f"One CS-3 is {ratio:.1f}x one H100 at the same precision and batch.",
                None)
    if needed >= SLOW_FLOOR * h100:
        return (Verdict.holds_only_if,
                f"Like for like one CS-3 is {ratio:.1f}x one H100, short of {stated:g}x, which "
                f"needs an H100 serving {needed:.0f} tokens/s per user.",
                f"The H100 side serves at most {needed:.0f} tokens/s per user, "
                f"{1 - needed / h100:.0%} under the {h100:.0f} a tuned bf16 stack gives: a slow or "
                "shared deployment, not what the chip does.")
    return (Verdict.does_not_hold,
            f"{stated:g}x needs an H100 at {needed:.0f} tokens/s per user, under "
            f"{SLOW_FLOOR:.0%} of a tuned stack's {h100:.0f}.", None)


@claim("C17", inputs=("cs-3", "dgx-h100"))
def c17(cat: Catalog, text: ClaimText) -> Evaluation:
    """Per-user decode speed of Llama 3.1 8B on one CS-3 against one H100 (bf16, fp8) and a
    DGX H100 at tensor parallel 8, all at batch 1."""
    stated, model = text.figure("speed-up"), "llama-3.1-8b"
    wafer = _run(cat, model, "cs-3")
    bf16 = _run(cat, model, "h100-sxm")
    fp8 = _run(cat, model, "h100-sxm", precision="fp8")
    dgx = _run(cat, model, "dgx-h100", tp=8)
    w, h = wafer.user_tokens_per_s, bf16.user_tokens_per_s
    needed = w / stated
    verdict, sentence, condition = _c17_verdict(w / h, needed, h, stated)
    figures = (
        Figure("speed-up CS-3 / H100 (bf16, batch 1)", w / h, "x", "like for like"),
        _tps("CS-3 per-user speed", wafer, "1 wafer, weights in SRAM"),
        _tps("H100 per-user speed, bf16", bf16),
        Figure("speed-up CS-3 / H100 fp8", w / fp8.user_tokens_per_s, "x",
               f"H100 at fp8 weights: {fp8.user_tokens_per_s:.0f} tokens/s"),
        Figure("speed-up CS-3 / DGX H100 tp 8", w / dgx.user_tokens_per_s, "x",
               f"8 H100, tensor parallel 8: {dgx.user_tokens_per_s:.0f} tokens/s"),
        Figure(f"H100 speed {stated:g}x needs", needed, "tokens/s",
               f"{needed / h:.0%} of a tuned bf16 H100"))
    reading = (f"Both sides at bf16 weights and KV cache, batch 1, the speed one "
               f"user sees, each at its serving stack's calibrated efficiency: {w / h:.1f}x. "
               f"The article's H100 is an Azure endpoint whose stack and precision it does not "
               f"give; an H100 at fp8 narrows it to {w / fp8.user_tokens_per_s:.1f}x, a DGX H100 "
               f"at tensor parallel 8 to {w / dgx.user_tokens_per_s:.1f}x.")
    return Evaluation(figures, (
        f"Llama 3.1 8B, {TOKENS}, batch 1 on every side",
        "CS-3: the whole model in one wafer's SRAM; H100: decode from the calibrated GEMM roofline",
        *_notes(wafer, bf16)), verdict, sentence, condition=condition, reading=reading)


# --- C18 ------------------------------------------------------------------------------------

@claim("C18", inputs=("cs-3", "dgx-h100"))
def c18(cat: Catalog, text: ClaimText) -> Evaluation:
    """Llama 3.1 70B on the fewest CS-3 that hold it against a DGX H100: per user at batch 1,
    and in total at the largest batch each system's memory holds."""
    model = "llama-3.1-70b"
    wafer, dgx = _run(cat, model, "cs-3"), _run(cat, model, "dgx-h100", tp=8)
    wafer_full = _run(cat, model, "cs-3", batch=wafer.max_batch)
    dgx_full = _run(cat, model, "dgx-h100", tp=8, batch=dgx.max_batch)
    per_user = wafer.user_tokens_per_s / dgx.user_tokens_per_s
    total = wafer_full.throughput_tokens_per_s / dgx_full.throughput_tokens_per_s
    figures = (
        Figure("per-user speed-up CS-3 / DGX H100", per_user, "x", "batch 1 on both"),
        Figure("wafers holding the model", wafer.devices, "wafers", "fewest, weights in SRAM"),
        _tps("CS-3 per-user speed", wafer, f"{wafer.devices} wafers"),
        _tps("DGX H100 per-user speed", dgx, f"8 H100, tp {dgx.plan.to_json()['tp']}"),
        Figure("total throughput ratio CS-3 / DGX H100", total, "x",
               f"{wafer_full.throughput_tokens_per_s:,.0f} tokens/s at {wafer_full.batch} requests "
               f"against {dgx_full.throughput_tokens_per_s:,.0f} at {dgx_full.batch}"),
        _tps("DGX H100 per-user speed at its largest batch", dgx_full, f"{dgx_full.batch} requests"))
    verdict, sentence, condition = _c18_verdict(per_user, total, wafer, text)
    reading = ("bf16 weights and KV cache on both sides; per-user speed at batch 1, "
               "total output tokens/s at the largest batch each system's memory holds (the same "
               f"batch rule). Per user the wafers are {per_user:.1f}x; in total {total:.2f}x. "
               f"{wafer.devices} CS-3 are set against one 8-GPU node, not an equal cost.")
    return Evaluation(figures, (
        f"Llama 3.1 70B, {TOKENS}",
        "CS-3: the fewest wafers whose SRAM holds the weights and one request's KV cache",
        "DGX H100: tensor parallel 8 over the node (the plan a search picks at batch 1)",
        *_notes(wafer, dgx)), verdict, sentence, condition=condition, reading=reading)


def _c18_verdict(per_user: float, total: float, wafer: InferResult,
                 text: ClaimText) -> tuple[Verdict, str, str | None]:
    wafers, stated = wafer.devices, text.figure("wafers")
    if wafers > stated:
        return Verdict.does_not_hold, f"The model needs {wafers} wafers, not {stated:g}.", None
    if per_user <= text.figure("speed-up"):
        return Verdict.does_not_hold, f"Per user the wafers give {per_user:.2f}x a DGX H100.", None
    if total > 1:
        return Verdict.holds, f"Faster per user ({per_user:.1f}x) and in total ({total:.2f}x).", None
    return (Verdict.holds_only_if,
            f"{wafers} CS-3 are {per_user:.1f}x a DGX H100 per user but {total:.2f}x in total: "
            f"their SRAM holds {wafer.max_batch} requests.",
            "'Faster' means the speed one user sees, not the tokens/s the systems serve in total.")


# --- C19 ------------------------------------------------------------------------------------

PAIR = "llama-3.1-8b,llama-2-7b"  # two 7-8B models of different shapes


def _pair(cat: Catalog, first: InferResult) -> tuple[Figure, ...]:
    """Two models resident on one wafer, each model's per-user speed against it alone (`first`:
    the first model alone at batch 1)."""
    try:
        both = infer_models(PAIR, "cs-3", count=1, catalog=cat)
    except InfeasiblePlan as exc:
        return (Figure("models resident on one wafer", None, "models", str(exc)),)
    out = [Figure("models resident on one wafer", len(both.models), "models", PAIR)]
    for m in both.models:
        alone = (first if m.model == first.model else _run(cat, m.model, "cs-3")).user_tokens_per_s
        out.append(Figure(f"{m.model} per-user speed sharing the wafer", m.user_tokens_per_s,
                          "tokens/s", f"{m.user_tokens_per_s / alone:.0%} of its speed alone "
                          f"({m.plan.to_json()['pe_share']:.0%} of the PEs)"))
    return tuple(out)


@claim("C19", inputs=("cs-3",))  # the H100 figures are a reference, not the verdict's
def c19(cat: Catalog, text: ClaimText) -> Evaluation:
    """Per-user speed and total throughput of Llama 3.1 8B on one CS-3 at batch 1 and at the
    pipeline depth (one request per layer stage), an H100 alike, and two models sharing a wafer."""
    model = "llama-3.1-8b"
    one = _run(cat, model, "cs-3")
    depth = int(one.plan.to_json()["pipeline_stages"])
    full, most = _run(cat, model, "cs-3", batch=depth), _run(cat, model, "cs-3", batch=one.max_batch)
    gpu1, gpu = _run(cat, model, "h100-sxm"), _run(cat, model, "h100-sxm", batch=depth)
    kept = full.user_tokens_per_s / one.user_tokens_per_s
    busy = one.throughput_tokens_per_s / full.throughput_tokens_per_s
    gpu_busy = gpu1.throughput_tokens_per_s / gpu.throughput_tokens_per_s
    pair = _pair(cat, one)
    figures = (
        Figure(f"per-user speed at {depth} requests / at 1", kept, "x", "one CS-3"),
        _tps("CS-3 per-user speed at batch 1", one),
        _tps(f"CS-3 per-user speed at {one.max_batch} requests (SRAM full)", most,
             f"{most.throughput_tokens_per_s:,.0f} tokens/s in total"),
        Figure("CS-3 throughput at batch 1 / at the pipeline depth", busy, "x",
               f"{one.throughput_tokens_per_s:,.0f} against {full.throughput_tokens_per_s:,.0f} tokens/s"),
        Figure(f"H100 per-user speed at {depth} requests / at 1",
               gpu.user_tokens_per_s / gpu1.user_tokens_per_s, "x"),
        Figure("H100 throughput at batch 1 / at the pipeline depth", gpu_busy, "x"),
        *pair)
    verdict, sentence, condition = _c19_verdict(kept, busy, gpu_busy, depth, pair[0])
    return Evaluation(figures, (
        f"Llama 3.1 8B, {TOKENS}, bf16",
        f"every layer a pipeline stage: {depth} stages, each working on a different request",
        "models sharing a wafer each get a share of the PEs by their bytes",
        *_notes(one, gpu1)), verdict, sentence, condition=condition,
        reading=f"One CS-3 and one H100, bf16, the same batches (1 and {depth}).")


def _c19_verdict(kept: float, busy: float, gpu_busy: float, depth: int,
                 pair: Figure) -> tuple[Verdict, str, str | None]:
    if pair.value is None or pair.value < 2:
        return Verdict.does_not_hold, "Two 7-8B models do not fit one wafer's SRAM together.", None
    if kept < 1 - NOTHING_LOST:
        return (Verdict.does_not_hold,
                f"At {depth} requests each user gets {kept:.0%} of the batch-1 speed.", None)
    if busy >= 0.5:
        return (Verdict.holds,
                f"Batch 1 keeps {kept:.0%} of the speed and {busy:.0%} of the throughput.", None)
    return (Verdict.holds_only_if,
            f"Up to {depth} users each keep {kept:.0%} of the batch-1 speed and two models share "
            f"a wafer, but one request alone gets {busy:.0%} of the throughput the wafer gives at "
            f"{depth} (an H100 at batch 1: {gpu_busy:.0%}).",
            "'Loses nothing' is read per user: batch 1 loses throughput on the wafer as it does "
            "on a GPU.")


# --- C26 ------------------------------------------------------------------------------------

def _fewest(cat: Catalog, model: str, precision: str, cap: int) -> tuple[int, int, InferResult | None]:
    """(memory bound, fewest H100 with a plan that runs, its result) at `precision`."""
    serving = Serving(precision=precision)
    bound = devices_needed(load_model(model), resolve(cat, "dgx-h100"), serving)
    for n in range(bound, cap + 1):
        try:
            return bound, n, _run(cat, model, "dgx-h100", count=n, precision=precision)
        except InfeasiblePlan:
            continue
    return bound, cap + 1, None


@claim("C26", inputs=("dgx-h100",))
def c26(cat: Catalog, text: ClaimText) -> Evaluation:
    """The fewest H100 that hold and run Grok-1 at bf16 and at fp8 weights, and its speed on
    one 8-GPU node."""
    model, stated = "grok-1", int(text.figure("devices"))
    spec, h100 = load_model(model), cat.typed("h100-sxm", Chip)
    cap = 4 * stated
    bound16, n16, r16 = _fewest(cat, model, "bf16", cap)
    bound8, n8, r8 = _fewest(cat, model, "fp8", cap)
    hbm = stated * value_of(h100.hbm_bytes, "h100-sxm HBM")
    usable = hbm * HBM_USABLE_FRACTION
    node = _run(cat, model, "dgx-h100", count=stated, precision="fp8") if n8 <= stated else None
    figures = (
        Figure("fewest H100 running it, bf16", n16, "H100", _plan_note(r16)),
        Figure("fewest H100 holding it, bf16 (memory alone)", bound16, "H100"),
        Figure("weights, bf16", spec.weight_bytes("bf16"), "B",
               f"against {usable / 1e9:,.0f} GB usable on {stated} H100"),
        Figure(f"share of {stated} H100's HBM the bf16 weights fill", spec.weight_bytes("bf16") / hbm,
               "fraction", "before any KV cache or activations"),
        Figure("fewest H100 running it, fp8", n8, "H100", _plan_note(r8)),
        Figure("fewest H100 holding it, fp8 (memory alone)", bound8, "H100"),
        Figure(f"per-user speed on {stated} H100, fp8", None if node is None else node.user_tokens_per_s,
               "tokens/s", "" if node is None else f"up to {node.max_batch} requests"),
        Figure("parameters", spec.params_total, "parameters", "model config"))
    verdict, sentence, condition = _c26_verdict(n16, n8, stated, spec.weight_bytes("bf16"), usable)
    return Evaluation(figures, (
        f"Grok-1 as the published config gives it ({spec.params_total / 1e9:.0f} B parameters, "
        "8 experts, 2 per token), " + TOKENS,
        f"{HBM_USABLE_FRACTION:.0%} of each H100's HBM for weights and KV cache",
        "a count runs when a tensor/pipeline/expert plan divides the model and holds one request",
        "the claim names no precision; KV cache at bf16"), verdict, sentence, condition=condition)


def _plan_note(r: InferResult | None) -> str:
    if r is None:
        return "no plan found"
    p = r.plan.to_json()
    return f"tp {p['tp']} pp {p['pp']} ep {p['ep']}, {r.user_tokens_per_s:.0f} tokens/s per user"


def _c26_verdict(n16: int, n8: int, stated: int, weights: float,
                 usable: float) -> tuple[Verdict, str, str | None]:
    def about(n: int) -> bool:
        return abs(n / stated - 1) <= ABOUT
    if about(n16):
        return Verdict.holds, f"At bf16 it runs on {n16} H100.", None
    if n8 <= stated:
        return (Verdict.holds_only_if,
                f"At bf16 its {weights / 1e9:,.0f} GB exceed the {usable / 1e9:,.0f} GB {stated} "
                f"H100 hold for weights and KV cache, and it needs {n16}; at fp8 {stated} H100 "
                f"run it (fewest {n8}).",
                "The weights are 8-bit (fp8), which the claim does not say.")
    return Verdict.does_not_hold, f"It needs {n16} H100 at bf16 and {n8} at fp8.", None


# --- C32 ------------------------------------------------------------------------------------

def _kernel_s(r: InferResult, phase: str = "decode") -> float:
    """Seconds per output token (decode) or to the first token (prefill) before the serving
    stack's calibrated share."""
    if phase == "prefill":
        return r.ttft_s - r.prefill_breakdown.get("serving_stack", 0.0)
    return r.tpot_s - r.decode_breakdown.get("serving_stack", 0.0)


@claim("C32", inputs=("h100-sxm", "h200-sxm"))
def c32(cat: Catalog, text: ClaimText) -> Evaluation:
    """Decode speed of Llama 3.1 8B on H200 against H100 (same compute, more bandwidth): the
    ratio against the bandwidth and FLOPS ratios, at batch 1 and at H100's largest batch."""
    model = "llama-3.1-8b"
    h100c, h200c = cat.typed("h100-sxm", Chip), cat.typed("h200-sxm", Chip)
    bw = value_of(h200c.hbm_bandwidth_Bps) / value_of(h100c.hbm_bandwidth_Bps)
    bf16 = Precision("bf16")
    flops = (value_of(h200c.peak_dense_flops_per_s.get(bf16))
             / value_of(h100c.peak_dense_flops_per_s.get(bf16)))
    h100, h200 = _run(cat, model, "h100-sxm"), _run(cat, model, "h200-sxm")
    big = h100.max_batch
    h100b, h200b = _run(cat, model, "h100-sxm", batch=big), _run(cat, model, "h200-sxm", batch=big)
    kernel, big_ratio = _kernel_s(h100) / _kernel_s(h200), _kernel_s(h100b) / _kernel_s(h200b)
    prefill = _kernel_s(h100, "prefill") / _kernel_s(h200, "prefill")

    def share_of(ratio: float) -> float:
        """How much of the bandwidth gain over the FLOPS gain a speed ratio shows."""
        return (ratio - flops) / (bw - flops) if bw != flops else 0.0
    e2e = h200.user_tokens_per_s / h100.user_tokens_per_s
    share = share_of(kernel)
    figures = (
        Figure("decode speed H200 / H100, batch 1", kernel, "x", "kernel level, same stack"),
        Figure("HBM bandwidth H200 / H100", bw, "x", "catalog, nominal"),
        Figure("dense bf16 FLOPS H200 / H100", flops, "x", "catalog"),
        Figure("share of the bandwidth gain reaching decode", share, "fraction",
               "(speed ratio - FLOPS ratio) / (bandwidth ratio - FLOPS ratio)"),
        Figure("decode speed H200 / H100, batch 1, calibrated stacks", e2e, "x",
               f"{h200.user_tokens_per_s:.0f} against {h100.user_tokens_per_s:.0f} tokens/s"),
        Figure(f"decode speed H200 / H100 at {big} requests", big_ratio, "x",
               f"kernel level, H100's largest batch; {share_of(big_ratio):.0%} of the bandwidth gain"),
        Figure("prefill speed H200 / H100, batch 1", prefill, "x",
               f"kernel level, one 1,024-token prompt; {share_of(prefill):.0%} of the bandwidth gain"),
        Figure("H100 HBM bandwidth", value_of(h100c.hbm_bandwidth_Bps), "B/s", "catalog"))
    if share >= 0.5:
        verdict, sentence = Verdict.holds, (
            f"With equal FLOPS ({flops:.2f}x) H200 decodes {kernel:.2f}x as fast: "
            f"{share:.0%} of its {bw:.2f}x bandwidth gain reaches the token rate (prefill, "
            f"which leans on FLOPS, gains {prefill:.2f}x).")
    else:
        verdict, sentence = Verdict.does_not_hold, (
            f"Only {share:.0%} of H200's {bw:.2f}x bandwidth gain reaches decode ({kernel:.2f}x).")
    reading = (f"Llama 3.1 8B at bf16, batch 1, the same serving stack on both "
               f"(kernel-level time): {kernel:.2f}x. With each chip's own calibrated serving "
               f"efficiency, fitted on different published runs, it is {e2e:.2f}x.")
    return Evaluation(figures, (
        f"Llama 3.1 8B, {TOKENS}, bf16 weights and KV cache",
        "decode: bytes over achieved HBM bandwidth and FLOPs over calibrated GEMM throughput, "
        "per-kernel and per-step costs that do not shrink with bandwidth",
        *_notes(h100, h200)), verdict, sentence, reading=reading)
