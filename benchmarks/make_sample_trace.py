"""Write the sample trace shipped in the package (src/wafersim/serve/data/sample_trace.jsonl).

Run: python benchmarks/make_sample_trace.py [--check]   (--check: fail if the file differs)

About 200 requests over a few minutes, seeded: a dozen multi-turn chats (each turn's prompt is the
previous turn's prompt and answer plus a new message, so consecutive turns share a prefix) and
single requests without a session, at bursty (gamma, cv 2) arrivals of 1 request/s on average.
New messages and answers have ShareGPT-like lengths (serve/datasets.py). Synthetic: it shows the
format and exercises sessions; it is not a recording of real traffic.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from wafersim.serve import arrivals
from wafersim.serve.datasets import DATASETS

OUT = Path(__file__).resolve().parents[1] / "src/wafersim/serve/data/sample_trace.jsonl"
SEED, CHATS, SINGLES, CONTEXT = 20, 12, 100, 8192


def requests() -> list[dict[str, object]]:
    rng = np.random.default_rng(SEED)
    lengths = DATASETS["sharegpt"]
    rows: list[dict[str, object]] = []
    starts = arrivals.gamma(rng, CHATS + SINGLES, 1.0, 2.0)
    chat = set(rng.choice(CHATS + SINGLES, CHATS, replace=False).tolist())
    for i, start in enumerate(starts):
        turns = int(rng.integers(4, 13)) if i in chat else 1
        prompt, at = 0, float(start)
        for _ in range(turns):
            message = int(lengths.prompt.sample(rng, 1, 2048)[0])
            answer = int(lengths.output.sample(rng, 1, 2048)[0])
            prompt += message
            if prompt + answer > CONTEXT:
                break
            row: dict[str, object] = {"arrival_s": round(at, 3), "input_tokens": prompt,
                                      "output_tokens": answer}
            if i in chat:
                row["session"] = f"chat-{len([c for c in chat if c < i])}"
            rows.append(row)
            prompt += answer
            at += float(rng.exponential(20.0))  # reading and typing the next message
    return sorted(rows, key=lambda r: (r["arrival_s"], str(r.get("session", ""))))


def text() -> str:
    return "".join(json.dumps(r) + "\n" for r in requests())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="fail if the shipped file differs")
    want = text()
    if ap.parse_args().check:
        same = OUT.exists() and OUT.read_text() == want
        print("sample trace up to date" if same else f"{OUT} differs: rerun without --check")
        sys.exit(0 if same else 1)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(want)
    print(f"wrote {OUT} ({want.count(chr(10))} requests)")


if __name__ == "__main__":
    main()
