"""Imports flow one way: units/errors -> catalog, models -> ops -> plan -> cost -> serve, mesh
-> sweep, validate, report -> cli. No module may import from a later layer or a sibling."""

import ast
from pathlib import Path

import wafersim

ROOT = Path(wafersim.__file__).parent
LAYERS = [
    {"units", "errors"}, {"catalog", "models"}, {"ops"}, {"plan"}, {"cost"}, {"serve", "mesh"},
    {"sweep", "validate", "report", "api"}, {"cli"},
]
RANK = {name: i for i, names in enumerate(LAYERS) for name in names}


def _package(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "wafersim" or len(parts) < 2:
        return None
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
    assert packages <= set(RANK), packages - set(RANK)


def test_imports_flow_one_way():
    bad = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        own = rel.parts[0].removesuffix(".py")
        if own not in RANK:
            continue
        for module in _imports(path):
            target = _package(module)
            if target is None or target == own or target not in RANK:
                continue
            if RANK[target] >= RANK[own]:
                bad.append(f"{rel} imports {module}")
    assert not bad, bad
