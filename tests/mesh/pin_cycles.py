"""Write pinned_cycles.json from the current kernels: python -m tests.mesh.pin_cycles"""

import json
from pathlib import Path

from tests.mesh.pinned_cases import CASES, summary

if __name__ == "__main__":
    out = {name: summary(run()) for name, run in sorted(CASES.items())}
    path = Path(__file__).parent / "pinned_cycles.json"
    path.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"{len(out)} cases -> {path}")
