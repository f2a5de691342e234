"""Peers side by side: llm-analysis and GenZ beside wafersim on the same published rows.

Run: python benchmarks/bench_peers.py [--json PATH] [--rows T015,I048] [--jobs 2]
(prints figures; asserts nothing; about a minute on two cores, GenZ's cells in worker processes).
Peers: `pip install -e '.[peers]'`; a peer that does not import is reported in one line and
left out, and with neither the script says so and exits 0.

Every train and infer row of the validation set is listed; a tool that cannot express a row shows
n/a and a short reason. Micro-benchmark rows are calibration data and are not listed. Columns:
- wafersim: `wafersim.validate.run.validate` on the row, unchanged.
- llm-analysis: its own defaults (flops and HBM efficiency 1.0, its built-in GPU file where it has
  one for the chip, else the catalog's datasheet figures); llm-analysis+cal: the catalog's figures
  and the same achieved efficiencies wafersim uses (MAMF matmul share, HBM share from the
  micro rows; for training times the per-chip framework efficiency fitted on training rows).
- genz: GenZ's built-in system where it has one (else datasheet figures), system_eff 1;
  genz+cal: FLOP/s and HBM bandwidth scaled by the same achieved efficiencies. GenZ has no
  training model.
Both peers get wafersim's model configurations (their name look-ups need the model hub).

Summaries: median absolute error per kind and per family (the row's serving stack or training
framework engine, as `wafersim validate` names it), on the rows each tool expressed and on the
rows every column expressed, each over all rows and over held-out rows (rows without a
`calibrates` cell; calibration rows are in-sample for wafersim and for the +cal variants).

The peers' outputs go through one conversion per metric, the same for every peer (see
`serving_metric` and `training_metric`). Rows that publish no batch (throughput at the best
batch) or no tensor-parallel degree are swept for the peers: powers of two up to the peer's own
memory limit, stopping when throughput gains under 1%; tp over the powers of two dividing the
device count.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import partial

from _peers import genz_model, genz_scratch, llm_analysis_model, load_peer, quiet

from wafersim.catalog import Catalog, load_catalog
from wafersim.catalog.system import System, resolve
from wafersim.cost.kernels.gemm import device_of
from wafersim.cost.train.scenario import default_seq_len
from wafersim.cost.train.step import accelerator_of
from wafersim.models import load_model
from wafersim.models.spec import ModelSpec
from wafersim.serve.workload import Workload
from wafersim.validate import records, run
from wafersim.validate.infer import DEFAULT_TOKENS
from wafersim.validate.records import Record
from wafersim.validate.train import attention_of

KINDS = ("train", "infer")
MAX_BATCH = 4096
SATURATED = 1.01  # a batch sweep stops when doubling the batch gains less than 1%
HIGHER_IS_BETTER = {"throughput_tokens_per_s", "user_tokens_per_s", "tokens_per_s",
                    "flops_per_device", "hw_flops_per_device", "mfu"}

NA = {
    "tune": "fine-tuning (LoRA) rows: not modelled by the peer",
    "plan": "training plan (tp/pp/dp, global batch) not published; llm-analysis has no plan search",
    "cp": "context or expert parallel training: llm-analysis has neither",
    "mla": "multi-head latent attention (DeepSeek-V3) is not modelled by the peers",
    "hd": "head_dim != d_model / heads (PaLM, Qwen3): llm-analysis assumes equality",
    "moe": "MoE with dense leading layers or shared experts: not expressible",
    "dev": "no HBM figures (wafer-scale or SRAM machine): the peers model HBM accelerators",
    "count": "system size not published",
    "link": "no interconnect bandwidth in the catalog for a multi-device row",
    "train": "GenZ (genz-llm) has no training model",
    "fit": "the peer's memory model fits no plan/batch the row allows",
    "err": "the peer raised (exception type in the notes)",
    "skip": "wafersim skipped the row (reason in the notes)",
}

# Peer files for our chip ids (used by the default variants only).
LA_GPUS = {"a100-sxm-80gb": "a100-sxm-80gb", "a100-sxm-40gb": "a100-sxm-40gb",
           "h100-sxm": "h100-sxm-80gb", "h100-pcie": "h100-pcie-80gb"}
GENZ_SYSTEMS = {"a100-sxm-40gb": "A100_40GB_GPU", "a100-sxm-80gb": "A100_80GB_GPU",
                "h100-sxm": "H100_GPU", "gh200": "GH200_GPU", "gb200": "GB200", "mi300x": "MI300X",
                "tpu-v4": "TPUv4", "tpu-v5p": "TPUv5p", "tpu-v6e": "TPUv6"}
# Row precision -> llm-analysis dtype file and the peak slot it computes at (W4A16 computes in 16 bit).
LA_DTYPE = {"bf16": ("w16a16e16", 16), "fp16": ("w16a16e16", 16), "fp8": ("w8a8e16", 8),
            "int8": ("w8a8e16", 8), "fp4": ("w4a4e16", 4), "int4": ("w4a16e16", 16)}
SLOT_PRECISIONS = {16: ("bf16", "fp16"), 8: ("fp8", "int8"), 4: ("fp4", "int4")}
GENZ_BITS = {"bf16": "bf16", "fp16": "bf16", "fp8": "fp8", "int8": "int8", "fp4": "fp4", "int4": "int4"}


class NotExpressible(Exception):
    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or NA[code])
        self.code = code


class NoFit(Exception):
    """The peer's own memory check refused this point."""


