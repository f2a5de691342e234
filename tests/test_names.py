"""One name per thing: no two public classes of the package share a name."""

import ast
from collections import defaultdict
from pathlib import Path

import wafersim

ROOT = Path(wafersim.__file__).parent


def test_public_class_names_are_unique():
    where = defaultdict(list)
    for path in ROOT.rglob("*.py"):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                where[node.name].append(str(path.relative_to(ROOT)))
    assert len(where) > 50
    assert {name: paths for name, paths in where.items() if len(paths) > 1} == {}
