"""Claims about Cerebras hardware and systems (C1-C5, C11-C14, C16): figures from the catalog.

Peaks are read dense (PEs x SIMD x clock) unless a claim's figure is the vendor's sparse "AI"
one; comparisons with H100 set like against like (dense with dense, sparse with sparse, one
memory level with the same level) and give the article's reading beside it.
"""

from __future__ import annotations

import re

from wafersim.catalog import Catalog, Chip, Node
from wafersim.catalog.system import System, resolve
from wafersim.claims.claim import ClaimText, Evaluation, Figure, Verdict, claim
from wafersim.claims.common import ratio_verdict, value_of
from wafersim.cost.infer.common import Serving
from wafersim.cost.infer.wafer import wafer_fit, wafers_needed
from wafersim.errors import ConfigError
from wafersim.models import load_model
from wafersim.models.spec import bytes_per_param

TOLERANCE = 0.05  # a catalog figure within 5% of the stated one matches it


def peak(system: System, sparse: bool = False) -> float:
    """FP16 peak of the whole system (dense, or the vendor's sparse figure)."""
    got = system.peak_flops_per_s("fp16", sparse)
    if got is None:
        raise ConfigError(f"{system.id} has no {'sparse' if sparse else 'dense'} fp16 peak in the catalog")
    return got


def process_nm(chip: Chip) -> float:
    """The process node in nm, read from the catalog's process name ("TSMC 5 nm" -> 5)."""
    found = re.search(r"(\d+(?:\.\d+)?)\s*nm", chip.process or "")
    if found is None:
        raise ConfigError(f"{chip.id} has no process node in nm in the catalog")
    return float(found.group(1))


def near(got: float, stated: float, tolerance: float = TOLERANCE) -> bool:
    return abs(got - stated) <= tolerance * abs(stated)


def mismatches(pairs: dict[str, tuple[float, float]]) -> list[str]:
    """The names whose catalog figure is more than TOLERANCE off the stated one, with both."""
    return [f"{name} {got:.4g} against the stated {stated:.4g}"
            for name, (got, stated) in pairs.items() if not near(got, stated)]


def _specs(chip: Chip, text: ClaimText, memory: str) -> dict[str, tuple[float, float]]:
    """Transistors, process, cores and on-chip memory of `chip` against the stated figures."""
    return {"transistors": (value_of(chip.transistors_count), text.figure("transistors")),
            "process nm": (process_nm(chip), text.figure("process")),
            "cores": (value_of(chip.cores_count), text.figure("cores")),
            "SRAM bytes": (value_of(chip.sram_bytes), text.figure(memory))}


@claim("C1", inputs=("wse-3", "wse-2", "cs-3", "cs-2"))
def c1(cat: Catalog, text: ClaimText) -> Evaluation:
    """WSE-3 specs, its 125 PF (a sparse figure) and 2x WSE-2 at the same power and price."""
    wse3, wse2 = resolve(cat, "wse-3"), resolve(cat, "wse-2")
    cs3, cs2 = cat.typed("cs-3", Node), cat.typed("cs-2", Node)
    dense, sparse = peak(wse3), peak(wse3, sparse=True)
    perf, perf_sparse = dense / peak(wse2), sparse / peak(wse2, sparse=True)
    power = value_of(cs3.power_W, "cs-3 power") / value_of(cs2.power_W, "cs-2 power")
    price = value_of(cs3.price_usd, "cs-3 price") / value_of(cs2.price_usd, "cs-2 price")
    specs = _specs(wse3.chip, text, "sram")
    figures = (Figure("WSE-3 dense FP16 peak", dense, "flops_per_s",
                      "PEs x 8-wide FP16 SIMD x 2 x clock (catalog, derived)"),
               Figure("WSE-3 sparse 'AI' FP16 peak", sparse, "flops_per_s", "vendor figure (catalog)"),
               Figure("dense peak WSE-3 / WSE-2", perf, "x"),
               Figure("sparse peak WSE-3 / WSE-2", perf_sparse, "x"),
               Figure("system power CS-3 / CS-2", power, "x"),
               Figure("dense peak per watt CS-3 / CS-2", perf / power, "x"),
               Figure("system price CS-3 / CS-2", price, "x"),
               *(Figure(name, got, "nm" if "nm" in name else "bytes" if "bytes" in name else "count")
                 for name, (got, _) in specs.items()))
    assumptions = (
        "16-bit (FP16) peaks of wse-3 and wse-2; dense = PEs x SIMD width x 2 x clock (1.1 GHz, "
        "unverified, low end 0.85 GHz); sparse = the vendor's 'AI' figure, which presumes sparsity",
        "performance compared as peak FLOP/s of one wafer; measured training speed is claim C8",
        "power and price of the whole CS-3 and CS-2 systems (catalog, unverified ranges)",
        "transistors, process, cores and SRAM as catalogued (Tom's Hardware), an independent "
        "report of the same vendor figures")
    verdict, sentence, condition = _c1_verdict(text, specs, dense, sparse, perf, power, price)
    return Evaluation(figures, assumptions, verdict, sentence, condition=condition)


