"""Claims about AWS Trainium (C27-C30): chip, instance and UltraServer peaks from the catalog;
C29's price-performance served through the inference cost model on fixed plans."""

from __future__ import annotations

import re

from wafersim.catalog import Catalog, Chip
from wafersim.catalog.system import System, resolve
from wafersim.claims.claim import ClaimText, Evaluation, Figure, Verdict, claim
from wafersim.claims.readings import (
    ABOUT,
    OUTPUT,
    SPEC,
    TPOT_SLO_S,
    FixedPlan,
    near,
    peak,
    plan_words,
    ratio,
    served,
    times,
    value,
)
from wafersim.cost.infer.result import InferResult
from wafersim.cost.kernels.economics import serving_economics
from wafersim.units import HOUR_S, fmt

GIB = 2**30


# ---- C27: Trainium2 against H100, chip for chip -----------------------------------------------

def _chip_specs(chip: Chip) -> tuple[float | None, float | None, float | None]:
    """Dense FP8 peak, HBM bytes and HBM bandwidth of a chip."""
    return peak(chip, "fp8"), value(chip.hbm_bytes), value(chip.hbm_bandwidth_Bps)


@claim("C27", inputs=("trainium2", "h100-sxm"))
def c27(cat: Catalog, text: ClaimText) -> Evaluation:
    """The six spec figures from the two chips' catalog entries, and Trainium2 / H100 ratios."""
    chip = cat.typed("trainium2", Chip)
    trn, h100, process = _chip_specs(chip), _chip_specs(cat.typed("h100-sxm", Chip)), chip.process
    names = ("FP8 dense", "HBM", "HBM bandwidth")
    checks = {f"{who} {n}": (got, text.figure(f"{who} {n}")) for who, specs in
              (("Trainium2", trn), ("H100", h100)) for n, got in zip(names, specs, strict=True)}
    # AWS writes 96 GiB; the article's "96 GB" is read as the same 96 x 2^30 bytes
    got_hbm, said_hbm = checks["Trainium2 HBM"]
    checks["Trainium2 HBM"] = (got_hbm, said_hbm * GIB / 1e9)
    off = [f"{k} {v[0]:.3g} against {v[1]:.3g}" for k, v in checks.items() if not near(*v)]
    verdict = Verdict.does_not_hold if off else Verdict.holds
    said = "; ".join(off) if off else (
        f"the catalog gives Trainium2 {fmt(trn[0], 'flops_per_s')} FP8 dense, "
        f"{fmt(trn[1], 'bytes')} ({(trn[1] or 0) / GIB:g} GiB), {fmt(trn[2], 'Bps')}; H100 "
        f"{fmt(h100[0], 'flops_per_s')}, "
        f"{fmt(h100[1], 'bytes')}, {fmt(h100[2], 'Bps')}; Trainium2's process node and die "
        f"count: {process or 'not in the catalog'} (not checked)")
    units = ("flops_per_s", "bytes", "Bps")
    return Evaluation((
        Figure("FP8 dense peak, Trainium2 / H100", ratio(trn[0], h100[0]), "x"),
        Figure("HBM, Trainium2 / H100", ratio(trn[1], h100[1]), "x"),
        Figure("HBM bandwidth, Trainium2 / H100", ratio(trn[2], h100[2]), "x"),
        *(Figure(f"Trainium2 {n}", v, u) for n, v, u in zip(names, trn, units, strict=True)),
        *(Figure(f"H100 {n}", v, u) for n, v, u in zip(names, h100, units, strict=True))), (
        "trainium2 and h100-sxm as catalogued; dense FP8 (no sparsity) on both",
        "AWS gives Trainium2's memory in GiB (4 stacks of 24 GiB): the article's '96 GB' is read "
        "as 96 GiB",
        f"tolerance {SPEC:.0%} either side on each figure ('just under 2 PF' as 2 PF)"),
        verdict, said)


# ---- C28: Trn2 UltraServer peaks ---------------------------------------------------------------