@dataclass
class Cell:
    pred: float | None = None
    err_pct: float | None = None
    na: str = ""  # n/a code (NA)
    note: str = ""  # plan the peer ran, exception, memory warning
    flag: str = ""  # "!": the peer's memory model says the published plan does not fit
    ms: float = 0.0


@dataclass(frozen=True)
class Job:
    """What a peer sees of one row: model, accelerator, precision, device count."""

    row: Record
    spec: ModelSpec
    system: System
    precision: str
    count: int

    @property
    def chip(self):  # type: ignore[no-untyped-def]
        return self.system.chip


def job_of(row: Record, catalog: Catalog) -> Job:
    if row.finetune:
        raise NotExpressible("tune")
    system = resolve(catalog, row.system)
    chip = system.chip
    if chip.device_class == "wafer" or not _value(chip.hbm_bytes) or not _value(chip.hbm_bandwidth_Bps):
        raise NotExpressible("dev")
    count = row.count
    if count is None:
        raise NotExpressible("count")
    if count > 1 and not links(chip)[0]:
        raise NotExpressible("link")
    spec = load_model(row.model or "")
    if spec.is_mla:
        raise NotExpressible("mla")
    if spec.is_moe and (spec.n_dense_layers or spec.n_shared_experts or spec.moe_every != 1):
        raise NotExpressible("moe")
    return Job(row, spec, system, row.precision or "bf16", count)


def _value(q) -> float | None:  # type: ignore[no-untyped-def]
    return None if q is None else q.value


def links(chip) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(scale-up, scale-out) B/s per device; 0 where the catalog has neither (one device only)."""
    up, out = _value(chip.scale_up_bandwidth_Bps), _value(chip.scale_out_bandwidth_Bps)
    return up or out or 0.0, out or up or 0.0


def achieved(job: Job, training: bool) -> tuple[float, float]:
    """(compute, HBM) shares of peak that wafersim's catalog calibration uses for this row."""
    dev = device_of(job.chip, job.precision)
    compute = dev.matmul_efficiency
    if training:  # the framework efficiency multiplies the kernel-level compute time
        compute *= accelerator_of(job.system, job.precision).framework
    return compute, dev.memory_Bps / job.chip.hbm_bandwidth_Bps.value


# ---- metric conversions (one per metric, shared by the peers) ----

def serving_metric(metric: str, ttft: float, tpot: float, batch: int, replicas: int, output: int) -> float:
    e2e = ttft + (output - 1) * tpot  # whole request: prefill, then output-1 decode steps (as wafersim)
    values = {"ttft_s": ttft,  # prefill of the batch
              "tpot_s": tpot,  # mean decode step
              "e2e_latency_s": e2e,
              "user_tokens_per_s": 1.0 / tpot,  # one user sees a token per decode step
              # static batches back to back: each replica finishes `batch` requests every e2e
              "throughput_tokens_per_s": replicas * batch * output / e2e}
    if metric not in values:
        raise NotExpressible("err", f"serving metric {metric} has no conversion")
    return values[metric]


