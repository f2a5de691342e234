"""Claims about NVIDIA, Huawei and AWS hardware (C20, C22, C24, C25, C27-C30): peaks, memories and
networks from the catalog; the comparisons (C20, C29) served through the inference cost model on
fixed plans (the plans wafersim's search picks at the catalog's nominal figures), so that
sensitivity re-runs them in milliseconds."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from typing import Any, NamedTuple

from wafersim.api import infer
from wafersim.catalog import Catalog, Chip, Cluster, Network, Node, Quantity
from wafersim.catalog.system import System, resolve
from wafersim.claims.claim import ClaimText, Evaluation, Figure, Verdict, claim
from wafersim.claims.common import value_of
from wafersim.cost.infer.result import InferResult
from wafersim.cost.kernels.economics import economics
from wafersim.precision import BYTES_PER_ELEMENT, Precision
from wafersim.units import fmt

SPEC = 0.05  # tolerance on a catalogued spec figure, either side
ABOUT = 0.10  # tolerance on a rounded ("about", "4x", "25x") figure, either side
GIB = 2**30


def _near(got: float | None, stated: float, tolerance: float = SPEC) -> bool:
    return got is not None and abs(got / stated - 1.0) <= tolerance


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def _peak(chip: Chip, precision: str, sparse: bool = False) -> float | None:
    table = chip.peak_sparse_flops_per_s if sparse else chip.peak_dense_flops_per_s
    q = table.get(Precision(precision))
    return None if q is None else q.value


def _value(q: Quantity | None) -> float | None:
    return None if q is None else q.value


def _x(value: float | None) -> str:
    return "unknown" if value is None else f"{value:.3g}x"


# ---- C20: GB200 NVL72 against Hopper for a trillion-parameter model --------------------------

MOE = "gpt-moe-1.8t"  # NVIDIA's GTC 2024 benchmark model (assumed shape, models/data/nvidia)
PROMPT, OUTPUT = 32768, 1024  # NVIDIA's footnote: 32,768 input and 1,024 output tokens
SHORT_PROMPT = 1024
TPOT_SLO_S = 0.050  # NVIDIA's footnote: 50 ms token-to-token latency ("real time")
H100_GPUS = 64  # NVIDIA's footnote: 8 eight-way HGX H100 against one GB200 NVL72


class Plan(NamedTuple):
    """Parallel degrees fixed for a comparison (what the plan search picks at nominal figures)."""

    tp: int
    pp: int = 1
    ep: int = 1
    attention_dp: int | None = None


GB200_PLANS = {"fp4": Plan(72, 1, 16, 24), "fp8": Plan(72, 1, 16, 12)}
H100_PLAN = Plan(8, 4, 1, 1)


def _served(cat: Catalog, system: str, count: int | None, precision: str, plan: Plan,
            prompt: int = PROMPT, model: str = MOE) -> InferResult:
    """The most tokens/s `system` serves with every token within TPOT_SLO_S, on a fixed plan."""
    return infer(model, system, input_tokens=prompt, output_tokens=OUTPUT, precision=precision,
                 kv_precision="fp8", count=count, catalog=cat, max_throughput=True,
                 tpot_slo_s=TPOT_SLO_S, tp=plan.tp, pp=plan.pp, ep=plan.ep,
                 attention_dp=plan.attention_dp)


def _bought(system: System) -> System:
    """`system` with its rental prices set aside, so that cost is purchase price plus electricity."""
    chip = system.chip.model_copy(update={"cloud_price_usd_per_hour": None})
    node = None if system.node is None else system.node.model_copy(
        update={"cloud_price_usd_per_hour": None})
    return replace(system, chip=chip, node=node)


def _purchase_usd_per_mtok(cat: Catalog, system_id: str, r: InferResult) -> float | None:
    """$ per million tokens of `r` with the system bought (4-year life + electricity)."""
    system = resolve(cat, system_id).with_devices(r.devices)
    tokens = r.batch * OUTPUT
    return economics(_bought(system), tokens / r.throughput_tokens_per_s).per_token(tokens)[1]


def _c20_figures(cat: Catalog) -> dict[str, Any]:
    gb4 = _served(cat, "gb200-nvl72", None, "fp4", GB200_PLANS["fp4"])
    gb8 = _served(cat, "gb200-nvl72", None, "fp8", GB200_PLANS["fp8"])
    h = _served(cat, "dgx-h100", H100_GPUS, "fp8", H100_PLAN)
    gb4_short = _served(cat, "gb200-nvl72", None, "fp4", GB200_PLANS["fp4"], SHORT_PROMPT)
    h_short = _served(cat, "dgx-h100", H100_GPUS, "fp8", H100_PLAN, SHORT_PROMPT)
    usd = {k: _purchase_usd_per_mtok(cat, s, r) for k, s, r in
           (("gb4", "gb200-nvl72", gb4), ("gb8", "gb200-nvl72", gb8), ("h", "dgx-h100", h))}
    return {"gb4": gb4, "gb8": gb8, "h": h, "usd": usd,
            "energy_vendor": _ratio(h.energy_per_token_J, gb4.energy_per_token_J),
            "cost_vendor": _ratio(usd["h"], usd["gb4"]),
            "energy_same": _ratio(h.energy_per_token_J, gb8.energy_per_token_J),
            "cost_same": _ratio(usd["h"], usd["gb8"]),
            "energy_short": _ratio(h_short.energy_per_token_J, gb4_short.energy_per_token_J),
            "transistors": value_of(cat.typed("b200", Chip).transistors_count, "b200 transistors")}


def _c20_verdict(f: dict[str, Any], text: ClaimText) -> tuple[Verdict, str, str | None, str | None]:
    """(verdict, sentence, condition, missing) from the ratios against the stated 25x."""
    need = min(text.figure("energy ratio"), text.figure("cost ratio")) * (1 - ABOUT)
    ratios = (f["energy_vendor"], f["cost_vendor"], f["energy_same"], f["cost_same"])
    said = (f"on NVIDIA's reading (GB200 FP4 against H100 FP8) energy {_x(f['energy_vendor'])}, "
            f"cost {_x(f['cost_vendor'])}; both at FP8 energy {_x(f['energy_same'])}, cost "
            f"{_x(f['cost_same'])}")
    if not _near(f["transistors"], text.figure("B200 transistors")):
        return Verdict.does_not_hold, f"B200 has {fmt(f['transistors'], 'count')} transistors", None, None
    if any(r is None for r in ratios):
        return (Verdict.cannot_be_checked, said, None,
                "the power or the purchase price of GB200 NVL72 or DGX H100")
    if min(ratios[:2]) < need:
        return Verdict.does_not_hold, f"wafersim gives less than 25x: {said}", None, None
    if min(ratios[2:]) < need:
        return (Verdict.holds_only_if, f"25x needs FP4 on GB200: {said}",
                "GB200 serves FP4 weights while Hopper serves FP8", None)
    return Verdict.holds, f"wafersim gives at least 25x even like for like: {said}", None, None


@claim("C20", inputs=("gb200-nvl72", "dgx-h100"))
def c20(cat: Catalog, text: ClaimText) -> Evaluation:
    """Energy and cost per token of GPT-MoE-1.8T on one GB200 NVL72 against 64 H100."""
    f = _c20_figures(cat)
    gb4, gb8, h, usd = f["gb4"], f["gb8"], f["h"], f["usd"]
    figures = (
        Figure("energy per token, H100 / GB200 (NVIDIA's reading: FP4 against FP8)", f["energy_vendor"], "x"),
        Figure("cost per token, H100 / GB200 (NVIDIA's reading)", f["cost_vendor"], "x"),
        Figure("energy per token, H100 / GB200 (both FP8)", f["energy_same"], "x"),
        Figure("cost per token, H100 / GB200 (both FP8)", f["cost_same"], "x"),
        Figure("energy per token, H100 / GB200 (NVIDIA's reading, 1,024-token prompts)",
               f["energy_short"], "x", "the same rule with 1,024-token prompts, to show how the "
               "prompt length moves the ratio"),
        Figure("GB200 NVL72 energy per token (FP4)", gb4.energy_per_token_J, "J", f"batch {gb4.batch}"),
        Figure("GB200 NVL72 energy per token (FP8)", gb8.energy_per_token_J, "J", f"batch {gb8.batch}"),
        Figure("64 x H100 energy per token (FP8)", h.energy_per_token_J, "J", f"batch {h.batch}"),
        Figure("GB200 NVL72 $ per million tokens (FP4, bought)", usd["gb4"], "usd"),
        Figure("GB200 NVL72 $ per million tokens (FP8, bought)", usd["gb8"], "usd"),
        Figure("64 x H100 $ per million tokens (FP8, bought)", usd["h"], "usd"),
        Figure("64 x H100 $ per million tokens (FP8, rented)", h.usd_per_million_tokens, "usd",
               "AWS p5 on-demand rental: not comparable with GB200, which has no rental price"),
        Figure("B200 transistors", f["transistors"], "count"))
    verdict, sentence, condition, missing = _c20_verdict(f, text)
    return Evaluation(figures, (
        f"model {MOE}: NVIDIA published only its MoE-layer shape; wafersim assumes full multi-head "
        "attention (no grouped KV heads), which makes the 32k-token KV cache large",
        f"NVIDIA's workload: {PROMPT:,} prompt and {OUTPUT:,} output tokens, every token within "
        f"{TPOT_SLO_S * 1e3:.0f} ms; batch rule on both sides: the largest batch meeting that "
        "(NVIDIA's 5 s first-token limit is not applied; static batches)",
        f"one GB200 NVL72 (72 GPUs, plan tp 72, ep 16, attention data-parallel 24 at FP4, 12 at FP8) "
        f"against {H100_GPUS} H100 in DGX H100 nodes (plan tp 8, pp 4, 2 replicas); KV cache FP8",
        "energy: node power from the catalog (gb200-nvl72 120 kW, dgx-h100 10.2 kW) x PUE 1.2",
        "cost: purchase price over 4 years plus electricity on both sides (gb200-nvl72 $3 M, "
        "dgx-h100 $300 k): the catalog has no rental price for GB200 NVL72",
        "GB200's pairing of two GPUs with one Grace CPU is recorded in words only (gb200), not "
        "checked as a figure"), verdict, sentence, condition, missing, reading=(
        "same workload, same 50 ms rule, same purchase cost basis; NVIDIA's reading serves GB200 at "
        f"FP4 against H100 at FP8 (energy {_x(f['energy_vendor'])}); like for like, both at FP8, "
        f"energy {_x(f['energy_same'])} and cost {_x(f['cost_same'])}"))


# ---- C22: "AI performance" 20 PF against 4 PF; a 27 T parameter model ------------------------

def _c22_figures(cat: Catalog) -> dict[str, float | None]:
    gb, h100 = cat.typed("gb200", Chip), cat.typed("h100-sxm", Chip)
    hbm = resolve(cat, "gb200-nvl72").memory_bytes
    return {"gb_ai": _peak(gb, "fp4", sparse=True), "h_ai": _peak(h100, "fp8", sparse=True),
            "gb_fp8": _peak(gb, "fp8", sparse=True), "gb_dense": _peak(gb, "fp8"),
            "h_dense": _peak(h100, "fp8"), "hbm": hbm,
            "params_fp4": _ratio(hbm, BYTES_PER_ELEMENT[Precision.fp4]),
            "params_fp8": _ratio(hbm, BYTES_PER_ELEMENT[Precision.fp8])}


@claim("C22", inputs=("gb200-nvl72", "h100-sxm"))
def c22(cat: Catalog, text: ClaimText) -> Evaluation:
    """The two "AI performance" peaks, their ratio at each precision, and the parameters whose
    weights fit the HBM of one GB200 NVL72 at FP4 and FP8."""
    f = _c22_figures(cat)
    vendor, same = _ratio(f["gb_ai"], f["h_ai"]), _ratio(f["gb_fp8"], f["h_ai"])
    stated_ratio = text.figure("GB200 AI performance") / text.figure("H100 AI performance")
    params = text.figure("parameters held")
    as_said = (_near(f["gb_ai"], text.figure("GB200 AI performance"))
               and _near(f["h_ai"], text.figure("H100 AI performance"))
               and (f["params_fp4"] or 0) >= params * (1 - SPEC))
    like = _near(same, stated_ratio, ABOUT) and (f["params_fp8"] or 0) >= params * (1 - SPEC)
    said = (f"GB200 {fmt(f['gb_ai'], 'flops_per_s')} FP4 sparse against H100 "
            f"{fmt(f['h_ai'], 'flops_per_s')} FP8 sparse ({_x(vendor)}); at FP8 on both "
            f"{_x(same)}; one NVL72's {fmt(f['hbm'], 'bytes')} of HBM holds "
            f"{fmt(f['params_fp4'], 'count')} parameters at FP4, {fmt(f['params_fp8'], 'count')} at FP8")
    verdict, condition = Verdict.does_not_hold, None
    if as_said and like:
        verdict = Verdict.holds
    elif as_said:
        verdict, condition = Verdict.holds_only_if, (
            "'AI performance' means GB200's FP4 with 2:4 sparsity against H100's FP8 with "
            "sparsity, and the 27 T parameters are FP4 weights filling all of one NVL72's HBM "
            "with no room left for a KV cache")
    return Evaluation((
        Figure("AI performance ratio GB200 / H100 (FP4 sparse against FP8 sparse)", vendor, "x"),
        Figure("GB200 peak, FP4 with 2:4 sparsity", f["gb_ai"], "flops_per_s"),
        Figure("H100 peak, FP8 with 2:4 sparsity", f["h_ai"], "flops_per_s"),
        Figure("ratio GB200 / H100, both FP8 sparse", same, "x"),
        Figure("ratio GB200 / H100, both FP8 dense", _ratio(f["gb_dense"], f["h_dense"]), "x"),
        Figure("GB200 NVL72 HBM", f["hbm"], "bytes"),
        Figure("parameters whose FP4 weights fill that HBM", f["params_fp4"], "count"),
        Figure("parameters whose FP8 weights fill that HBM", f["params_fp8"], "count")), (
        "peaks as catalogued for gb200 (one Blackwell GPU of a GB200 superchip, 1,200 W) and "
        "h100-sxm; 'AI performance' read as each chip's headline sparse peak",
        "'the system' read as one GB200 NVL72 rack (72 GPUs); weights only, at 0.5 byte per "
        "parameter (FP4) or 1 byte (FP8); Grace CPU memory not counted",
        f"tolerance {SPEC:.0%} on each peak and on the parameter count, {ABOUT:.0%} on the ratio"),
        verdict, said, condition, reading=(
        f"the article compares GB200's FP4 sparse peak with H100's FP8 sparse peak ({_x(vendor)}); "
        f"at the same precision (FP8 sparse, or FP8 dense) the ratio is {_x(same)}"))


# ---- C24: the Atlas 900 SuperCluster's two-layer 800GE network ------------------------------

def _clos_endpoints(radix: float) -> float:
    """Endpoints of a non-blocking two-tier folded Clos of radix-k switches: k leaves of k/2
    down-ports (Al-Fares et al., SIGCOMM 2008, the two-level case): k^2 / 2."""
    return radix * radix / 2


@claim("C24", inputs=("atlas-900-supercluster",))
def c24(cat: Catalog, text: ClaimText) -> Evaluation:
    """Cards = nodes x NPUs per node; the switch radix a two-layer non-blocking Clos of that many
    NPU ports needs; the endpoints it reaches when the catalog knows the radix."""
    cluster = cat.typed("atlas-900-supercluster", Cluster)
    node = cat.typed(cluster.node, Node)
    net = cat.typed(cluster.scale_out or "", Network)
    nodes = value_of(cluster.nodes_count, "atlas-900-supercluster nodes")
    cards = nodes * value_of(node.chips_count, f"{node.id} NPUs")
    lanes = text.figure("switch port speed") / value_of(net.bandwidth_per_device_Bps, f"{net.id} bandwidth")
    need = math.ceil(math.sqrt(2 * cards))  # k^2 / 2 >= cards
    radix = None if net.switch_radix_count is None else net.switch_radix_count.value
    reach = None if radix is None else _clos_endpoints(radix * lanes)
    figures = (
        Figure("800GE ports per switch a two-layer non-blocking network of these NPUs needs",
               math.ceil(need / lanes), "count", f"{need} ports at the NPU's "
               f"{fmt(value_of(net.bandwidth_per_device_Bps), 'Bps')}, {lanes:g} per 800GE port"),
        Figure("NPUs joined (nodes x NPUs per node)", cards, "count"),
        Figure("NPUs a two-layer non-blocking Clos of the catalogued switches reaches", reach, "count",
               "" if radix else f"{net.id} switch radix not in the catalog"),
        Figure("network layers (catalog)", None if net.tiers_count is None else net.tiers_count.value,
               "count"))
    consistent = _near(cards, text.figure("cards")) and _near(nodes, text.figure("nodes"))
    if not consistent:
        verdict, said = Verdict.does_not_hold, f"{nodes:g} nodes hold {cards:g} NPUs"
    elif reach is None:
        verdict, said = Verdict.cannot_be_checked, (
            f"{nodes:,.0f} nodes x {value_of(node.chips_count):g} NPUs = {cards:,.0f} cards, but "
            "whether two layers of XH16800 switches join them without oversubscription depends "
            "on the switch's port count, which no source gives")
    else:
        verdict = Verdict.holds if reach >= cards else Verdict.does_not_hold
        said = f"two layers of {radix:g}-port switches reach {reach:,.0f} NPUs against {cards:,.0f}"
    return Evaluation(figures, (
        f"{cluster.id}: {cluster.node} nodes on {net.id}; every NPU has its own "
        f"{fmt(value_of(net.bandwidth_per_device_Bps), 'Bps')} port and an 800GE switch port splits "
        f"into {lanes:g} of them",
        "non-blocking two-tier folded Clos: k^2/2 endpoints for k-port switches (leaf-spine)",
        f"{net.id}'s tiers, device count and 1:1 oversubscription come from the announcement this "
        "claim quotes (hw-hc2023), so they are not independent evidence"), verdict, said,
        missing=None if verdict is not Verdict.cannot_be_checked else (
            f"the CloudEngine XH16800's port count: two layers join {cards:,.0f} NPUs without "
            f"oversubscription if it has at least {math.ceil(need / lanes)} 800GE ports "
            f"({need} at the NPU's rate)"))


# ---- C25: about 300 PFLOPS per 1,000 Ascend cards -------------------------------------------

def _span(q: Quantity | None) -> tuple[float, float] | None:
    return None if q is None or q.lo is None or q.hi is None else (q.lo, q.hi)


@claim("C25", inputs=("ascend-910b",))
def c25(cat: Catalog, text: ClaimText) -> Evaluation:
    """1,000 x the Ascend 910B's dense FP16 peak, against about 300 PF; the catalogued SKU range."""
    chip = cat.typed("ascend-910b", Chip)
    q = chip.peak_dense_flops_per_s.get(Precision.fp16)
    fp16 = 1000 * value_of(q, "ascend-910b FP16 peak")
    bf16 = _peak(chip, "bf16")
    stated = text.figure("peak per 1000 cards")
    span = _span(q)
    covers = (span is not None and span[0] * 1000 <= stated * (1 + ABOUT)
              and span[1] * 1000 >= stated * (1 - ABOUT))
    said = f"1,000 Ascend 910B peak at {fmt(fp16, 'flops_per_s')} FP16"
    if _near(fp16, stated, ABOUT):
        verdict, condition = Verdict.holds, None
    elif covers and span is not None:
        verdict, condition = Verdict.holds_only_if, (
            f"the cards are a lower-clocked 910B SKU: the catalog's FP16 range per 1,000 cards is "
            f"{fmt(span[0] * 1000, 'flops_per_s')} to {fmt(span[1] * 1000, 'flops_per_s')}, and "
            "300 PF is the 313T SKU's peak (a peak, not an achieved rate)")
        said += f", {fp16 / stated:.2f}x the stated figure at this SKU"
    else:
        verdict, condition = Verdict.does_not_hold, None
    return Evaluation((
        Figure("peak per 1,000 Ascend 910B, FP16 dense", fp16, "flops_per_s"),
        Figure("peak per 1,000 Ascend 910B, BF16 dense", None if bf16 is None else 1000 * bf16,
               "flops_per_s")), (
        "ascend-910b as catalogued: the 376T SKU of the Atlas 800T A2, the 2023 training part; the "
        "SKU spread (280T, 313T, 376T) is the range on each peak",
        "'300P' read as dense FP16 peak (the unit Huawei names its SKUs by); the 910B has no "
        "sparse rate",
        f"tolerance {ABOUT:.0%} either side ('about')"), verdict, said, condition)