@claim("C28", inputs=("trn2-ultraserver",))
def c28(cat: Catalog, text: ClaimText) -> Evaluation:
    """The UltraServer's chips and its FP8 dense and sparse peaks (chips x the chip's peaks)."""
    s = resolve(cat, "trn2-ultraserver")
    dense, sparse = s.peak_flops_per_s("fp8"), s.peak_flops_per_s("fp8", sparse=True)
    bf16_gain = ratio(s.peak_flops_per_s("bf16", sparse=True), s.peak_flops_per_s("bf16"))
    checks = {"chips": (float(s.devices), text.figure("chips")),
              "FP8 dense": (dense, text.figure("FP8 dense")),
              "FP8 sparse": (sparse, text.figure("FP8 sparse"))}
    off = [k for k, (got, stated) in checks.items() if not near(got, stated)]
    said = (f"{s.devices} chips, {fmt(dense, 'flops_per_s')} FP8 dense, {fmt(sparse, 'flops_per_s')} "
            f"FP8 sparse ({times(ratio(sparse, dense))} dense); the 4x sparsity gain applies to BF16 "
            f"({times(bf16_gain)}), whose dense rate is half of FP8's")
    return Evaluation((
        Figure("Trn2 UltraServer FP8 sparse peak", sparse, "flops_per_s"),
        Figure("Trn2 UltraServer FP8 dense peak", dense, "flops_per_s"),
        Figure("FP8 sparse / dense", ratio(sparse, dense), "x"),
        Figure("BF16 sparse / dense", bf16_gain, "x"),
        Figure("chips", float(s.devices), "count")), (
        "trn2-ultraserver: 64 trainium2 at the chip's catalogued peaks (AWS gives one sparse figure "
        "for FP8, FP16, BF16 and TF32)",
        f"tolerance {SPEC:.0%} either side on each figure"),
        Verdict.does_not_hold if off else Verdict.holds,
        (f"{', '.join(off)} not as stated: " if off else "") + said)


# ---- C29: Trn2 instance against an H200 instance ----------------------------------------------

SERVE_MODEL = "llama-3.1-70b"  # a common serving workload; AWS names none
PROMPT = 1024
TRN2_PLAN = FixedPlan(4)  # 4 replicas on 16 chips
H200_PLAN = FixedPlan(1)  # 8 replicas on 8 GPUs


def _hourly_rent(cat: Catalog, system_id: str, r: InferResult) -> float | None:
    """What renting the devices `r` runs on costs per hour (economics model, basis rental)."""
    system = resolve(cat, system_id).with_devices(r.devices).priced("rental")
    return serving_economics(system, HOUR_S).cost_usd