def training_metric(job: Job, step_s: float, recompute: str) -> float:
    row, spec = job.row, job.spec
    seq, batch = row.seq_len or default_seq_len(spec), row.global_batch or 0
    tokens_step = batch * seq
    model_flops = spec.training_flops_per_token(seq) * tokens_step  # the FLOP count wafersim reports
    values = {"step_time_s": step_s,
              "tokens_per_s": tokens_step / step_s,  # whole job
              "flops_per_device": model_flops / step_s / job.count,
              # hardware FLOPs: recompute FLOPs of the recompute the peer ran with counted (Megatron eq. 3)
              "hw_flops_per_device": spec.training_flops_per_token(seq, recompute) * tokens_step
              / step_s / job.count,
              "mfu": model_flops / step_s / job.count / device_of(job.chip, job.precision).peak_flops_per_s}
    tokens = row.tokens
    if tokens:  # whole-run metrics: the row's token count at the peer's step time
        values["time_to_train_s"] = tokens / tokens_step * step_s
        values["device_hours"] = values["time_to_train_s"] * job.count / 3600
    metric = row.metric
    if metric not in values:
        raise NotExpressible("err", f"training metric {metric} has no conversion")
    return values[metric]


# ---- serving: one evaluation point per peer, and the sweep over what the row leaves open ----

Point = Callable[[int, int], tuple[float, float]]  # (tp, batch) -> (TTFT s, mean TPOT s)


def tokens_of(row: Record) -> tuple[int, int]:
    """The row's lengths; a replayed run with a range ratio gives the peers its mean lengths."""
    inp, out = row.input_tokens or DEFAULT_TOKENS, row.output_tokens or DEFAULT_TOKENS
    ratio = row.range_ratio
    if ratio is None:
        return inp, out
    return Workload(1, inp, out, range_ratio=ratio).mean_tokens()


def serve_best(job: Job, point: Point) -> tuple[float, str]:
    """The row's metric at the row's plan and batch, or the best over the ones it leaves open."""
    row = job.row
    if (row.pp or 1) > 1 or (row.ep or 1) > 1:
        raise NotExpressible("cp", "pipeline or expert parallel serving")
    metric, (_, output) = row.metric, tokens_of(row)
    search = row.batch is None and metric == "throughput_tokens_per_s"
    tps = [row.tp] if row.tp else [t for t in (1, 2, 4, 8, 16, 32)
                                                if t <= job.count and job.count % t == 0]
    sign = 1.0 if metric in HIGHER_IS_BETTER else -1.0
    best: tuple[float, str] | None = None
    for tp in tps:
        if job.count % tp:
            raise NotExpressible("err", f"tp {tp} does not divide {job.count} devices")
        replicas, batch, last = job.count // tp, row.batch or 1, None
        while batch <= MAX_BATCH:
            try:
                ttft, tpot = point(tp, batch)
            except NoFit:
                break
            value = serving_metric(metric, ttft, tpot, batch, replicas, output)
            if best is None or sign * value > sign * best[0]:
                best = (value, f"tp{tp} x{replicas} batch {batch}")
            if not search or (last is not None and value < last * SATURATED):
                break
            last, batch = value, batch * 2
    if best is None:
        raise NotExpressible("fit")
    return best


def llm_analysis_serving(job: Job, calibrated: bool) -> tuple[float, str]:
    from llm_analysis.analysis import LLMAnalysis
    from llm_analysis.config import ParallelismConfig, get_dtype_config_by_name

    if job.spec.head_dim * job.spec.n_heads != job.spec.d_model:
        raise NotExpressible("hd")
    inp, out = tokens_of(job.row)
    model, gpu = llm_analysis_model(job.spec, inp + out), la_gpu(job, calibrated)
    dtype = get_dtype_config_by_name(LA_DTYPE[job.precision][0])
    effs = dict(zip(("flops_efficiency", "hbm_memory_efficiency"), achieved(job, False), strict=True)) \
        if calibrated else {}

    def point(tp: int, batch: int) -> tuple[float, float]:
        analysis = LLMAnalysis(model, gpu, dtype, ParallelismConfig(tp_size=tp), **effs)
        try:
            r = analysis.inference(batch_size_per_gpu=batch, seq_len=inp, num_tokens_to_generate=out)
        except AssertionError as exc:  # its memory checks are asserts
            raise NoFit(str(exc)) from None
        # prefill_latency: s for the batch's prompts; decode_latency: s per decode step, its KV
        # term read and written at the final context (llm-analysis's own convention)
        return r["prefill_latency"], r["decode_latency"]

    return serve_best(job, point)