def _c1_verdict(text: ClaimText, specs: dict[str, tuple[float, float]], dense: float,
                sparse: float, perf: float, power: float,
                price: float) -> tuple[Verdict, str, str | None]:
    stated = text.figure("peak fp16")
    wrong = mismatches(specs)
    if not near(sparse, stated) and not near(dense, stated):
        wrong.append(f"FP16 peak: neither dense {dense:.3g} nor sparse {sparse:.3g} FLOP/s is 125 PF")
    if perf < text.figure("performance ratio") * (1 - TOLERANCE):
        wrong.append(f"the dense peak is {perf:.2f}x WSE-2's, short of 2x")
    if wrong:
        return Verdict.does_not_hold, "; ".join(wrong), None
    conditions = []
    if not near(dense, stated):
        conditions.append(f"the 125 PF counts sparse 'AI' FLOPs: the dense FP16 peak is "
                          f"{dense / 1e15:.1f} PF, {stated / dense:.1f}x less")
    if power > text.figure("power ratio") * (1 + TOLERANCE):
        conditions.append(f"the CS-3 draws no more than the CS-2 (the catalog gives {power:.2f}x "
                          f"its power, so {perf / power:.2f}x the dense peak per watt)")
    if price > text.figure("price ratio") * (1 + TOLERANCE):
        conditions.append(f"the CS-3 costs no more than the CS-2 (catalog: {price:.2f}x)")
    sentence = (f"specs match the catalog; the dense peak is {perf:.2f}x WSE-2's "
                f"({dense / 1e15:.1f} against {dense / perf / 1e15:.2f} PF)")
    if conditions:
        return Verdict.holds_only_if, sentence, "; ".join(conditions)
    return Verdict.holds, sentence, None


@claim("C2", inputs=("wse-3", "h100-sxm"))
def c2(cat: Catalog, text: ClaimText) -> Evaluation:
    """WSE-3 peak in H100s, dense against dense and sparse against sparse."""
    wse3, h100 = resolve(cat, "wse-3"), resolve(cat, "h100-sxm")
    dense = peak(wse3) / peak(h100)
    sparse = peak(wse3, sparse=True) / peak(h100, sparse=True)
    mixed = peak(wse3, sparse=True) / peak(h100)
    implied = text.figure("peak fp16") / text.figure("h100 equivalents")
    want = text.figure("h100 equivalents") * (1 - TOLERANCE)
    figures = (Figure("H100s per WSE-3, dense FP16 against dense FP16", dense, "x"),
               Figure("H100s per WSE-3, sparse against sparse FP16", sparse, "x"),
               Figure("H100s per WSE-3, WSE-3 sparse against H100 dense", mixed, "x"),
               Figure("H100 FP16 rate the stated 52 implies", implied, "flops_per_s",
                      "125 PF / 52; no H100 FP16 peak in the catalog equals it"))
    assumptions = ("FP16 peaks of wse-3 (dense derived at 1.1 GHz; sparse the vendor's 'AI' "
                   "figure) and h100-sxm (datasheet; sparse = 2:4 structured sparsity)",
                   "peak against peak: no workload, no efficiency")
    reading = (f"dense FP16 against dense FP16: one WSE-3 is {dense:.1f} H100s. Each vendor's "
               f"sparse peak against the other's gives {sparse:.1f}, but WSE-3's 'AI' figure "
               f"presumes ~{peak(wse3, sparse=True) / peak(wse3):.1f}x from unstructured sparsity "
               f"where H100's 2:4 sparsity gives 2x; the article's 52 matches neither reading "
               f"(it implies {implied / 1e15:.2f} PF per H100)")
    if dense >= want:
        return Evaluation(figures, assumptions, Verdict.holds, f"dense against dense WSE-3 is "
                          f"{dense:.1f} H100s", reading=reading)
    if sparse >= want:
        return Evaluation(figures, assumptions, Verdict.holds_only_if,
                          f"dense against dense WSE-3 is only {dense:.1f} H100s; sparse against "
                          f"sparse it is {sparse:.1f}",
                          condition="both chips are credited with their sparse peaks: the "
                                    "workload is sparse enough for WSE-3's 'AI' rate", reading=reading)
    return Evaluation(figures, assumptions, Verdict.does_not_hold,
                      f"WSE-3 is {dense:.1f} H100s dense and {sparse:.1f} sparse", reading=reading)