# ---- C27: Trainium2 against H100, chip for chip -----------------------------------------------

def _chip_specs(chip: Chip) -> tuple[float | None, float | None, float | None]:
    """Dense FP8 peak, HBM bytes and HBM bandwidth of a chip."""
    return _peak(chip, "fp8"), _value(chip.hbm_bytes), _value(chip.hbm_bandwidth_Bps)


@claim("C27", inputs=("trainium2", "h100-sxm"))
def c27(cat: Catalog, text: ClaimText) -> Evaluation:
    """The six spec figures from the two chips' catalog entries, and Trainium2 / H100 ratios."""
    trn, h100 = _chip_specs(cat.typed("trainium2", Chip)), _chip_specs(cat.typed("h100-sxm", Chip))
    names = ("FP8 dense", "HBM", "HBM bandwidth")
    checks = {f"{who} {n}": (got, text.figure(f"{who} {n}")) for who, specs in
              (("Trainium2", trn), ("H100", h100)) for n, got in zip(names, specs, strict=True)}
    # AWS writes 96 GiB; the article's "96 GB" is read as the same 96 x 2^30 bytes
    got_hbm, said_hbm = checks["Trainium2 HBM"]
    checks["Trainium2 HBM"] = (got_hbm, said_hbm * GIB / 1e9)
    off = [f"{k} {v[0]:.3g} against {v[1]:.3g}" for k, v in checks.items() if not _near(*v)]
    verdict = Verdict.does_not_hold if off else Verdict.holds
    said = "; ".join(off) if off else (
        f"the catalog gives Trainium2 {fmt(trn[0], 'flops_per_s')} FP8 dense, "
        f"{fmt(trn[1], 'bytes')} (96 GiB), {fmt(trn[2], 'Bps')}; H100 {fmt(h100[0], 'flops_per_s')}, "
        f"{fmt(h100[1], 'bytes')}, {fmt(h100[2], 'Bps')}; the 5 nm process and the two compute "
        "dies are not in the catalog (AWS publishes neither)")
    units = ("flops_per_s", "bytes", "Bps")
    return Evaluation((
        Figure("FP8 dense peak, Trainium2 / H100", _ratio(trn[0], h100[0]), "x"),
        Figure("HBM, Trainium2 / H100", _ratio(trn[1], h100[1]), "x"),
        Figure("HBM bandwidth, Trainium2 / H100", _ratio(trn[2], h100[2]), "x"),
        *(Figure(f"Trainium2 {n}", v, u) for n, v, u in zip(names, trn, units, strict=True)),
        *(Figure(f"H100 {n}", v, u) for n, v, u in zip(names, h100, units, strict=True))), (
        "trainium2 and h100-sxm as catalogued; dense FP8 (no sparsity) on both",
        "Trainium2's 96 is GiB (4 stacks of 24 GiB, 103 GB): the article's '96 GB' is read as GiB",
        f"tolerance {SPEC:.0%} either side on each figure ('just under 2 PF' as 2 PF)"),
        verdict, said)