def genz_serving(job: Job, calibrated: bool) -> tuple[float, str]:
    from GenZ import decode_moddeling, prefill_moddeling

    inp, out = tokens_of(job.row)
    model, system, bits = genz_model(job.spec), genz_system(job, calibrated), GENZ_BITS[job.precision]

    def point(tp: int, batch: int) -> tuple[float, float]:
        kw = dict(model=model, batch_size=batch, system_name=system, bits=bits, tensor_parallel=tp)
        try:
            with quiet():
                prefill = prefill_moddeling(input_tokens=inp, **kw)
                # Bb=1: greedy decoding (its default Bb=4 models 4 beams); a step's time is linear
                # in the context, so the mean TPOT is the mean of the first and the last step
                first = decode_moddeling(input_tokens=inp, output_tokens=0, Bb=1, **kw)
                last = decode_moddeling(input_tokens=inp, output_tokens=out, Bb=1, **kw)
        except ValueError as exc:
            if "fit" in str(exc):  # its memory check: weights + KV cache over the devices
                raise NoFit(str(exc)) from None
            raise
        # Latency is in ms: prefill of the batch; one decode step of the batch
        return prefill["Latency"] / 1e3, (first["Latency"] + last["Latency"]) / 2e3

    return serve_best(job, point)


# ---- device files for the peers ----

def _peak(chip, precision: str) -> float | None:  # type: ignore[no-untyped-def]
    q = chip.peak_dense_flops_per_s.get(precision)
    return None if q is None or q.value is None else q.value / 1e12


def la_gpu(job: Job, calibrated: bool):  # type: ignore[no-untyped-def]
    """llm-analysis's own GPU file for the default variant where it has one, else the catalog's."""
    from llm_analysis.config import GPUConfig, get_gpu_config_by_name

    chip = job.chip
    if not calibrated and chip.id in LA_GPUS:
        return get_gpu_config_by_name(LA_GPUS[chip.id])
    peaks = {bits: next((p for p in (_peak(chip, q) for q in names) if p), None)
             for bits, names in SLOT_PRECISIONS.items()}
    slot = LA_DTYPE[job.precision][1]
    if job.precision in SLOT_PRECISIONS[slot]:  # the slot the row's dtype computes at: its own peak
        peaks[slot] = _peak(chip, job.precision)
    up_Bps, out_Bps = links(chip)
    return GPUConfig(name=chip.id, mem_per_GPU_in_GB=chip.hbm_bytes.value / 2**30,  # it counts GiB
                     hbm_bandwidth_in_GB_per_sec=chip.hbm_bandwidth_Bps.value / 1e9,
                     intra_node_bandwidth_in_GB_per_sec=up_Bps / 1e9,
                     intra_node_min_message_latency=8e-6, peak_fp16_TFLOPS=peaks[16],
                     peak_i8_TFLOPS=peaks[8], peak_i4_TFLOPS=peaks[4],
                     inter_node_bandwidth_in_GB_per_sec=out_Bps / 1e9)


def genz_system(job: Job, calibrated: bool):  # type: ignore[no-untyped-def]
    """GenZ's built-in system for the default variant where it has one, else the catalog's."""
    from GenZ.system import System as GenZSystem

    chip = job.chip
    if not calibrated and chip.id in GENZ_SYSTEMS:
        return GENZ_SYSTEMS[chip.id]
    compute, memory = achieved(job, False) if calibrated else (1.0, 1.0)
    bits = GENZ_BITS[job.precision]
    # GenZ's 'Flops' is the 16-bit TFLOP/s (decimal) it scales by its own precision multiplier;
    # its sizes and bandwidths are binary (GiB, GiB/s), so bytes are divided by 2^30
    peak = device_of(chip, job.precision).peak_flops_per_s
    flops = peak / 1e12 * compute * GenZSystem.compute_multiplier[bits]
    link = links(chip)[0]
    return {"Flops": flops, "Memory_size": chip.hbm_bytes.value / 2**30,
            "Memory_BW": chip.hbm_bandwidth_Bps.value * memory / 2**30, "ICN": link / 2**30,
            "real_values": True}


# ---- training (llm-analysis) ----