@claim("C3", inputs=("wse-3", "h100-sxm"))
def c3(cat: Catalog, text: ClaimText) -> Evaluation:
    """Transistor and area ratios of WSE-3 to H100, straight from the two chips' catalog entries."""
    wse, h100 = cat.typed("wse-3", Chip), cat.typed("h100-sxm", Chip)
    transistors = value_of(wse.transistors_count) / value_of(h100.transistors_count)
    area = value_of(wse.die_area_mm2) / value_of(h100.die_area_mm2)
    verdict, sentence = ratio_verdict({"transistors": (transistors, text.figure("transistor ratio")),
                                       "area": (area, text.figure("area ratio"))}, 0.05)
    return Evaluation(
        (Figure("transistor ratio WSE-3 / H100", transistors, "x"),
         Figure("area ratio WSE-3 / H100", area, "x")),
        ("transistor counts and die areas as catalogued (wse-3, h100-sxm)",),
        verdict, sentence)


@claim("C4", inputs=("wse-3", "h100-sxm", "dgx-h100"))
def c4(cat: Catalog, text: ClaimText) -> Evaluation:
    """WSE-3 SRAM bandwidth against H100: what the 7,000x divides, and per area and per system."""
    wse3, h100 = cat.typed("wse-3", Chip), cat.typed("h100-sxm", Chip)
    sram = value_of(wse3.sram_bandwidth_Bps, "wse-3 SRAM bandwidth")
    hbm = value_of(h100.hbm_bandwidth_Bps, "h100-sxm HBM bandwidth")
    ratio = sram / hbm
    dgx = resolve(cat, "dgx-h100")
    area = value_of(wse3.die_area_mm2) / value_of(h100.die_area_mm2)
    w = wse3.wafer
    derived = (value_of(w.sram_read_bytes_per_cycle) + value_of(w.sram_write_bytes_per_cycle)) \
        * value_of(w.pes_marketing_count) * value_of(w.clock_hz) if w else None
    implied = text.figure("sram bandwidth") / text.figure("ratio to h100")
    figures = (Figure("WSE-3 SRAM bandwidth / H100 HBM bandwidth", ratio, "x"),
               Figure("WSE-3 SRAM bandwidth", sram, "Bps", "catalog (ALCF, Cerebras)"),
               Figure("WSE-3 SRAM bandwidth from ports x PEs x clock", derived, "Bps",
                      "(read + write bytes per cycle) x 900,000 x 1.1 GHz"),
               Figure("H100 HBM bandwidth the stated 7,000x implies", implied, "Bps"),
               Figure("per mm2 of silicon, WSE-3 SRAM / H100 HBM", ratio / area, "x"),
               Figure("WSE-3 SRAM / DGX H100 HBM (8 GPUs)", sram / (dgx.memory_bandwidth_Bps or hbm),
                      "x"))
    assumptions = ("aggregate SRAM bandwidth of wse-3 and HBM bandwidth of h100-sxm as catalogued",
                   "the memory each chip keeps the model's weights in: SRAM on the wafer, HBM on H100")
    reading = (f"the 7,000x divides WSE-3's on-wafer SRAM by H100's off-chip HBM at "
               f"{implied / 1e12:.1f} TB/s, its launch figure; the catalog's "
               f"{hbm / 1e12:.2f} TB/s gives {ratio:,.0f}x. That is the memory holding the weights "
               f"on each, not the same memory level (H100's own on-chip SRAM is 83 MiB and "
               f"not catalogued by bandwidth); per mm2 of silicon it is {ratio / area:,.0f}x, and "
               f"against a whole DGX H100 (8 GPUs) {figures[5].value:,.0f}x")
    if ratio >= text.figure("ratio to h100") * 0.85:  # 7,000 is rounded from an early H100 figure
        return Evaluation(figures, assumptions, Verdict.holds_only_if,
                          f"WSE-3's SRAM is {ratio:,.0f}x H100's HBM (within 15% of 7,000x)",
                          condition="the comparison sets WSE-3's on-wafer SRAM against H100's "
                                    "off-chip HBM, the memory each keeps the weights in",
                          reading=reading)
    return Evaluation(figures, assumptions, Verdict.does_not_hold,
                      f"WSE-3's SRAM is only {ratio:,.0f}x H100's HBM", reading=reading)


