"""Claims about NVIDIA and Huawei hardware (C20, C22, C24, C25): peaks, memories and networks from
the catalog; C20 served through the inference cost model on fixed plans. The AWS claims (C27-C30)
are in `aws`, registered from here."""

from __future__ import annotations

import math
from typing import Any

from wafersim.catalog import Catalog, Chip, Cluster, Network, Node, Quantity
from wafersim.catalog.system import resolve
from wafersim.claims.claim import ClaimText, Evaluation, Figure, Verdict, claim
from wafersim.claims.common import value_of
from wafersim.claims.readings import (
    ABOUT,
    OUTPUT,
    SPEC,
    TPOT_SLO_S,
    FixedPlan,
    breakdown_words,
    near,
    peak,
    plan_words,
    ratio,
    served,
    serving_bill,
    times,
    usd_per_mtok,
    value,
)
from wafersim.precision import BYTES_PER_ELEMENT, Precision
from wafersim.units import fmt

# ---- C20: GB200 NVL72 against Hopper for a trillion-parameter model --------------------------

MOE = "gpt-moe-1.8t"  # NVIDIA's GTC 2024 benchmark model (assumed shape, models/data/nvidia)
PROMPT = 32768  # NVIDIA's footnote: 32,768 input and 1,024 output tokens, 50 ms per token
SHORT_PROMPT = 1024
H100_GPUS = 64  # NVIDIA's footnote: 8 eight-way HGX H100 against one GB200 NVL72


GB200_PLANS = {"fp4": FixedPlan(72, 1, 16, 24), "fp8": FixedPlan(72, 1, 16, 12)}
H100_PLAN = FixedPlan(8, 4, 1, 1)


SIDES = {"gb4": ("gb200-nvl72", None, "fp4", GB200_PLANS["fp4"]),
         "gb8": ("gb200-nvl72", None, "fp8", GB200_PLANS["fp8"]),
         "h": ("dgx-h100", H100_GPUS, "fp8", H100_PLAN)}
LABELS = {"gb4": "GB200 NVL72 (FP4)", "gb8": "GB200 NVL72 (FP8)", "h": f"{H100_GPUS} x H100 (FP8)"}


def _c20_figures(cat: Catalog) -> dict[str, Any]:
    runs = {k: served(cat, MOE, *side, PROMPT) for k, side in SIDES.items()}
    short = {k: served(cat, MOE, *SIDES[k], SHORT_PROMPT) for k in ("gb4", "h")}
    energy = {k: r.energy_per_token_J for k, r in runs.items()}
    bills = {k: serving_bill(cat, SIDES[k][0], r, "tco") for k, r in runs.items()}
    usd = {k: usd_per_mtok(bills[k], r) for k, r in runs.items()}
    rented = serving_bill(cat, SIDES["h"][0], runs["h"], "rental")
    return {"runs": runs, "energy": energy, "usd": usd, "bills": bills, "rented": rented,
            "energy_vendor": ratio(energy["h"], energy["gb4"]),
            "cost_vendor": ratio(usd["h"], usd["gb4"]),
            "energy_same": ratio(energy["h"], energy["gb8"]),
            "cost_same": ratio(usd["h"], usd["gb8"]),
            "energy_short": ratio(short["h"].energy_per_token_J, short["gb4"].energy_per_token_J),
            "transistors": value_of(cat.typed("b200", Chip).transistors_count, "b200 transistors")}


def _c20_verdict(f: dict[str, Any], text: ClaimText) -> tuple[Verdict, str, str | None, str | None]:
    """(verdict, sentence, condition, missing) from the ratios against the stated 25x."""
    stated = min(text.figure("energy ratio"), text.figure("cost ratio"))
    need = stated * (1 - ABOUT)
    ratios = (f["energy_vendor"], f["cost_vendor"], f["energy_same"], f["cost_same"])
    said = (f"on NVIDIA's reading (GB200 FP4 against H100 FP8) energy {times(f['energy_vendor'])}, "
            f"cost {times(f['cost_vendor'])}; both at FP8 energy {times(f['energy_same'])}, cost "
            f"{times(f['cost_same'])}")
    if not near(f["transistors"], text.figure("B200 transistors")):
        return Verdict.does_not_hold, f"B200 has {fmt(f['transistors'], 'count')} transistors", None, None
    if any(r is None for r in ratios):
        return (Verdict.cannot_be_checked, said, None,
                "the power or the purchase price of GB200 NVL72 or DGX H100 (basis tco)")
    if min(ratios[:2]) < need:
        return Verdict.does_not_hold, f"wafersim gives less than {stated:g}x: {said}", None, None
    if min(ratios[2:]) < need:
        return (Verdict.holds_only_if, f"{stated:g}x needs FP4 on GB200: {said}",
                "GB200 serves FP4 weights while Hopper serves FP8", None)
    return Verdict.holds, f"wafersim gives at least {stated:g}x even like for like: {said}", None, None