@claim("C29", inputs=("trn2-instance", "dgx-h200"), economy=("site",))
def c29(cat: Catalog, text: ClaimText) -> Evaluation:
    """Peak of 16 Trainium2; tokens/s of Llama 3.1 70B on a trn2 instance and on 8 x H200 under
    one rule; price-performance where both rental prices are known, else the break-even price."""
    trn = resolve(cat, "trn2-instance")
    dense = trn.peak_flops_per_s("fp8")
    t = served(cat, SERVE_MODEL, "trn2-instance", None, "fp8", TRN2_PLAN, PROMPT, "rental")
    h = served(cat, SERVE_MODEL, "dgx-h200", None, "fp8", H200_PLAN, PROMPT, "rental")
    speed = t.throughput_tokens_per_s / h.throughput_tokens_per_s
    h_rent = _hourly_rent(cat, "dgx-h200", h)
    gain = text.figure("price-performance gain low")
    break_even = None if h_rent is None else h_rent * speed / gain
    value = ratio(h.usd_per_million_tokens, t.usd_per_million_tokens)  # tokens per dollar
    spec_ok = near(dense, text.figure("dense")) and near(trn.devices, text.figure("chips"))
    said = (f"16 Trainium2 peak at {fmt(dense, 'flops_per_s')} FP8 dense; serving {SERVE_MODEL} "
            f"they give {times(speed)} the tokens/s of 8 x H200")
    if not spec_ok:
        verdict, missing = Verdict.does_not_hold, None
    elif value is None:
        verdict, missing = Verdict.cannot_be_checked, (
            "the trn2.48xlarge hourly price, on the same basis as the 8 x H200 price "
            f"({fmt(h_rent, 'usd_per_hour')}): the claim's {gain - 1:.0%} holds if it is at most "
            f"{fmt(break_even, 'usd_per_hour')}")
    else:
        verdict = Verdict.holds if value >= gain * (1 - SPEC) else Verdict.does_not_hold
        missing, said = None, said + f"; price-performance {times(value)} that of H200"
    return Evaluation((
        Figure(f"trn2 hourly price at which it has {gain - 1:.0%} better price-performance",
               break_even, "usd_per_hour", f"8 x H200 price x tokens/s ratio / {gain:g}"),
        Figure("price-performance, trn2 / H200 (tokens per dollar)", value, "x",
               "basis rental on both sides" if value is not None
               else "trn2 rental price not in the catalog"),
        Figure("tokens/s, trn2 instance / 8 x H200", speed, "x"),
        Figure("trn2 instance tokens/s", t.throughput_tokens_per_s, "tokens/s", f"batch {t.batch}"),
        Figure("8 x H200 tokens/s", h.throughput_tokens_per_s, "tokens/s", f"batch {h.batch}"),
        Figure("8 x H200 hourly price", h_rent, "usd_per_hour",
               "EC2 capacity block (dgx-h200), basis rental"),
        Figure("8 x H200 $ per million tokens, rented", h.usd_per_million_tokens, "usd"),
        Figure("trn2 instance FP8 dense peak", dense, "flops_per_s")), (
        f"{SERVE_MODEL} at FP8 weights and KV cache, {PROMPT:,} prompt and {OUTPUT:,} output "
        f"tokens, the largest batch with every token within {TPOT_SLO_S * 1e3:.0f} ms, on both",
        f"trn2-instance ({trn.devices} Trainium2): {plan_words(t)}; dgx-h200 (as EC2 P5e, "
        f"{h.devices} x H200): {plan_words(h)}",
        "price-performance = tokens per dollar on basis rental on both sides (the economics "
        "model's hourly price x time, which covers hardware, facility and power), the basis AWS "
        "quotes; the H200 price is a capacity-block snapshot"), verdict, said, missing=missing, reading=(
        f"same model, precision (FP8), batch rule ({TPOT_SLO_S * 1e3:.0f} ms per token) and cost "
        "basis (rental per "
        "instance-hour) on both sides; AWS does not say which workload its 30-40% is measured on"))


# ---- C30: Trainium3 UltraServers against Trn2 --------------------------------------------------

def _best_sparse(system: System) -> tuple[float | None, str]:
    """The highest sparse peak of the system at any precision, and that precision."""
    peaks = {str(p): system.total(q) for p, q in system.chip.peak_sparse_flops_per_s.items()}
    known = {p: v for p, v in peaks.items() if v is not None}
    if not known:
        return None, "no sparse rate"
    top = max(known.values())
    return top, "/".join(p for p, v in known.items() if v == top)


def _nm(process: str | None) -> float | None:
    """The node size in nm named in a process string ('TSMC 3 nm (N3E ...)' -> 3)."""
    found = re.search(r"(\d+(?:\.\d+)?)\s*nm", process or "")
    return None if found is None else float(found.group(1))


def _c30_parts(text: ClaimText, r1: float | None, r2: float | None, sparse: float | None,
               nm: float | None, efficiency: float | None) -> dict[str, bool | None]:
    """Each part of the claim: True (holds), False (does not), None (not computable)."""
    four = text.figure("UltraServer performance ratio")
    sparse_said = text.figure("sparse UltraServer performance")
    gain = text.figure("efficiency gain")
    process = text.figure("process")
    return {f"{four:g}x performance": near(r2, four, ABOUT) or near(r1, four, ABOUT),
            f"over {fmt(sparse_said, 'flops_per_s')} sparse": (sparse or 0) >= sparse_said * (1 - SPEC),
            f"{process:g} nm": None if nm is None else near(nm, process),
            f"{gain - 1:.0%} better efficiency": (None if efficiency is None
                                                  else near(efficiency, gain, ABOUT))}