# ---- C28: Trn2 UltraServer peaks ---------------------------------------------------------------

@claim("C28", inputs=("trn2-ultraserver",))
def c28(cat: Catalog, text: ClaimText) -> Evaluation:
    """The UltraServer's chips and its FP8 dense and sparse peaks (chips x the chip's peaks)."""
    s = resolve(cat, "trn2-ultraserver")
    dense, sparse = s.peak_flops_per_s("fp8"), s.peak_flops_per_s("fp8", sparse=True)
    bf16_gain = _ratio(s.peak_flops_per_s("bf16", sparse=True), s.peak_flops_per_s("bf16"))
    checks = {"chips": (float(s.devices), text.figure("chips")),
              "FP8 dense": (dense, text.figure("FP8 dense")),
              "FP8 sparse": (sparse, text.figure("FP8 sparse"))}
    off = [k for k, (got, stated) in checks.items() if not _near(got, stated)]
    said = (f"{s.devices} chips, {fmt(dense, 'flops_per_s')} FP8 dense, {fmt(sparse, 'flops_per_s')} "
            f"FP8 sparse ({_x(_ratio(sparse, dense))} dense); the 4x sparsity gain applies to BF16 "
            f"({_x(bf16_gain)}), whose dense rate is half of FP8's")
    return Evaluation((
        Figure("Trn2 UltraServer FP8 sparse peak", sparse, "flops_per_s"),
        Figure("Trn2 UltraServer FP8 dense peak", dense, "flops_per_s"),
        Figure("FP8 sparse / dense", _ratio(sparse, dense), "x"),
        Figure("BF16 sparse / dense", bf16_gain, "x"),
        Figure("chips", float(s.devices), "count")), (
        "trn2-ultraserver: 64 trainium2 at the chip's catalogued peaks (AWS gives one sparse figure "
        "for FP8, FP16, BF16 and TF32)",
        f"tolerance {SPEC:.0%} either side on each figure"),
        Verdict.does_not_hold if off else Verdict.holds,
        (f"{', '.join(off)} not as stated: " if off else "") + said)


