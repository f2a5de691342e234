"""``wafersim mesh train-tiny`` and ``decode-tiny``: the functional runs on simulated wafers
(registered on the ``mesh`` app in cli/mesh.py)."""

from __future__ import annotations

import typer
from rich.table import Table

from wafersim.cli.common import console, print_json
from wafersim.errors import ParameterError
from wafersim.mesh.functional import GPTConfig, decode_pipeline, train_streaming
from wafersim.mesh.functional.pipeline import llama_config
from wafersim.mesh.machine import parse_grid
from wafersim.units import fmt_bytes, fmt_time
from wafersim.validate.functional import agreement

SMALL = 4096  # sizes past this are not tiny: the runs are NumPy on one host


def _opt(default: int, flag: str, text: str, lo: int = 1) -> int:
    return typer.Option(default, flag, min=lo, max=SMALL, help=text)


JSON = typer.Option(False, "--json", help="Machine output in SI units.")
SEED = typer.Option(0, "--seed", min=0, max=2**63 - 1, help="Seed of the weights and batches.")
GRID = typer.Option("4x4", "--grid", help="Each wafer's PE region COLSxROWS.")
PE = typer.Option("wse-3", "--pe", help="Wafer id from the catalog (wse-2, wse-3).")


def train_tiny(wafers: int = _opt(2, "--wafers", "Data-parallel wafers (divide --batch)."),
               steps: int = _opt(5, "--steps", "Training steps."),
               n_layers: int = _opt(2, "--n-layers", "Transformer layers."),
               d_model: int = _opt(64, "--d-model", "Model width."),
               heads: int = _opt(4, "--heads", "Attention heads."),
               vocab: int = _opt(32, "--vocab", "Vocabulary size."),
               seq_len: int = _opt(8, "--seq-len", "Tokens per sequence."),
               batch: int = _opt(4, "--batch", "Sequences per step (all wafers)."),
               lr: float = typer.Option(1e-2, "--lr", help="AdamW learning rate."),
               grid: str = GRID, pe: str = PE, seed: int = SEED, as_json: bool = JSON) -> None:
    """Train a tiny GPT by weight streaming on simulated wafers; compare with the model."""
    config = GPTConfig(n_layers=n_layers, d_model=d_model, n_heads=heads, vocab=vocab,
                       seq_len=seq_len, batch=batch, lr=lr, grid=parse_grid(grid))
    run = train_streaming(config, wafers, steps, seed, pe)
    check = agreement(run)
    if as_json:
        print_json(run.to_json() | {"agreement": check.to_json()})
        return
    table = Table("step", "loss", "time", "compute", "waiting", "reduce+update")
    for a in run.accounts:
        b = a.breakdown_s
        table.add_row(str(a.step), f"{a.loss:.4f}", fmt_time(a.time_s), fmt_time(b["compute"]),
                      fmt_time(b["waiting_for_weights"]),
                      fmt_time(b["gradient_reduce_and_update"]))
    console().print(table)
    console().print(f"{run.params:,} weights; per step {fmt_bytes(check.weight_bytes_sim)} streamed "
                  f"to each wafer, {fmt_bytes(check.gradient_bytes_sim)} of gradients reduced; "
                  f"analytical model: bytes equal, compute {check.compute_error:+.2%}, "
                  f"step time {check.time_error:+.2%}")


def _prompt(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(t) for t in text.split(","))
    except ValueError:
        raise ParameterError("prompt", text, "{prompt!r} is not a comma-separated list of token "
                             "ids; write e.g. {prompt.flag} 1,2,3", allowed="ids like 1,2,3") from None


def decode_tiny(wafers: int = _opt(2, "--wafers", "Pipeline wafers (at most --n-layers)."),
                new_tokens: int = _opt(8, "--new-tokens", "Tokens to generate."),
                prompt: str = typer.Option("1,2,3", "--prompt", help="Prompt token ids."),
                n_layers: int = _opt(4, "--n-layers", "Transformer layers."),
                d_model: int = _opt(64, "--d-model", "Model width."),
                heads: int = _opt(4, "--heads", "Query heads."),
                vocab: int = _opt(64, "--vocab", "Vocabulary size."),
                grid: str = GRID, pe: str = PE, seed: int = SEED, as_json: bool = JSON) -> None:
    """Greedy-decode a tiny Llama on a layer pipeline of simulated wafers."""
    cells = parse_grid(grid)
    ids = _prompt(prompt)
    config = llama_config(n_layers, d_model, heads, vocab, len(ids) + new_tokens, cells, pe)
    run = decode_pipeline(config, wafers, ids, new_tokens, seed, cells, pe)
    if as_json:
        print_json(run.to_json())
        return
    table = Table("token", "latency", "layers", "head", "hops")
    for token, t, b in zip(run.tokens, run.latency_s, run.breakdown_s, strict=True):
        table.add_row(str(token), fmt_time(t), fmt_time(b["layers"]), fmt_time(b["head"]),
                      fmt_time(b["hops"]))
    console().print(table)
    console().print(f"layers per wafer {list(run.layers_per_wafer)}; one hop {fmt_time(run.hop_s)}")
