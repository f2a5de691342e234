"""Every kind of command prints the same `--json` bytes on every run, whatever the hash seed.

Two interpreters with different PYTHONHASHSEED values (so set and str-keyed dict orders differ
where anything leaks them) each run one command of every kind in-process and hand back what it
printed; the two must match byte for byte. Host timings (mesh wall seconds) are not in the
default JSON, so they cannot break this.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import wafersim

CSV = Path(wafersim.__file__).parent / "validate" / "data" / "public.csv"

COMMANDS = [
    ["train", "--model", "llama-3.1-8b", "--system", "trn2-instance", "--tokens", "1e12"],
    ["train", "--model", "llama-2-7b", "--system", "cs-3", "--tokens", "1e11"],
    ["infer", "--model", "mixtral-8x7b", "--system", "dgx-h100"],
    ["infer", "--model", "llama-3.1-8b", "--system", "cs-3"],
    ["serve", "--model", "llama-3.1-8b", "--system", "h100-sxm", "--requests", "40",
     "--concurrency", "8", "--rate", "20", "--range-ratio", "0.5"],
    ["compare", "llama-3.1-8b", "--systems", "cs-3,dgx-h100,trn2-ultraserver"],
    ["validate", "--kind", "micro"],
    ["calibrate", "--data", "SUBSET"],
    ["mesh", "gemv", "--m", "128", "--n", "64", "--grid", "4x4"],
    ["systems"],
    ["systems", "cs-3"],
    ["models"],
    ["claims", "C3", "C17", "C25"],
]

RUNNER = """
import contextlib, io, json, sys
from wafersim.cli import main
out = {}
for argv in json.loads(sys.argv[1]):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(argv + ["--json"])
    out[" ".join(argv)] = [code, buf.getvalue()]
sys.stdout.write(json.dumps(out))
"""


def _subset(tmp_path: Path) -> Path:
    """The micro rows and Trainium1's two calibration rows: a calibration that runs in a second."""
    lines = CSV.read_text().splitlines()
    keep = [line for line in lines[1:] if ",micro," in line or line.split(",")[0] in ("TRN-1", "TRN-3")]
    path = tmp_path / "subset.csv"
    path.write_text("\n".join([lines[0], *keep]) + "\n")
    return path


def _start(seed: str, commands: list[list[str]]) -> subprocess.Popen[str]:
    env = os.environ | {"PYTHONHASHSEED": seed}
    return subprocess.Popen([sys.executable, "-c", RUNNER, json.dumps(commands)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_json_is_the_same_bytes_under_two_hash_seeds(tmp_path):
    commands = [[str(_subset(tmp_path)) if a == "SUBSET" else a for a in c] for c in COMMANDS]
    runs = [_start(seed, commands) for seed in ("0", "2718")]  # both at once: two cores
    outputs = []
    for proc in runs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        outputs.append(json.loads(out))
    first, second = outputs
    assert list(first) == list(second) and len(first) == len(COMMANDS)
    for name, (code, text) in first.items():
        assert code == 0 and text[:1] in "{[", (name, code, text[:200])
        assert text == second[name][1], f"{name} --json differs between hash seeds"