def _bisection_Bps(chip: Chip) -> float:
    """Per direction across the narrow cut of the PE mesh: one link per column crossed."""
    w = chip.wafer
    if w is None:
        raise ConfigError(f"{chip.id} is not a wafer")
    links = min(value_of(w.fabric_cols_count), value_of(w.fabric_rows_count))
    # link rate = payload bits x wavelets per cycle x clock (Cerebras SDK: one wavelet per cycle)
    return links * value_of(w.link_payload_bits) / 8 * value_of(w.link_wavelets_per_cycle) \
        * value_of(w.clock_hz)


def _nvlink_Bps(system: System) -> float:
    """Scale-up bandwidth of every GPU in the system, per direction."""
    tier = system.scale_up[0]
    return system.devices * value_of(tier.network.bandwidth_per_device_Bps, tier.network.id)


@claim("C5", inputs=("wse-3", "dgx-h100"))
def c5(cat: Catalog, text: ClaimText) -> Evaluation:
    """The wafer fabric against an 8-GPU H100 system's NVLink: aggregate and bisection."""
    wse3, dgx = resolve(cat, "wse-3"), resolve(cat, "dgx-h100")
    fabric = value_of(wse3.chip.wafer.fabric_bandwidth_Bps if wse3.chip.wafer else None,
                      "wse-3 fabric bandwidth")
    nvlink = _nvlink_Bps(dgx)
    article = fabric / (2 * nvlink)  # both directions of every NVLink port
    bisection = _bisection_Bps(wse3.chip) / (nvlink / 2)  # half the GPUs send to the other half
    io = value_of(wse3.node.io_bandwidth_Bps if wse3.node else None, "cs-3 I/O") / value_of(
        dgx.node.io_bandwidth_Bps if dgx.node else None, "dgx-h100 I/O")
    figures = (Figure("WSE-3 fabric / DGX H100 NVLink, both counted both ways", article, "x"),
               Figure("the same, if 214 Pb/s is one direction", fabric / nvlink, "x"),
               Figure("bisection: WSE-3 mesh / DGX H100 NVSwitch, per direction", bisection, "x",
                      "narrow cut of the 762 x 1172 mesh, 32-bit links at the clock"),
               Figure("system I/O: CS-3 / DGX H100, per direction", io, "x"))
    assumptions = ("wse-3 fabric bandwidth as catalogued (aggregate over every mesh link)",
                   "an 'H100 system' is a DGX H100: 8 GPUs, NVLink 4 at 450 GB/s per GPU and direction",
                   "mesh links carry one 32-bit wavelet per cycle at 1.1 GHz (unverified clock)")
    reading = (f"the 3,715x divides the wafer's aggregate over all neighbour links by a DGX H100's "
               f"aggregate NVLink (8 x 900 GB/s, both ways): {article:,.0f}x. Across a bisection, "
               f"what one half of each system can send the other, the wafer has {bisection:.1f}x a "
               f"DGX H100; between systems a CS-3 has {io:.2f}x a DGX H100's network I/O")
    if near(article, text.figure("ratio to h100 system")):
        return Evaluation(figures, assumptions, Verdict.holds_only_if,
                          f"the arithmetic gives {article:,.0f}x; the bisection ratio is "
                          f"{bisection:.1f}x", reading=reading,
                          condition="bandwidth is counted as the sum over every link (the wafer's "
                                    "short neighbour-to-neighbour hops against NVLink ports), not "
                                    "across a cut")
    return Evaluation(figures, assumptions, Verdict.does_not_hold,
                      f"the aggregate ratio is {article:,.0f}x, not 3,715x", reading=reading)


