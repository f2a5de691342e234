"""Imports flow one way: units/errors/memo/xp -> catalog, models -> ops -> plan -> cost.kernels ->
cost.train, cost.infer -> serve, mesh -> validate, report, api -> claims -> sweep -> figures ->
cli. No module may import from a later layer or a sibling; `cost` is ranked by its sub-packages."""

import ast
from pathlib import Path

import wafersim

ROOT = Path(wafersim.__file__).parent
LAYERS = [
    {"units", "errors", "memo", "xp", "precision"}, {"catalog", "models"}, {"ops"}, {"plan"},
    {"cost.kernels"},
    {"cost.train", "cost.infer"}, {"cost"}, {"serve", "mesh"}, {"validate", "report", "api"},
    {"claims"}, {"sweep"}, {"figures"}, {"cli"},
]
RANK = {name: i for i, names in enumerate(LAYERS) for name in names}


SUBDIVIDED = {"cost"}  # packages ranked by their sub-packages


def _package(module: str) -> str | None:
    """The layer a dotted module belongs to: `wafersim.cost.infer.hbm` -> `cost.infer`."""
    parts = module.split(".")
    if parts[0] != "wafersim" or len(parts) < 2:
        return None
    if parts[1] in SUBDIVIDED and len(parts) > 2 and f"{parts[1]}.{parts[2]}" in RANK:
        return f"{parts[1]}.{parts[2]}"
    return parts[1]


def _imports(path: Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def test_every_package_has_a_layer():
    packages = {p.stem if p.is_file() else p.name for p in ROOT.iterdir()
                if (p.suffix == ".py" or p.is_dir()) and not p.name.startswith("_")}
    packages -= {"py", "data"}
    packages |= {f"{name}.{p.name}" for name in SUBDIVIDED for p in (ROOT / name).iterdir()
                 if p.is_dir() and not p.name.startswith("_")}
    assert packages <= set(RANK), packages - set(RANK)


def test_imports_flow_one_way():
    bad = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        own = _package(".".join(("wafersim", *rel.with_suffix("").parts)))
        if own not in RANK:
            continue
        for module in _imports(path):
            target = _package(module)
            if target is None or target == own or target not in RANK:
                continue
            if RANK[target] >= RANK[own]:
                bad.append(f"{rel} imports {module}")
    assert not bad, bad


def test_mesh_and_cost_stay_apart():
    """The simulator and the analytical kernels meet only above both (validate/kernels.py)."""
    bad = [f"{path.relative_to(ROOT)} imports {module}"
           for pkg, other in (("mesh", "cost"), ("cost", "mesh")) for path in (ROOT / pkg).rglob("*.py")
           for module in _imports(path) if (_package(module) or "").split(".")[0] == other]
    assert not bad, bad