def plan_of(job: Job) -> tuple[int, int, int]:
    row = job.row
    if (row.cp or 1) > 1 or (row.ep or 1) > 1:
        raise NotExpressible("cp")
    degrees = [row.tp, row.pp, row.dp]
    known = 1
    for d in degrees:
        known *= d or 1
    missing = degrees.count(None)
    if row.global_batch is None or missing > 1 or job.count % known:
        raise NotExpressible("plan")
    if missing == 1:  # the product of the degrees is the device count
        degrees[degrees.index(None)] = job.count // known
    elif known != job.count:
        raise NotExpressible("plan", f"tp*pp*dp = {known} != {job.count} devices")
    tp, pp, dp = degrees
    return tp, pp, dp  # type: ignore[return-value]


def llm_analysis_training(job: Job, calibrated: bool) -> tuple[float, str, str]:
    from llm_analysis.analysis import ActivationRecomputation, DSZeRO, LLMAnalysis
    from llm_analysis.config import ParallelismConfig, get_dtype_config_by_name

    row, spec = job.row, job.spec
    if spec.head_dim * spec.n_heads != spec.d_model:
        raise NotExpressible("hd")
    tp, pp, dp = plan_of(job)
    seq = row.seq_len or default_seq_len(spec)
    model, gpu = llm_analysis_model(spec, seq), la_gpu(job, calibrated)
    dtype = get_dtype_config_by_name(LA_DTYPE[job.precision][0])
    effs = dict(zip(("flops_efficiency", "hbm_memory_efficiency"), achieved(job, True), strict=True)) \
        if calibrated else {}
    recomputes = [row.recompute] if row.recompute else ["none", "selective", "full"]
    kept = None
    for recompute in recomputes:  # fastest first; ZeRO stages cost llm-analysis no time
        for zero in DSZeRO:
            analysis = LLMAnalysis(model, gpu, dtype, ParallelismConfig(tp_size=tp, pp_size=pp, dp_size=dp),
                                   **effs)
            try:
                out = analysis.training(
                    batch_size_per_gpu=row.micro_batch, global_batch_size=row.global_batch,
                    seq_len=seq, activation_recomputation=ActivationRecomputation[recompute.upper()],
                    ds_zero=zero, flash_attn=attention_of(row) == "flash",
                    mlp_gated_linear_units=spec.gated_mlp)
            except (AssertionError, StopIteration):  # no micro-batch fits its memory model
                continue
            kept = (out, recompute, zero)
            if out["memory_left_per_gpu"] >= 0:
                break
        if kept and kept[0]["memory_left_per_gpu"] >= 0:
            break
    if kept is None:
        raise NotExpressible("fit")
    out, recompute, zero = kept
    flag = "" if out["memory_left_per_gpu"] >= 0 else "!"
    # latency_per_iter: s per optimizer step = all FLOPs of the step / (tp*pp devices x achieved FLOP/s)
    value = training_metric(job, out["latency_per_iter"], recompute)
    note = (f"tp{tp} pp{pp} dp{dp} mb{out['batch_size_per_gpu']} ga{out['gradient_accumulation_steps']} "
            f"{recompute} {zero.name.lower()}")
    return value, note, flag


# ---- the table ----

@dataclass
class Line:
    id: str
    kind: str
    system: str
    model: str
    metric: str
    measured: float | None
    calibration: bool
    family: str  # kind and serving stack (infer) or training framework engine (train), as validate
    cells: dict[str, Cell] = field(default_factory=dict)


def timed(fn: Callable[[], Cell]) -> Cell:  # the time of one tool on one row
    start = time.perf_counter()
    cell = fn()
    cell.ms = (time.perf_counter() - start) * 1e3
    return cell


def peer_cell(row: Record, catalog: Catalog, measured: float | None,
              fn: Callable[[Job], tuple]) -> Cell:  # type: ignore[type-arg]
    try:
        result = fn(job_of(row, catalog))
    except NotExpressible as exc:
        return Cell(na=exc.code, note="" if str(exc) == NA[exc.code] else str(exc))
    except Exception as exc:  # a peer failing on a row is reported, never fatal
        first = str(exc).splitlines()[0][:90] if str(exc) else ""
        return Cell(na="err", note=f"{type(exc).__name__}: {first}")
    value, note, flag = (*result, "")[:3]
    err = None if not measured else 100.0 * (value - measured) / measured
    return Cell(pred=value, err_pct=err, note=note, flag=flag)