# ---- C29: Trn2 instance against an H200 instance ----------------------------------------------

SERVE_MODEL = "llama-3.1-70b"  # a common serving workload; AWS names none
TRN2_PLAN = Plan(4)  # 4 replicas on 16 chips
H200_PLAN = Plan(1)  # 8 replicas on 8 GPUs


def _rent(cat: Catalog, system_id: str) -> float | None:
    """The system's hourly rental price: its node's, else chips x the chip's (as economics reads it)."""
    s = resolve(cat, system_id)
    node = None if s.node is None else _value(s.node.cloud_price_usd_per_hour)
    chip = _value(s.chip.cloud_price_usd_per_hour)
    return node if node is not None else (None if chip is None else chip * s.devices)


@claim("C29", inputs=("trn2-instance", "dgx-h200"))
def c29(cat: Catalog, text: ClaimText) -> Evaluation:
    """Peak of 16 Trainium2; tokens/s of Llama 3.1 70B on a trn2 instance and on 8 x H200 under
    one rule; price-performance where both rental prices are known, else the break-even price."""
    trn = resolve(cat, "trn2-instance")
    dense = trn.peak_flops_per_s("fp8")
    t = _served(cat, "trn2-instance", None, "fp8", TRN2_PLAN, SHORT_PROMPT, SERVE_MODEL)
    h = _served(cat, "dgx-h200", None, "fp8", H200_PLAN, SHORT_PROMPT, SERVE_MODEL)
    speed = t.throughput_tokens_per_s / h.throughput_tokens_per_s
    h_rent, t_rent = _rent(cat, "dgx-h200"), _rent(cat, "trn2-instance")
    gain = text.figure("price-performance gain low")
    break_even = None if h_rent is None else h_rent * speed / gain
    value = None if h_rent is None or t_rent is None else speed * h_rent / t_rent
    spec_ok = _near(dense, text.figure("dense")) and _near(trn.devices, text.figure("chips"))
    said = (f"16 Trainium2 peak at {fmt(dense, 'flops_per_s')} FP8 dense; serving {SERVE_MODEL} "
            f"they give {_x(speed)} the tokens/s of 8 x H200")
    if not spec_ok:
        verdict, missing = Verdict.does_not_hold, None
    elif value is None:
        verdict, missing = Verdict.cannot_be_checked, (
            "the trn2.48xlarge hourly price, on the same basis as the 8 x H200 price "
            f"({fmt(h_rent, 'usd_per_hour')}): the claim's 30% holds if it is at most "
            f"{fmt(break_even, 'usd_per_hour')}")
    else:
        verdict = Verdict.holds if value >= gain * (1 - SPEC) else Verdict.does_not_hold
        missing, said = None, said + f"; price-performance {_x(value)} that of H200"
    return Evaluation((
        Figure("trn2 hourly price at which it has 30% better price-performance", break_even,
               "usd_per_hour", "8 x H200 price x tokens/s ratio / 1.3"),
        Figure("price-performance, trn2 / H200 (tokens per dollar)", value, "x",
               "" if value is not None else "trn2 rental price not in the catalog"),
        Figure("tokens/s, trn2 instance / 8 x H200", speed, "x"),
        Figure("trn2 instance tokens/s", t.throughput_tokens_per_s, "tokens/s", f"batch {t.batch}"),
        Figure("8 x H200 tokens/s", h.throughput_tokens_per_s, "tokens/s", f"batch {h.batch}"),
        Figure("8 x H200 hourly price", h_rent, "usd_per_hour", "EC2 capacity block (dgx-h200)"),
        Figure("trn2 instance FP8 dense peak", dense, "flops_per_s")), (
        f"{SERVE_MODEL} at FP8 weights and KV cache, {SHORT_PROMPT:,} prompt and {OUTPUT:,} output "
        f"tokens, the largest batch with every token within {TPOT_SLO_S * 1e3:.0f} ms, on both",
        "trn2-instance: 16 Trainium2, plan tp 4 x 4 replicas; dgx-h200 (as EC2 P5e: 8 x H200), "
        "plan tp 1 x 8 replicas",
        "price-performance = tokens per dollar of rental, the basis AWS quotes; the H200 price is "
        "a capacity-block snapshot"), verdict, said, missing=missing, reading=(
        "same model, precision (FP8), batch rule (50 ms per token) and cost basis (rental per "
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


@claim("C30", inputs=("trn3-ultraserver-144", "trn3-ultraserver", "trn2-ultraserver"))
def c30(cat: Catalog, text: ClaimText) -> Evaluation:
    """Trn3 UltraServer (64 and 144 chips) peaks against the Trn2 UltraServer's FP8 dense; the
    best sparse peak; the process node; efficiency needs power, which AWS does not publish."""
    trn2, gen1, gen2 = (resolve(cat, i) for i in ("trn2-ultraserver", "trn3-ultraserver",
                                                   "trn3-ultraserver-144"))
    base = trn2.peak_flops_per_s("fp8")
    r1, r2 = _ratio(gen1.peak_flops_per_s("fp8"), base), _ratio(gen2.peak_flops_per_s("fp8"), base)
    sparse, sparse_p = _best_sparse(gen2)
    nm = _nm(gen2.chip.process)
    power = gen2.power_W if gen2.node and gen2.node.power_W and gen2.node.power_W.value else None
    four = text.figure("UltraServer performance ratio")
    parts = {"4x": _near(r2, four, ABOUT) or _near(r1, four, ABOUT),
             "1.3 EF sparse": (sparse or 0) >= text.figure("sparse UltraServer performance") * (1 - SPEC),
             "3 nm": _near(nm, text.figure("process"))}
    process = "process not in the catalog" if nm is None else f"process {nm:g} nm"
    said = (f"the 144-chip UltraServer is {_x(r2)} the Trn2 UltraServer's FP8 peak, the 64-chip one "
            f"{_x(r1)}; its best sparse peak is {fmt(sparse, 'flops_per_s')} ({sparse_p}), against "
            f"the stated 1.3 EFLOP/s; {process}; the 40% better efficiency cannot be checked "
            "(no power in the catalog)")
    verdict = Verdict.holds if all(parts.values()) else Verdict.does_not_hold
    return Evaluation((
        Figure("FP8 dense peak, 144-chip Trn3 UltraServer / Trn2 UltraServer", r2, "x"),
        Figure("FP8 dense peak, 64-chip Trn3 UltraServer / Trn2 UltraServer", r1, "x"),
        Figure("144-chip Trn3 UltraServer FP8 dense peak", gen2.peak_flops_per_s("fp8"), "flops_per_s"),
        Figure("144-chip Trn3 UltraServer best sparse peak", sparse, "flops_per_s", sparse_p),
        Figure("Trainium3 process node", nm, "nm", gen2.chip.process or ""),
        Figure("144-chip Trn3 UltraServer power", power, "W",
               "" if power else "not published: the 40% efficiency gain cannot be computed")), (
        "trn3-ultraserver (Gen1, 64 chips) and trn3-ultraserver-144 (Gen2, 144 chips) as shipped "
        "(AWS documentation, after the article's December 2024 projection), against "
        "trn2-ultraserver, all at the FP8 (MXFP8 on Trainium3) dense peak",
        "sparse: the highest sparse peak Trainium3 lists at any precision (AWS lists sparsity "
        "only for FP16/BF16/TF32)",
        f"tolerance {ABOUT:.0%} on the 4x, {SPEC:.0%} on the sparse peak and the process"),
        verdict, ("fails on " + ", ".join(k for k, ok in parts.items() if not ok) + ": "
                  if verdict is Verdict.does_not_hold else "") + said,
        reading="the 4x compares FP8 dense peaks of whole UltraServers; it holds for the 144-chip "
        f"Gen2 UltraServer ({_x(r2)}) and not for the 64-chip Gen1 of the Trn2's size ({_x(r1)})")