@claim("C30", inputs=("trn3-ultraserver-144", "trn3-ultraserver", "trn2-ultraserver"))
def c30(cat: Catalog, text: ClaimText) -> Evaluation:
    """Trn3 UltraServer (64 and 144 chips) peaks against the Trn2 UltraServer's FP8 dense; the
    best sparse peak; the process node; FLOP/s per watt where the catalog has both powers."""
    trn2, gen1, gen2 = (resolve(cat, i) for i in ("trn2-ultraserver", "trn3-ultraserver",
                                                   "trn3-ultraserver-144"))
    base = trn2.peak_flops_per_s("fp8")
    r1, r2 = ratio(gen1.peak_flops_per_s("fp8"), base), ratio(gen2.peak_flops_per_s("fp8"), base)
    sparse, sparse_p = _best_sparse(gen2)
    nm = _nm(gen2.chip.process)
    efficiency = ratio(ratio(gen2.peak_flops_per_s("fp8"), gen2.power_W), ratio(base, trn2.power_W))
    parts = _c30_parts(text, r1, r2, sparse, nm, efficiency)
    failed = [k for k, ok in parts.items() if ok is False]
    unknown = [k for k, ok in parts.items() if ok is None]
    verdict = (Verdict.does_not_hold if failed else Verdict.cannot_be_checked if unknown
               else Verdict.holds)
    said = (f"the 144-chip UltraServer is {times(r2)} the Trn2 UltraServer's FP8 peak, the 64-chip "
            f"one {times(r1)}; the best sparse peak is {fmt(sparse, 'flops_per_s')} ({sparse_p}); "
            f"process {'unknown' if nm is None else f'{nm:g} nm'}; FLOP/s per watt against "
            f"Trn2: {times(efficiency)}")
    return Evaluation((
        Figure("FP8 dense peak, 144-chip Trn3 UltraServer / Trn2 UltraServer", r2, "x"),
        Figure("FP8 dense peak, 64-chip Trn3 UltraServer / Trn2 UltraServer", r1, "x"),
        Figure("144-chip Trn3 UltraServer FP8 dense peak", gen2.peak_flops_per_s("fp8"), "flops_per_s"),
        Figure("144-chip Trn3 UltraServer best sparse peak", sparse, "flops_per_s", sparse_p),
        Figure("Trainium3 process node", nm, "nm", gen2.chip.process or ""),
        Figure("FP8 FLOP/s per watt, 144-chip Trn3 / Trn2 UltraServer", efficiency, "x",
               "" if efficiency is not None else "power not in the catalog for either UltraServer")), (
        "trn3-ultraserver (Gen1, 64 chips) and trn3-ultraserver-144 (Gen2, 144 chips) as shipped "
        "(AWS documentation, after the article's December 2024 projection), against "
        "trn2-ultraserver, all at the FP8 (MXFP8 on Trainium3) dense peak",
        "sparse: the highest sparse peak Trainium3 lists at any precision",
        f"tolerance {ABOUT:.0%} on the multipliers, {SPEC:.0%} on the sparse peak and the process"),
        verdict, ("fails on " + ", ".join(failed) + ": " if failed else "") + said
        + (f"; not computable: {', '.join(unknown)}" if unknown else ""),
        missing=None if verdict is not Verdict.cannot_be_checked else (
            "the power of the Trn2 and Trn3 UltraServers (AWS publishes neither)"),
        reading="the multiplier compares FP8 dense peaks of whole UltraServers: "
        f"{times(r2)} for the 144-chip Gen2 UltraServer, {times(r1)} for the 64-chip Gen1 of the "
        "Trn2 UltraServer's size")