def llm_analysis_job(job: Job, calibrated: bool) -> tuple:  # type: ignore[type-arg]
    if job.row.kind == "train":
        return llm_analysis_training(job, calibrated)
    return llm_analysis_serving(job, calibrated)


# column -> (peer distribution, evaluation, calibrated)
COLUMNS = {"llm-analysis": ("llm-analysis", llm_analysis_job, False),
           "llm-analysis+cal": ("llm-analysis", llm_analysis_job, True),
           "genz": ("genz-llm", genz_serving, False), "genz+cal": ("genz-llm", genz_serving, True)}


def column_cell(name: str, row: Record, measured: float | None) -> Cell:
    """One peer column on one row, timed (module level, so that a worker process can run it)."""
    dist, fn, calibrated = COLUMNS[name]
    if dist == "genz-llm" and row.kind == "train":
        return Cell(na="train")
    return timed(partial(peer_cell, row, load_catalog(), measured, partial(fn, calibrated=calibrated)))


def ours(row: Record, catalog: Catalog) -> tuple[Cell, run.Outcome]:
    start = time.perf_counter()
    o = run.validate([row], KINDS, catalog)[0]
    ms = (time.perf_counter() - start) * 1e3
    if o.status != "ok":
        return Cell(na="skip", note=o.reason[:100], ms=ms), o
    return Cell(pred=o.predicted, err_pct=o.error_pct, ms=ms), o


def stats(errors: list[float]) -> dict[str, float]:
    if not errors:
        return {"n": 0}
    a = [abs(e) for e in errors]
    return {"n": len(a), "median_abs_error_pct": statistics.median(a),
            "mean_abs_error_pct": statistics.fmean(a)}


def errs(name: str, subset: list[Line]) -> list[float]:
    return [ln.cells[name].err_pct for ln in subset if ln.cells[name].err_pct is not None]  # type: ignore[misc]


def grouped(lines: list[Line], names: list[str], key: Callable[[Line], str]) -> dict[str, dict[str, object]]:
    """Each tool's error statistics per group of `lines` (a tool's n counts the rows it expressed)."""
    groups = sorted({key(ln) for ln in lines})
    return {g: {n: stats(errs(n, [ln for ln in lines if key(ln) == g])) for n in names} for g in groups}


def summarise(lines: list[Line], names: list[str]) -> dict[str, object]:
    has = {n: [ln for ln in lines if ln.cells[n].err_pct is not None] for n in names}
    common = [ln for ln in lines if all(ln.cells[n].err_pct is not None for n in names)]
    rest = [ln for ln in lines if not ln.calibration]  # held-out rows
    pairwise = {}
    for n in names[1:]:
        both = [ln for ln in has[n] if ln.cells["wafersim"].err_pct is not None]
        held = [ln for ln in both if not ln.calibration]
        pairwise[n] = {"rows": [ln.id for ln in both], "wafersim": stats(errs("wafersim", both)),
                       n: stats(errs(n, both)),
                       "held_out": {"wafersim": stats(errs("wafersim", held)), n: stats(errs(n, held))},
                       "by_kind": grouped(both, ["wafersim", n], lambda ln: ln.kind),
                       "held_out_by_kind": grouped(held, ["wafersim", n], lambda ln: ln.kind)}
    return {"expressed": {n: stats(errs(n, has[n])) for n in names},
            "expressed_by_kind": {n: {k: stats(errs(n, [ln for ln in has[n] if ln.kind == k])) for k in KINDS}
                                  for n in names},
            "held_out_by_kind": grouped(rest, names, lambda ln: ln.kind),
            "by_family": grouped(lines, names, lambda ln: ln.family),
            "held_out_by_family": grouped(rest, names, lambda ln: ln.family),
            "common_rows": [ln.id for ln in common],
            "common": {n: stats(errs(n, common)) for n in names},
            "common_by_kind": grouped(common, names, lambda ln: ln.kind),
            "common_held_out_by_kind": grouped([ln for ln in common if not ln.calibration], names,
                                               lambda ln: ln.kind),
            "common_by_family": grouped(common, names, lambda ln: ln.family),
            "with_wafersim": pairwise}


# ---- printing ----

