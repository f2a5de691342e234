"""SRAM-resident inference on wafer-scale systems (Cerebras CS-3 inference), pipelined over wafers.

Weights, KV cache and activations live in on-wafer SRAM (usable = sram_bytes x
wafer.sram_usable_fraction). The system uses the fewest wafers that hold the weights plus the
KV cache of the requests in flight (C16/C18); an untied input embedding is a row lookup the host
does, so its table stays off the wafer. The layers are cut into consecutive pieces by bytes, one
per wafer; a cut may fall inside a layer (a matrix split by rows), and at each cut the hidden
vector crosses the system I/O link (node io bandwidth, scale-out latency).

Each layer is a pipeline stage (per-layer times in `infer_wafer_layers.py`). With B requests in
flight, M = min(B, stages) micro-batches of ceil(B/M) tokens travel the pipeline: a request's
token takes max(one pass, M x the slowest stage), so throughput B / TPOT rises with B until the
slowest stage is busy all the time (GPipe-style fill, Huang et al. 2019). Prefill streams each
prompt through the stages in chunks; the chunk size that gives the shortest TTFT is taken.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from wafersim.catalog.system import System
from wafersim.cost.infer.common import ACT_BYTES, Serving, embedding_on_host, speculative_tokens_per_step
from wafersim.cost.infer.wafer_grid import DecodeGrid, check_grid, grid_of, grid_parts
from wafersim.cost.infer.wafer_layers import LayerModel, PeRates, pe_rates, spread, wafer_weight_bytes
from wafersim.cost.kernels.collectives import Link, p2p_s
from wafersim.errors import ConfigError
from wafersim.models.spec import ModelSpec, bytes_per_param

Array = npt.NDArray[np.float64]
Parts = dict[str, Array]  # seconds by part, one per batch


@dataclass(frozen=True)
class Speculative:
    """A draft model proposing `lookahead` tokens, each accepted with probability `acceptance`."""

    draft: ModelSpec
    acceptance: float
    lookahead: int = 4

    @property
    def tokens_per_step(self) -> float:
        return speculative_tokens_per_step(self.acceptance, self.lookahead)


@dataclass(frozen=True)
class WaferFit:
    """How a model and its KV cache spread over wafers."""

    wafers: int
    usable_bytes: float  # per wafer
    weight_bytes: float  # on the wafers, target and draft
    kv_bytes_per_request: float
    notes: tuple[str, ...]

    def max_batch(self, wafers: int | None = None, share: float = 1.0) -> int:
        """Requests whose KV cache fits at full context on `wafers` wafers (`share` of their SRAM)."""
        free = (wafers or self.wafers) * self.usable_bytes * share - self.weight_bytes
        return max(0, int(free // self.kv_bytes_per_request))


@dataclass(frozen=True)
class Region:
    """Where one pipeline of a model sits: `wafers` wafers, `share` of their PEs (and SRAM).

    A model alone holds every PE (share 1); models resident together each hold a contiguous
    share, so a model's layers span ceil(share x wafers) of the pipeline's wafers.
    """

    wafers: int
    share: float = 1.0

    def pes(self, per_wafer: float) -> float:
        return self.wafers * per_wafer * self.share

    @property
    def boundaries(self) -> int:
        """Wafer boundaries the hidden vector crosses (share 1: wafers - 1)."""
        return max(1, math.ceil(self.share * self.wafers - 1e-9)) - 1


def _usable_sram(system: System) -> tuple[float, str]:
    chip = system.chip
    if chip.sram_bytes is None or chip.sram_bytes.value is None:
        raise ConfigError(f"{chip.id} has no SRAM size in the catalog")
    q = chip.wafer.sram_usable_fraction if chip.wafer else None
    frac = q.value if q is not None and q.value is not None else 1.0
    return chip.sram_bytes.value * frac, (f"usable SRAM {frac:g} x {chip.sram_bytes.value / 1e9:.1f}"
                                          f" GB per wafer (catalog, {q.tag if q else 'assumed'})")


def wafer_fit(model: ModelSpec, system: System, serving: Serving,
              spec: Speculative | None = None) -> WaferFit:
    """Usable SRAM, weights and per-request KV cache of `model` (and a draft) on `system`'s wafers."""
    usable, note = _usable_sram(system)
    host = embedding_on_host(model)
    weights = wafer_weight_bytes(model, serving.precision, host)
    kv = serving.kv_bytes_per_request(model, paged=False)
    if spec is not None:
        weights += wafer_weight_bytes(spec.draft, serving.precision, embedding_on_host(spec.draft))
        kv += serving.kv_bytes_per_request(spec.draft, paged=False)
    notes = [note, "weights, KV cache and activations stay in SRAM; no weight streaming"]
    if host:
        notes.append("untied input embedding looked up by the host; only its row enters the wafer")
    return WaferFit(1, usable, weights, kv, tuple(notes))