@claim("C14", inputs=("wse-2", "cs-2"))
def c14(cat: Catalog, text: ClaimText) -> Evaluation:
    """WSE-2 specs from the catalog, with the SDK-visible PEs and the SRAM they imply."""
    wse2 = cat.typed("wse-2", Chip)
    specs = _specs(wse2, text, "memory")
    specs["power W"] = (value_of(wse2.tdp_W, "wse-2 power"), text.figure("power"))
    w = wse2.wafer
    pes = value_of(w.fabric_cols_count) * value_of(w.fabric_rows_count) if w else None
    sram = value_of(w.sram_per_pe_bytes) * value_of(wse2.cores_count) if w else None
    system_W = value_of(cat.typed("cs-2", Node).power_W, "cs-2 power")
    figures = (Figure("WSE-2 on-chip SRAM", specs["SRAM bytes"][0], "bytes", "catalog (AnandTech)"),
               Figure("WSE-2 transistors", specs["transistors"][0], "count"),
               Figure("WSE-2 process", specs["process nm"][0], "nm"),
               Figure("WSE-2 cores (marketed)", specs["cores"][0], "count"),
               Figure("WSE-2 wafer power", specs["power W"][0], "W"),
               Figure("PEs the SDK exposes (757 x 996)", pes, "count"),
               Figure("SRAM from 48 KiB x cores", sram, "bytes"),
               Figure("CS-2 system power", system_W, "W"))
    assumptions = ("wse-2 figures as catalogued (AnandTech, Tom's Hardware): an independent "
                   "report of the vendor's figures, so this checks the article, not the wafer",
                   "15 kW is the wafer alone; the CS-2 system draws more (catalog range)")
    wrong = mismatches(specs)
    if wrong:
        return Evaluation(figures, assumptions, Verdict.does_not_hold, "; ".join(wrong))
    return Evaluation(figures, assumptions, Verdict.holds,
                      f"every figure matches the catalog; the 15 kW is the wafer (the CS-2 system "
                      f"is {system_W / 1e3:.0f} kW) and the SDK exposes {pes or 0:,.0f} of the "
                      f"850,000 cores")


@claim("C16", inputs=("cs-3",))
def c16(cat: Catalog, text: ClaimText) -> Evaluation:
    """Whether a model's weights fit the SRAM of the wafers serving it (no HBM on the wafer)."""
    cs3 = resolve(cat, "cs-3")
    serving = Serving()
    small = wafer_fit(load_model("llama-3.1-8b"), cs3, serving)
    large = wafer_fit(load_model("llama-3.1-70b"), cs3, serving)
    share = small.weight_bytes / small.usable_bytes
    most = small.usable_bytes / bytes_per_param(serving.precision)
    chip = cs3.chip
    hbm = chip.hbm_bytes.value if chip.hbm_bytes is not None else None
    figures = (Figure("Llama 3.1 8B weights / usable SRAM of one CS-3", share, "fraction"),
               Figure("usable SRAM per CS-3", small.usable_bytes, "bytes", small.notes[0]),
               Figure("Llama 3.1 8B requests one CS-3 holds besides its weights",
                      small.max_batch(1), "count", "2,048 tokens of KV cache each"),
               Figure("CS-3 wafers Llama 3.1 70B needs", wafers_needed(large, 1), "count"),
               Figure("largest model one CS-3 holds at 16 bits", most, "count", "parameters"),
               Figure("WSE-3 cores", value_of(chip.cores_count), "count"),
               Figure("WSE-3 HBM", hbm, "bytes", "none: the catalog records no HBM"))
    assumptions = ("16-bit weights and KV cache, 1,024 prompt + 1,024 output tokens per request",
                   small.notes[0], "the untied input embedding is looked up by the host, off the wafer",
                   "a model larger than one wafer is pipelined over several, each layer in SRAM")
    stated_cores = text.figure("cores")
    if value_of(chip.cores_count) < stated_cores or hbm or share > 1:
        return Evaluation(figures, assumptions, Verdict.does_not_hold,
                          f"Llama 3.1 8B takes {share:.0%} of one CS-3's usable SRAM")
    return Evaluation(figures, assumptions, Verdict.holds_only_if,
                      f"Llama 3.1 8B takes {share:.0%} of one CS-3's usable SRAM; Llama 3.1 70B "
                      f"spreads over {wafers_needed(large, 1)} CS-3",
                      condition=f"the model fits the SRAM of the wafers serving it: one CS-3 holds "
                                f"at most {most / 1e9:.1f} B parameters at 16 bits, so larger "
                                f"models are pipelined over several wafers, each in SRAM")