SHORT = {"throughput_tokens_per_s": "tput tok/s", "hw_flops_per_device": "hwFLOP/s/dev",
         "flops_per_device": "FLOP/s/dev", "user_tokens_per_s": "user tok/s", "e2e_latency_s": "e2e s",
         "time_to_train_s": "train s", "device_hours": "dev-hours", "step_time_s": "step s",
         "tokens_per_s": "tok/s", "ttft_s": "ttft s", "tpot_s": "tpot s", "mfu": "mfu"}


def num(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.3g}" if abs(x) >= 1e5 or abs(x) < 1e-2 else f"{x:.4g}"


def cell_text(c: Cell) -> str:
    if c.pred is None:
        return f"n/a:{c.na}"
    err = "" if c.err_pct is None else f" {c.err_pct:+.0f}%"
    return f"{num(c.pred)}{c.flag}{err}"


def print_table(lines: list[Line], names: list[str]) -> None:
    width = {n: max(len(n), *(len(cell_text(ln.cells[n])) for ln in lines)) for n in names}
    head = f"{'id':7} {'system':13} {'model':15} {'metric':12} {'measured':>9}  " + \
        "  ".join(f"{n:>{width[n]}}" for n in names)
    print(head)
    print("-" * len(head))
    for ln in lines:
        rid = ln.id + ("*" if ln.calibration else "")
        print(f"{rid:7} {ln.system[:13]:13} {ln.model[:15]:15} {SHORT.get(ln.metric, ln.metric)[:12]:12} "
              f"{num(ln.measured):>9}  " + "  ".join(f"{cell_text(ln.cells[n]):>{width[n]}}" for n in names))


def print_summary(summary: dict, names: list[str]) -> None:  # type: ignore[type-arg]
    def fmt(s: dict) -> str:  # type: ignore[type-arg]
        if not s.get("n"):
            return f"{'0':>4} {'-':>8} {'-':>8}"
        return f"{s['n']:>4} {s['median_abs_error_pct']:>7.1f}% {s['mean_abs_error_pct']:>7.1f}%"

    print("\nAbsolute error over the rows each tool expressed (train | infer | all):")
    print(f"{'tool':18} {'n':>4} {'median':>8} {'mean':>8} | {'n':>4} {'median':>8} {'mean':>8} | "
          f"{'n':>4} {'median':>8} {'mean':>8}")
    for n in names:
        k = summary["expressed_by_kind"][n]
        print(f"{n:18} {fmt(k['train'])} | {fmt(k['infer'])} | {fmt(summary['expressed'][n])}")
    common = summary["common_rows"]
    print(f"\nCommon subset, rows every column expressed ({len(common)}): {' '.join(common) or 'none'}")
    for n in names:
        print(f"{n:18} {fmt(summary['common'][n])}")
    print("\nEach peer against wafersim on the rows both expressed (all | without calibration rows):")
    for n in names[1:]:
        p, h = summary["with_wafersim"][n], summary["with_wafersim"][n]["held_out"]
        print(f"{n:18} {fmt(p[n])}  wafersim {fmt(p['wafersim'])} | "
              f"{fmt(h[n])}  wafersim {fmt(h['wafersim'])}")
    print("\nEach peer against wafersim by kind, on the rows both expressed (all | held-out):")
    for n in names[1:]:
        p = summary["with_wafersim"][n]
        for k, a in p["by_kind"].items():
            h = p["held_out_by_kind"].get(k, {n: {}, "wafersim": {}})
            print(f"{n + ' ' + k:22} {fmt(a[n])}  wafersim {fmt(a['wafersim'])} | "
                  f"{fmt(h[n])}  wafersim {fmt(h['wafersim'])}")
    print_grouped("Held-out rows (no calibration rows) by kind, rows each tool expressed",
                  summary["held_out_by_kind"], names)
    print_grouped("Common rows by kind", summary["common_by_kind"], names)
    print_grouped("Common held-out rows by kind", summary["common_held_out_by_kind"], names)
    print_grouped("Per family (serving stack or training framework), rows each tool expressed",
                  summary["by_family"], names)
    print_grouped("Per family, held-out rows each tool expressed", summary["held_out_by_family"], names)
    print_grouped("Per family, common rows", summary["common_by_family"], names)


def print_grouped(title: str, groups: dict, names: list[str]) -> None:  # type: ignore[type-arg]
    """One line per group: each tool's n and median absolute error (- where it expressed none)."""
    print(f"\n{title} (n, median absolute error):")
    if not groups:
        print("  none")
        return
    width = max(len(g) for g in groups)
    print(f"{'':{width}} " + " ".join(f"{n:>17}" for n in names))
    for g, by_tool in groups.items():
        print(f"{g:{width}} " + " ".join(f"{s['n']:>8} {s['median_abs_error_pct']:>7.1f}%" if s.get("n")
                                         else f"{'-':>17}" for s in (by_tool[n] for n in names)))


