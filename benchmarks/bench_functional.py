"""Speed and agreement of the functional runs on simulated wafers (docs/mesh-functional.md).

Run: python benchmarks/bench_functional.py [--steps S] [--d-model D] [--grid G] [--sweep]
(prints figures; asserts nothing)

1. The tiny GPT trained by weight streaming on 1, 2 and 4 wafers: wall and CPU seconds, the
   largest loss difference from the plain NumPy loop, and the accounting against the analytical
   weight-streaming model (bytes, compute cycles, step time).
2. The tiny Llama decoded on 1 to 4 pipelined wafers: wall and CPU seconds, whether the tokens
   equal the NumPy reference, and the simulated latency per token.
3. With --sweep instead: the step time and compute errors against the analytical model for
   d_model 64, 128, 256, PE regions 4x4, 8x8, 16x16 and 1, 2, 4 wafers (one step each).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from wafersim.errors import SimError
from wafersim.mesh.functional import GPTConfig, decode_pipeline, greedy_reference, train_reference
from wafersim.mesh.functional.pipeline import llama_config
from wafersim.mesh.functional.training import train_streaming
from wafersim.validate.functional import agreement

T = TypeVar("T")


def timed(run: Callable[[], T]) -> tuple[T, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = run()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def training(config: GPTConfig, steps: int) -> None:
    reference = train_reference(config, steps=steps, seed=0)
    print(f"tiny GPT: {config.n_layers} layers, d_model {config.d_model}, {steps} steps, seed 0")
    print(f"{'wafers':>6} {'wall s':>7} {'cpu s':>7} {'max |loss diff|':>16} {'bytes equal':>11} "
          f"{'compute err':>11} {'step time err':>13}")
    for wafers in (1, 2, 4):
        run, wall, cpu = timed(lambda w=wafers: train_streaming(config, wafers=w, steps=steps, seed=0))
        diff = max(abs(a - b) for a, b in zip(run.losses, reference.losses, strict=True))
        a = agreement(run)
        same = (a.weight_bytes_sim == a.weight_bytes_model
                and a.gradient_bytes_sim == a.gradient_bytes_model)
        print(f"{wafers:6d} {wall:7.2f} {cpu:7.2f} {diff:16.2e} {str(same):>11} "
              f"{a.compute_error:+11.2%} {a.time_error:+13.2%}")


def decoding(new_tokens: int) -> None:
    config = llama_config()
    prompt = (1, 2, 3)
    expected = greedy_reference(config, prompt, new_tokens, seed=0)
    print(f"\ntiny Llama: {config.n_layers} layers, d_model {config.d_model}, {new_tokens} tokens")
    print(f"{'wafers':>6} {'wall s':>7} {'cpu s':>7} {'tokens equal':>12} {'latency/token':>14}")
    for wafers in (1, 2, 3, 4):
        run, wall, cpu = timed(lambda w=wafers: decode_pipeline(config, wafers=w, prompt=prompt,
                                                                new_tokens=new_tokens))
        mean = sum(run.latency_s) / len(run.latency_s)
        print(f"{wafers:6d} {wall:7.2f} {cpu:7.2f} {str(run.tokens == expected):>12} "
              f"{mean * 1e6:11.1f} us")


def sweep() -> None:
    print("step time error (compute error) of the analytical model, one step each")
    print(f"{'d_model':>7} {'grid':>5} " + " ".join(f"{f'{w} wafer(s)':>18}" for w in (1, 2, 4)))
    for d_model in (64, 128, 256):
        for grid in (4, 8, 16):
            config = replace(GPTConfig(), d_model=d_model, grid=(grid, grid))
            cells = []
            for wafers in (1, 2, 4):
                try:
                    a = agreement(train_streaming(config, wafers=wafers, steps=1, seed=0))
                    cells.append(f"{a.time_error:+8.2%} ({a.compute_error:+.1%})")
                except SimError:
                    cells.append("does not fit")
            print(f"{d_model:7d} {grid:5d} " + " ".join(f"{c:>18}" for c in cells))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--d-model", type=int, default=64)
    parser.add_argument("--new-tokens", type=int, default=4)
    parser.add_argument("--grid", type=int, default=4, help="each wafer's PE region is GRID x GRID")
    parser.add_argument("--sweep", action="store_true", help="time agreement over sizes only")
    args = parser.parse_args()
    if args.sweep:
        sweep()
        return
    training(replace(GPTConfig(), d_model=args.d_model, grid=(args.grid, args.grid)), args.steps)
    decoding(args.new_tokens)


if __name__ == "__main__":
    main()
