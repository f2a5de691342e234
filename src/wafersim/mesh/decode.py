"""One decode step of one transformer layer, composed from the mesh kernels on a single grid.

The layer is a catalog model (Llama-style: RMS norm, grouped-query attention, SwiGLU MLP) scaled
down to `d_model`, keeping its ratios (heads per KV head, d_ff / d_model) and norm epsilon. For
one new token x with a KV cache of `seq_len - 1` earlier tokens:

    h  = rmsnorm(x) * g1;  [q; k; v] = Wqkv @ h          (fused GEMV)
    S  = Q_g @ K_g^T / sqrt(hd);  P = softmax(S);  O_g = P @ V_g   (SUMMA GEMMs per KV group)
    x1 = x + Wo @ O;  h2 = rmsnorm(x1) * g2
    [a; u] = Wgu @ h2;  z = silu(a) * u;  out = x1 + Wd @ z

Rotary position embedding is left out (it does not change the data flow). Weights stay resident
in SRAM (each kernel allocates its own); between kernels the result vector moves from the
south-east corner north and then west along the north row (`handoff`), where the next GEMV
expects its input. The new k and v rows are written into the resident cache locally.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from wafersim.catalog import Catalog
from wafersim.errors import ParameterError, literal
from wafersim.mesh.budget import check_host_memory
from wafersim.mesh.elementwise import binary_cycles, transcendental_cycles
from wafersim.mesh.engine import TRACE_MAX_PES, MeshSim
from wafersim.mesh.gemm import gemm_on
from wafersim.mesh.gemv import CHUNK_VALUES, gemv_on
from wafersim.mesh.kernel import PE
from wafersim.mesh.layout import dtype_of, from_tiles, max_abs_error, tile_of, to_tiles
from wafersim.mesh.machine import PEMachine, machine_of
from wafersim.mesh.norms import norm_on, softmax_on
from wafersim.mesh.result import MeshResult
from wafersim.models import load_model

HANDOFF_COLOR = 12


@dataclass(frozen=True)
class LayerShape:
    """The scaled-down layer: widths and head counts."""

    d_model: int
    n_heads: int
    n_kv_heads: int
    head_dim: int
    d_ff: int
    seq_len: int
    eps: float


def scaled_layer(model: str, d_model: int, n_heads: int, seq_len: int) -> LayerShape:
    """Scale `model` down to `d_model` and `n_heads`, keeping its GQA and MLP ratios."""
    spec = load_model(model)
    if n_heads < 1:
        raise ParameterError("n_heads", n_heads, "{n_heads} must be a positive integer",
                             allowed=">= 1")
    if d_model % n_heads:
        raise ParameterError("d_model", d_model, "{d_model} must be a multiple of {n_heads}",
                             allowed=f"a multiple of {n_heads}", n_heads=n_heads)
    group = max(1, spec.n_heads // max(spec.n_kv_heads, 1))
    if n_heads % group:
        raise ParameterError("n_heads", n_heads, f"{{n_heads}} must be a multiple of "
                             f"{literal(spec.id)}'s {group} query heads per KV head",
                             allowed=f"a multiple of {group}")
    if seq_len < 1:
        raise ParameterError("seq_len", seq_len, "{seq_len} must be a positive integer",
                             allowed=">= 1")
    eps = float(spec.extra.get("rms_norm_eps", 1e-5) or 1e-5)  # type: ignore[arg-type]  # a raw config number
    d_ff = max(1, round(d_model * spec.d_ff / spec.d_model))
    return LayerShape(d_model, n_heads, n_heads // group, d_model // n_heads, d_ff, seq_len, eps)


def resident_values(shape: LayerShape) -> int:
    """Values the layer keeps resident: its four weight matrices and the KV cache."""
    d, hd, f = shape.d_model, shape.head_dim, shape.d_ff
    weights = (shape.n_heads + 2 * shape.n_kv_heads) * hd * d + d * shape.n_heads * hd + 3 * f * d
    return weights + 2 * shape.n_kv_heads * (shape.seq_len - 1) * hd


def check_resident(shape: LayerShape, machine: PEMachine, dt: type[np.floating[Any]]) -> None:
    """The resident values fit the grid's SRAM even spread evenly (a lower bound of what the
    kernels allocate), checked before any array is made."""
    need = -(-resident_values(shape) * np.dtype(dt).itemsize // machine.pes)
    if need > machine.sram_per_pe_bytes:
        raise ParameterError("seq_len", shape.seq_len, f"the layer's weights and KV cache need at "
                             f"least {need:,} bytes of SRAM per PE on {machine.cols}x{machine.rows} "
                             f"PEs but a PE has {machine.sram_per_pe_bytes:,}; use a smaller "
                             "{seq_len.flag} or {d_model.flag}, or a larger {grid.flag}",
                             allowed=f"at most {machine.sram_per_pe_bytes:,} bytes per PE")


def _weights(shape: LayerShape, seed: int, dt: type[np.floating[Any]]) -> dict[str, np.ndarray]:
    """Uniform(-1, 1) inputs, weights divided by the square root of their row length, in `dt`."""
    rng = np.random.default_rng(seed)
    d, hd, f = shape.d_model, shape.head_dim, shape.d_ff
    qkv = (shape.n_heads + 2 * shape.n_kv_heads) * hd
    draw = {"x": (d,), "g1": (d,), "g2": (d,), "wqkv": (qkv, d), "wo": (d, shape.n_heads * hd),
            "wgu": (2 * f, d), "wd": (d, f), "k_cache": (shape.n_kv_heads, shape.seq_len - 1, hd),
            "v_cache": (shape.n_kv_heads, shape.seq_len - 1, hd)}
    return {k: _drawn(rng, s, dt, k.startswith("w")) for k, s in draw.items()}


def _drawn(rng: np.random.Generator, shape: tuple[int, ...], dt: type[np.floating[Any]],
           scaled: bool) -> np.ndarray:
    """Uniform(-1, 1) values of `shape` in `dt` (divided by sqrt(shape[-1]) in float64 first
    where `scaled`), drawn a block of rows at a time: the generator's stream does not depend
    on the blocks, and the float64 draws never exist whole."""
    out = np.empty(shape, dtype=dt)
    rows = out.reshape(-1, shape[-1])
    step = max(1, CHUNK_VALUES // shape[-1])
    for i in range(0, rows.shape[0], step):
        block = rng.uniform(-1.0, 1.0, size=(min(step, rows.shape[0] - i), shape[-1]))
        rows[i:i + step] = (block / np.sqrt(shape[-1]) if scaled else block).astype(dt)
    return out



def _split_qkv(shape: LayerShape, qkv: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    hd, h, g = shape.head_dim, shape.n_heads, shape.n_kv_heads
    return (qkv[: h * hd].reshape(h, hd), qkv[h * hd:(h + g) * hd].reshape(g, hd),
            qkv[(h + g) * hd:].reshape(g, hd))


def _silu_mul(a: np.ndarray, u: np.ndarray) -> np.ndarray:
    return a / (1.0 + np.exp(-a)) * u


def reference(shape: LayerShape, w: dict[str, np.ndarray]) -> np.ndarray:
    """NumPy decode step of the layer in float64 (from the same rounded weights)."""

    def f(name: str) -> np.ndarray:  # widened where used, so one matrix at a time is float64
        return w[name].astype(np.float64)

    def rms(v: np.ndarray, g: np.ndarray) -> np.ndarray:
        return v / np.sqrt(np.mean(v * v) + shape.eps) * g

    q, k, v = _split_qkv(shape, f("wqkv") @ rms(f("x"), f("g1")))
    keys = np.concatenate([f("k_cache"), k[:, None]], axis=1)
    vals = np.concatenate([f("v_cache"), v[:, None]], axis=1)
    per = shape.n_heads // shape.n_kv_heads
    out = []
    for h in range(shape.n_heads):
        s = keys[h // per] @ q[h] / np.sqrt(shape.head_dim)
        p = np.exp(s - s.max())
        out.append((p / p.sum()) @ vals[h // per])
    x1 = f("x") + f("wo") @ np.concatenate(out)
    gu = f("wgu") @ rms(x1, f("g2"))
    return x1 + f("wd") @ _silu_mul(gu[: shape.d_ff], gu[shape.d_ff:])


def _handoff(sim: MeshSim, length: int, precision: str) -> None:
    """Move a result vector from the south-east corner to the north row: one stream that turns
    west at the north-east corner (cut-through, so the second leg follows the first wavelet)."""
    pe = PE(sim)
    wavelets = -(-length // sim.machine.values_per_wavelet(precision))
    up = pe.multicast(HANDOFF_COLOR, "N", pe.at(pe.width - 1, pe.height - 1), wavelets=wavelets,
                      ready=pe.now())
    ready = up.delivery.first[0, -1] if pe.height > 1 else pe.now()
    pe.multicast(HANDOFF_COLOR, "W", pe.at(pe.width - 1, 0), wavelets=wavelets, ready=ready)
    pe.mark("handoff")


def _vector_op(sim: MeshSim, name: str, length: int, passes: np.ndarray | float) -> None:
    """An element-wise op on a vector spread over the north row."""
    pe = PE(sim)
    pe.task(name, passes * binary_cycles(sim.machine, tile_of(length, pe.width)))
    pe.mark(name)


def _rms_on(sim: MeshSim, v: np.ndarray, g: np.ndarray, eps: float) -> np.ndarray:
    xt = to_tiles(v.astype(np.float32)[None, :], *sim.shape)
    return from_tiles(norm_on(sim, xt, v.size, g, None, eps), (1, v.size))[0]


def _attention(sim: MeshSim, shape: LayerShape, w: dict[str, np.ndarray], qkv: np.ndarray,
               precision: str) -> np.ndarray:
    dt = dtype_of(precision)
    q, k, v = _split_qkv(shape, qkv)
    q = q / np.sqrt(shape.head_dim)
    per = shape.n_heads // shape.n_kv_heads
    out = []
    for g in range(shape.n_kv_heads):
        keys = np.concatenate([w["k_cache"][g], k[g][None].astype(dt)])
        vals = np.concatenate([w["v_cache"][g], v[g][None].astype(dt)])
        sim.scope = f"attn{g}.scores"
        s = gemm_on(sim, q[g * per:(g + 1) * per].astype(dt), keys.T.copy(), precision)
        sim.scope = f"attn{g}.softmax"
        p = from_tiles(softmax_on(sim, to_tiles(s, *sim.shape), s.shape[1]), s.shape)
        sim.scope = f"attn{g}.pv"
        out.append(gemm_on(sim, p.astype(dt), vals, precision))
    sim.scope = ""
    return np.concatenate(out).reshape(-1)


def decode_layer(model: str = "llama-3.1-8b", d_model: int = 128, n_heads: int = 4,
                 seq_len: int = 16, grid: tuple[int, int] = (8, 8), pe: str = "wse-3",
                 precision: str = "fp16", reduction: str = "chain", seed: int = 0,
                 trace: bool = False, catalog: Catalog | None = None) -> MeshResult:
    """Simulate one decode step of a scaled-down layer of `model`; checked against NumPy."""
    shape = scaled_layer(model, d_model, n_heads, seq_len)
    dt = dtype_of(precision)
    machine = machine_of(pe, grid, catalog)
    values = resident_values(shape)
    check_resident(shape, machine, dt)
    check_host_memory("decode-layer", values, machine.pes, seq_len=seq_len, d_model=d_model)
    sim = MeshSim(machine, trace=trace and machine.pes <= TRACE_MAX_PES)
    with sim.off_clock():
        w = _weights(shape, seed, dt)
    out = _run(sim, shape, w, precision, reduction)
    with sim.off_clock():
        error = max_abs_error(out, reference(shape, w))
    d, f, kv = shape.d_model, shape.d_ff, (shape.n_heads + 2 * shape.n_kv_heads) * shape.head_dim
    flops = 2.0 * (kv * d + d * d + 3 * d * f + 2 * shape.n_heads * shape.seq_len * shape.head_dim)
    return sim.finish("decode-layer", precision, flops, out, error,
                      {"model": model, "d_model": d, "heads": shape.n_heads,
                       "kv_heads": shape.n_kv_heads, "d_ff": f, "seq_len": shape.seq_len,
                       "reduction": reduction, "seed": seed})


def _run(sim: MeshSim, shape: LayerShape, w: dict[str, np.ndarray], precision: str,
         reduction: str) -> np.ndarray:
    dt, x = dtype_of(precision), w["x"].astype(np.float32)
    sim.scope = "norm1"
    h = _rms_on(sim, x, w["g1"], shape.eps)
    sim.scope = "qkv"
    qkv = gemv_on(sim, w["wqkv"], h.astype(dt), reduction, precision)
    _handoff(sim, qkv.size, precision)
    attn = _attention(sim, shape, w, qkv, precision)
    sim.scope = "wo"
    x1 = x + gemv_on(sim, w["wo"], attn.astype(dt), reduction, precision)
    _handoff(sim, shape.d_model, precision)
    _vector_op(sim, "residual", shape.d_model, 1)
    sim.scope = "norm2"
    h2 = _rms_on(sim, x1, w["g2"], shape.eps)
    sim.scope = "gate_up"
    gu = gemv_on(sim, w["wgu"], h2.astype(dt), reduction, precision)
    _handoff(sim, gu.size, precision)
    z = _silu_mul(gu[: shape.d_ff], gu[shape.d_ff:]).astype(np.float32)
    _vector_op(sim, "silu", shape.d_ff, transcendental_cycles(sim.machine, 1) + 2)
    sim.scope = "down"
    out = x1 + gemv_on(sim, w["wd"], z.astype(dt), reduction, precision)
    _handoff(sim, shape.d_model, precision)
    _vector_op(sim, "residual", shape.d_model, 1)
    return out.astype(np.float32)