def print_times(lines: list[Line], names: list[str]) -> None:
    print("\nTime per row (ms; n/a rows cost ~0 and are shown as -):")
    print(f"{'id':7} " + " ".join(f"{n:>17}" for n in names))
    for ln in lines:
        if all(ln.cells[n].pred is None for n in names[1:]):
            continue
        print(f"{ln.id:7} " + " ".join(f"{ln.cells[n].ms:>17.1f}" if ln.cells[n].pred is not None
                                       else f"{'-':>17}" for n in names))
    print(f"{'total':7} " + " ".join(f"{sum(ln.cells[n].ms for ln in lines):>17.1f}" for n in names))


def print_notes(lines: list[Line], names: list[str]) -> None:
    print("\nn/a reasons:")
    used = sorted({ln.cells[n].na for ln in lines for n in names if ln.cells[n].na})
    for code in used:
        print(f"  {code:6} {NA[code]}")
    print("Plans the peers ran (swept where the row leaves batch or tp open), failures, wafersim skips:")
    for ln in lines:
        notes = {n: c.note for n, c in ln.cells.items() if c.note and (n != "wafersim" or c.na)}
        if len(set(notes.values())) == 1 and len(notes) > 1:
            print(f"  {ln.id:7} {', '.join(notes)}: {next(iter(notes.values()))}")
        elif notes:
            print(f"  {ln.id:7} " + "; ".join(f"{n}: {note}" for n, note in notes.items()))
    print("  ! = llm-analysis's memory model says the published plan does not fit (figure kept)")
    print("  * = wafersim calibration row (in-sample for wafersim and for the +cal variants' framework "
          "efficiency)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    parser.add_argument("--rows", help="comma-separated row ids (default: all train and infer rows)")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                        help="worker processes for the GenZ cells (default: 2, or 1 on one core)")
    args = parser.parse_args()

    peers, labels = {}, []
    for dist in ("llm-analysis", "genz-llm"):
        start = time.perf_counter()
        peers[dist], label = load_peer(dist)
        labels.append(label + (f" (import {time.perf_counter() - start:.1f} s)" if peers[dist] else ""))
    print("Peers: " + "; ".join(labels))
    if not any(peers.values()):
        print("No peer tool is importable (pip install -e '.[peers]'); nothing to compare.")
        return 0

    catalog = load_catalog()
    wanted = set(args.rows.split(",")) if args.rows else None
    rows = [r for r in records.read() if r.kind in KINDS and (wanted is None or r.id in wanted)]
    names = ["wafersim", *(n for n, (dist, _, _) in COLUMNS.items() if peers[dist])]
    lines = []
    for row in rows:
        cell, o = ours(row, catalog)
        lines.append(Line(row.id, o.kind, o.system, o.model, o.metric, o.measured, o.calibration,
                          o.family, {"wafersim": cell}))
    # GenZ costs ~50 ms a call: its cells run in worker processes (forked, peers already imported)
    slow = [n for n in names if COLUMNS.get(n, ("",))[0] == "genz-llm"]
    with genz_scratch(), ProcessPoolExecutor(max(1, args.jobs)) as pool:
        pending = {(i, n): pool.submit(column_cell, n, row, lines[i].measured)
                   for i, row in enumerate(rows) for n in slow}
        for i, row in enumerate(rows):
            for n in names[1:]:
                if n not in slow:
                    lines[i].cells[n] = column_cell(n, row, lines[i].measured)
        for (i, n), future in pending.items():
            lines[i].cells[n] = future.result()
    for line in lines:
        line.cells = {n: line.cells[n] for n in names}

    print_table(lines, names)
    summary = summarise(lines, names)
    print_summary(summary, names)
    print_times(lines, names)
    print_notes(lines, names)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"peers": labels, "columns": names, "na_reasons": NA,
                       "rows": [{**{k: v for k, v in asdict(ln).items() if k != "cells"},
                                 "cells": {n: asdict(c) for n, c in ln.cells.items()}} for ln in lines],
                       "summary": summary}, f, indent=1)
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
