"""A training row's `recipe` cell: the switches its framework ran with that no plan column holds.

The cell is space-separated `key=value` pairs (README of data/): `cuda_graphs` (full, partial or
none), `expert_gemm` (grouped or per_expert), `balanced_routing` (on or off) and
`recompute_modules` (comma-separated Megatron-Core module names) set the step's `Recipe`
(`cost/train/recipe.py`); `a2a_overlap` (on or off) fixes whether the expert all-to-all overlaps
compute, and `vp` the virtual pipeline stages per device, both plan parts otherwise searched. A
key left out keeps the default: whole-iteration graphs, grouped GEMMs, the trained router's skew,
no module recompute, overlap and stages searched.
"""

from __future__ import annotations

from dataclasses import dataclass

from wafersim.cost.train.recipe import CUDA_GRAPHS, EXPERT_GEMMS, RECOMPUTE_MODULES, Recipe

KEYS = ("cuda_graphs", "expert_gemm", "balanced_routing", "recompute_modules", "a2a_overlap", "vp")
SWITCH = {"on": 1, "off": 0}
VP_MAX = 1024


@dataclass(frozen=True)
class RunRecipe:
    """A row's recipe: the step's `Recipe`, and the plan parts it fixes (None: searched)."""

    step: Recipe = Recipe()
    a2a_overlap: int | None = None  # 1 overlapped, 0 exposed
    vp: int | None = None

    @classmethod
    def parse(cls, text: str) -> RunRecipe:
        """The recipe a cell writes; ValueError naming the bad pair and the fix."""
        pairs: dict[str, str] = {}
        for word in text.split():
            key, eq, value = word.partition("=")
            if not eq or key not in KEYS or not value:
                raise ValueError(f"recipe {word!r} is not key=value with a key of "
                                 f"{', '.join(KEYS)}; write e.g. cuda_graphs=none")
            if key in pairs:
                raise ValueError(f"recipe names {key} twice; keep one")
            pairs[key] = value
        graphs, gemm = pairs.get("cuda_graphs", "full"), pairs.get("expert_gemm", "grouped")
        for key, value, allowed in (("cuda_graphs", graphs, CUDA_GRAPHS),
                                    ("expert_gemm", gemm, EXPERT_GEMMS)):
            if value not in allowed:
                raise ValueError(f"recipe {key}={value} is not one of {', '.join(allowed)}; "
                                 "write one of them")
        modules = tuple(pairs["recompute_modules"].split(",")) if "recompute_modules" in pairs else ()
        if bad := [m for m in modules if m not in RECOMPUTE_MODULES]:
            raise ValueError(f"recipe recompute_modules names {bad[0]!r}, not a modelled module; "
                             f"write any of {', '.join(RECOMPUTE_MODULES)} separated by commas")
        step = Recipe(graphs, gemm, _switch("balanced_routing", pairs) == 1, modules)
        return cls(step, _switch("a2a_overlap", pairs), _vp(pairs.get("vp")))


def _switch(key: str, pairs: dict[str, str]) -> int | None:
    """1 for on, 0 for off, None where the key is left out."""
    value = pairs.get(key)
    if value is None:
        return None
    if value not in SWITCH:
        raise ValueError(f"recipe {key}={value} is not on or off; write one of them")
    return SWITCH[value]


def _vp(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isdigit() or not 1 <= int(value) <= VP_MAX:
        raise ValueError(f"recipe vp={value} is not a whole number from 1 to {VP_MAX}; write the "
                         "virtual pipeline stages per device")
    return int(value)