def wafers_needed(f: WaferFit, batch: int) -> int:
    """The fewest wafers holding the weights and the KV cache of `batch` requests."""
    return max(1, math.ceil((f.weight_bytes + batch * f.kv_bytes_per_request) / f.usable_bytes))


def _link(system: System) -> Link:
    node = system.node
    q = node.io_bandwidth_Bps if node else system.chip.io_bandwidth_Bps
    if q is None or q.value is None:
        raise ConfigError(f"{system.id}: no I/O bandwidth in the catalog to join wafers")
    latency = system.scale_out.latency_s if system.scale_out else None
    return Link(q.value, latency.value if latency and latency.value else 0.0, name="wafer-io")


def _pipeline(layers: LayerModel, tokens: Array, context: float, batch: Array,
              links_s: Array) -> tuple[Parts, Array]:
    """(pass seconds split by part, TPOT) for micro-batches of `tokens` and `batch` requests."""
    L = layers.model.n_layers
    gemv = L * np.asarray(layers.layer_gemv_s(tokens))
    attn = L * np.asarray(layers.attention_s(tokens, context))
    norms = L * layers.norms_s() + 0 * gemv
    head = np.asarray(layers.head_s(tokens))
    one_pass = gemv + attn + norms + head + links_s
    stage = np.maximum((gemv + attn + norms) / L, head)
    in_flight = np.minimum(batch, L + 1)
    tpot = np.maximum(one_pass, in_flight * stage)
    parts = {"gemv": gemv, "attention": attn, "norms": norms, "lm_head": head,
             "inter_wafer": links_s + 0 * gemv, "pipeline_wait": tpot - one_pass}
    return parts, tpot


def decode(model: ModelSpec, system: System, serving: Serving, batch: npt.ArrayLike,
           region: Region, weight_bytes: float, tokens_per_request: int = 1) -> tuple[Parts, Array]:
    """Decode breakdown and TPOT (arrays over `batch`, requests of one pipeline) in `region`."""
    rates = pe_rates(system.chip, system.architecture)
    grid = grid_of(serving.stack)
    if grid is not None:
        return _grid_decode(model, system, serving, np.asarray(batch, dtype=float)
                            * tokens_per_request, region, rates, grid)
    layers = spread(model, rates, region.pes(rates.pes_per_wafer) / weight_bytes,
                    bytes_per_param(serving.precision), bytes_per_param(serving.kv_precision),
                    serving.decode_context(model))
    b = np.asarray(batch, dtype=float)
    in_flight = np.minimum(b, model.n_layers + 1)
    tokens = b / in_flight * tokens_per_request  # mean micro-batch (sizes differ by at most one)
    links = region.boundaries * np.asarray(p2p_s(tokens * model.d_model * ACT_BYTES,
                                                 _link(system)))
    return _pipeline(layers, tokens, serving.decode_context(model), b, links)


def _grid_decode(model: ModelSpec, system: System, serving: Serving, tokens: Array, region: Region,
                 rates: PeRates, grid: DecodeGrid) -> tuple[Parts, Array]:
    """Decode on the stack's square PE grid, layers one after another (`wafer_grid.py`); the
    hidden vector still crosses each wafer boundary of the pipeline."""
    check_grid(model, rates, grid, bytes_per_param(serving.precision))
    parts = grid_parts(model, rates, grid, tokens, serving.decode_context(model))
    parts["inter_wafer"] = region.boundaries * np.asarray(
        p2p_s(tokens * model.d_model * ACT_BYTES, _link(system)))
    return parts, sum(parts.values(), 0.0 * tokens)


