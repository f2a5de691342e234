"""Every data file the package reads is installed: each non-Python file under src/wafersim is
matched by a package-data pattern in pyproject.toml (an installed wafersim, not only an editable
one, finds its catalog, models, validation rows and claims)."""

import tomllib
from pathlib import Path

import wafersim

ROOT = Path(wafersim.__file__).parent
PYPROJECT = ROOT.parents[1] / "pyproject.toml"


def test_every_data_file_is_declared_as_package_data():
    patterns = tomllib.loads(PYPROJECT.read_text())["tool"]["setuptools"]["package-data"]["wafersim"]
    declared = {p for pattern in patterns for p in ROOT.glob(pattern)}
    data = {p for p in ROOT.rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")
            and "__pycache__" not in p.parts}
    assert data - declared == set(), sorted(str(p.relative_to(ROOT)) for p in data - declared)