def _c20_assumptions(cat: Catalog, f: dict[str, Any]) -> tuple[str, ...]:
    gb, h = resolve(cat, "gb200-nvl72"), resolve(cat, "dgx-h100").with_devices(H100_GPUS)
    runs, bill = f["runs"], f["bills"]["h"]
    return (
        f"model {MOE}: NVIDIA published only its MoE-layer shape; wafersim assumes full multi-head "
        "attention (no grouped KV heads), which makes the 32k-token KV cache large",
        f"NVIDIA's workload: {PROMPT:,} prompt and {OUTPUT:,} output tokens, every token within "
        f"{TPOT_SLO_S * 1e3:.0f} ms; batch rule on both sides: the largest batch meeting that "
        "(NVIDIA's 5 s first-token limit is not applied; static batches); KV cache FP8",
        *(f"{LABELS[k]}: {plan_words(r)}" for k, r in runs.items()),
        f"energy from the wall on both sides (economics model): the catalogued peak of {gb.id} "
        f"({fmt(gb.power_W, 'W')}) and of {h.nodes} {h.id} ({fmt(h.power_W, 'W')}) at the site's "
        f"busy draw while serving, plus the scale-out fabric, x PUE",
        "cost on basis tco on both sides (the same basis): purchase price over the site's "
        f"depreciation life, facility rent on the provisioned IT load, electricity ({gb.id} "
        f"{fmt(value(gb.node.price_usd if gb.node else None), 'usd')}, {h.id} "
        f"{fmt(value(h.node.price_usd if h.node else None), 'usd')} per node); the catalog has no "
        f"rental price for {gb.id}, so no ratio uses rental",
        *(a for a in bill.assumptions if a.startswith("basis tco")),
        "GB200's pairing of two GPUs with one Grace CPU is recorded in words only (gb200), not "
        "checked as a figure")


@claim("C20", inputs=("gb200-nvl72", "dgx-h100"), economy=("site",))
def c20(cat: Catalog, text: ClaimText) -> Evaluation:
    """Energy and cost per token of GPT-MoE-1.8T on one GB200 NVL72 against 64 H100."""
    f = _c20_figures(cat)
    runs, bills = f["runs"], f["bills"]
    wall, tco = "from the wall (IT power x PUE) on both sides", "basis tco on both sides"
    figures = (
        Figure("energy per token, H100 / GB200 (NVIDIA's reading: FP4 against FP8)",
               f["energy_vendor"], "x", wall),
        Figure("cost per token, H100 / GB200 (NVIDIA's reading)", f["cost_vendor"], "x",
               tco + ": capex over the depreciation life, facility rent, electricity"),
        Figure("energy per token, H100 / GB200 (both FP8)", f["energy_same"], "x", wall),
        Figure("cost per token, H100 / GB200 (both FP8)", f["cost_same"], "x", tco),
        Figure("energy per token, H100 / GB200 (NVIDIA's reading, 1,024-token prompts)",
               f["energy_short"], "x", "the same rule with 1,024-token prompts: how the prompt "
               "length moves the ratio"),
        *(Figure(f"{LABELS[k]} energy per token", f["energy"][k], "J",
                 f"batch {r.batch}; {fmt(bills[k].facility_power_W, 'W')} from the wall")
          for k, r in runs.items()),
        *(Figure(f"{LABELS[k]} $ per million tokens, owned", f["usd"][k], "usd",
                 breakdown_words(bills[k], r)) for k, r in runs.items()),
        Figure(f"{LABELS['h']} $ per million tokens, rented", usd_per_mtok(f["rented"], runs["h"]),
               "usd", "basis rental (the catalog's hourly price), for reference only: GB200 NVL72 "
               "has no rental price, so no ratio uses this basis"),
        Figure("B200 transistors", f["transistors"], "count"))
    verdict, sentence, condition, missing = _c20_verdict(f, text)
    return Evaluation(figures, _c20_assumptions(cat, f), verdict, sentence, condition, missing,
                      reading=(
        f"same workload, same {TPOT_SLO_S * 1e3:.0f} ms rule, same cost basis (tco) and energy "
        "from the wall on both sides; NVIDIA's reading serves GB200 at "
        f"FP4 against H100 at FP8 (energy {times(f['energy_vendor'])}); like for like, both at FP8, "
        f"energy {times(f['energy_same'])} and cost {times(f['cost_same'])}"))