def prefill(model: ModelSpec, system: System, serving: Serving, batch: npt.ArrayLike,
            region: Region, weight_bytes: float) -> Parts:
    """TTFT breakdown (arrays over `batch`): prompts streamed through the stages in chunks."""
    rates = pe_rates(system.chip, system.architecture)
    layers = spread(model, rates, region.pes(rates.pes_per_wafer) / weight_bytes,
                    bytes_per_param(serving.precision), bytes_per_param(serving.kv_precision),
                    serving.decode_context(model))
    total = np.asarray(batch, dtype=float)[:, None] * serving.input_tokens
    chunks = 2.0 ** np.arange(0, 15)[None, :]
    chunk = np.minimum(chunks, total)
    L = model.n_layers
    ctx = serving.prefill_keys(model) - 0.5  # mean keys before a prompt token (causal)
    stage = np.asarray(layers.layer_gemv_s(chunk)) + np.asarray(layers.attention_s(chunk, ctx))
    stage = stage + layers.norms_s()
    links = region.boundaries * np.asarray(p2p_s(chunk * model.d_model * ACT_BYTES,
                                                 _link(system)))
    fill = L * stage + links
    ttft = fill + (total / chunk - 1) * stage  # the last chunk may be partial: fluid count
    best = np.argmin(ttft, axis=1)
    rows = np.arange(total.shape[0])
    head = np.asarray(layers.head_s(np.asarray(batch, dtype=float)))
    return {"layers": L * stage[rows, best], "inter_wafer": links[rows, best],
            "pipeline_drain": (ttft - fill)[rows, best], "lm_head": head}


def serving_efficiency(system: System) -> tuple[float, str]:
    """Achieved share of the analytical mesh time (the chip family's, shared by its generations),
    with its note."""
    arch = system.architecture
    q = arch.serving_efficiency_fraction if arch else None
    if arch is None or q is None or q.value is None:
        return 1.0, f"{system.chip.id}: no measured serving efficiency; analytical mesh bound used"
    return q.value, (f"{arch.id} serving efficiency {q.value:g} of the analytical mesh time, shared "
                     f"by {', '.join(arch.chips)} ({q.tag}; {q.note or q.source})")


def _decode_spec(model: ModelSpec, system: System, serving: Serving, b: Array, region: Region,
                 f: WaferFit, spec: Speculative | None) -> Parts:
    """Decode parts per output token, the draft's passes among them when speculating."""
    if spec is None:
        return decode(model, system, serving, b, region, f.weight_bytes)[0]
    if grid_of(serving.stack) is not None:
        raise ConfigError(f"serving stack {serving.stack.id if serving.stack else ''} decodes on a "
                          "PE grid and takes no draft model; serve it without one")
    k, tau = spec.lookahead, spec.tokens_per_step
    parts, _ = decode(model, system, serving, b, region, f.weight_bytes, k + 1)
    _, draft = decode(spec.draft, system, serving, b, region, f.weight_bytes)
    return {name: v / tau for name, v in parts.items()} | {"draft_model": k * draft / tau}


def wafer_points(model: ModelSpec, system: System, serving: Serving, batch: npt.ArrayLike,
                 region: Region, f: WaferFit,
                 spec: Speculative | None = None) -> tuple[Parts, Parts]:
    """(decode parts, prefill parts) arrays over `batch` (requests of one pipeline) in `region`,
    efficiency applied."""
    eff, _ = serving_efficiency(system)
    b = np.asarray(batch, dtype=float)
    tpot_parts = _decode_spec(model, system, serving, b, region, f, spec)
    ttft_parts = prefill(model, system, serving, b, region, f.weight_bytes)
    tau = 1.0 if spec is None else spec.tokens_per_step
    # a grid-decoding stack's decode is its kernels' own cycle count: no default stack's share
    decode_eff = 1.0 if grid_of(serving.stack) is not None else eff
    return (serving.stack_parts(tpot_parts, decode_eff, b / tau, "software_overhead", model,
                                speculate=spec is None),
            serving.stack_parts(ttft_parts, eff, b, "software_overhead", model))