# ---- C22: "AI performance" 20 PF against 4 PF; a 27 T parameter model ------------------------

def _c22_figures(cat: Catalog) -> dict[str, float | None]:
    gb, h100 = cat.typed("gb200", Chip), cat.typed("h100-sxm", Chip)
    hbm = resolve(cat, "gb200-nvl72").memory_bytes
    return {"gb_ai": peak(gb, "fp4", sparse=True), "h_ai": peak(h100, "fp8", sparse=True),
            "gb_fp8": peak(gb, "fp8", sparse=True), "gb_dense": peak(gb, "fp8"),
            "h_dense": peak(h100, "fp8"), "hbm": hbm,
            "params_fp4": ratio(hbm, BYTES_PER_ELEMENT[Precision.fp4]),
            "params_fp8": ratio(hbm, BYTES_PER_ELEMENT[Precision.fp8])}


@claim("C22", inputs=("gb200-nvl72", "h100-sxm"))
def c22(cat: Catalog, text: ClaimText) -> Evaluation:
    """The two "AI performance" peaks, their ratio at each precision, and the parameters whose
    weights fit the HBM of one GB200 NVL72 at FP4 and FP8."""
    f = _c22_figures(cat)
    vendor, same = ratio(f["gb_ai"], f["h_ai"]), ratio(f["gb_fp8"], f["h_ai"])
    stated_ratio = text.figure("GB200 AI performance") / text.figure("H100 AI performance")
    params = text.figure("parameters held")
    as_said = (near(f["gb_ai"], text.figure("GB200 AI performance"))
               and near(f["h_ai"], text.figure("H100 AI performance"))
               and (f["params_fp4"] or 0) >= params * (1 - SPEC))
    like = near(same, stated_ratio, ABOUT) and (f["params_fp8"] or 0) >= params * (1 - SPEC)
    said = (f"GB200 {fmt(f['gb_ai'], 'flops_per_s')} FP4 sparse against H100 "
            f"{fmt(f['h_ai'], 'flops_per_s')} FP8 sparse ({times(vendor)}); at FP8 on both "
            f"{times(same)}; one NVL72's {fmt(f['hbm'], 'bytes')} of HBM holds "
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
        Figure("ratio GB200 / H100, both FP8 dense", ratio(f["gb_dense"], f["h_dense"]), "x"),
        Figure("GB200 NVL72 HBM", f["hbm"], "bytes"),
        Figure("parameters whose FP4 weights fill that HBM", f["params_fp4"], "count"),
        Figure("parameters whose FP8 weights fill that HBM", f["params_fp8"], "count")), (
        "peaks as catalogued for gb200 (one Blackwell GPU of a GB200 superchip, 1,200 W) and "
        "h100-sxm; 'AI performance' read as each chip's headline sparse peak",
        "'the system' read as one GB200 NVL72 rack (72 GPUs); weights only, at 0.5 byte per "
        "parameter (FP4) or 1 byte (FP8); Grace CPU memory not counted",
        f"tolerance {SPEC:.0%} on each peak and on the parameter count, {ABOUT:.0%} on the ratio"),
        verdict, said, condition, reading=(
        f"the article compares GB200's FP4 sparse peak with H100's FP8 sparse peak ({times(vendor)}); "
        f"at the same precision (FP8 sparse, or FP8 dense) the ratio is {times(same)}"))


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
    consistent = near(cards, text.figure("cards")) and near(nodes, text.figure("nodes"))
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
    bf16 = peak(chip, "bf16")
    stated = text.figure("peak per 1000 cards")
    span = _span(q)
    covers = (span is not None and span[0] * 1000 <= stated * (1 + ABOUT)
              and span[1] * 1000 >= stated * (1 - ABOUT))
    said = f"1,000 Ascend 910B peak at {fmt(fp16, 'flops_per_s')} FP16"
    if near(fp16, stated, ABOUT):
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
