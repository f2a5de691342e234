"""Catalog YAML edits: one quantity line replaced or inserted, the rest byte for byte; checked
before an atomic rename, so a bad edit leaves the file untouched."""

import pytest

from wafersim.catalog.edit import Edit, number, part_files, set_line, write_edits
from wafersim.catalog.loader import BUILTIN_DIR
from wafersim.errors import ConfigError

CHIP = """id: x1
kind: chip
name: X1
vendor: V
device_class: gpu
peak_dense_TFLOPS:
  bf16: {value: 100, tag: primary, source: s}
matmul_efficiency_fraction:
  bf16: {value: 0.5, tag: derived, source: s, note: "old"}
hbm_efficiency_fraction: {value: 0.8, tag: derived, source: s}
"""


def _edit(keys, value=0.7, **kw):
    return Edit(tuple(keys), value, "derived", "s", 'a "quoted" note', **kw)


def test_replace_changes_one_line():
    new = set_line(CHIP, ("matmul_efficiency_fraction", "bf16"), _edit([]).flow())
    changed = [(a, b) for a, b in zip(CHIP.splitlines(), new.splitlines(), strict=True) if a != b]
    assert len(changed) == 1
    assert changed[0][1] == '  bf16: {value: 0.7, tag: derived, source: s, note: "a \\"quoted\\" note"}'


def test_insert_into_block_and_at_top_level():
    new = set_line(CHIP, ("matmul_efficiency_fraction", "fp8"), "{value: 0.6, tag: derived, source: s}")
    assert new.splitlines()[9] == "  fp8: {value: 0.6, tag: derived, source: s}"
    new = set_line(CHIP, ("framework_efficiency_fraction",), "{value: 0.9, tag: derived, source: s}")
    assert new.splitlines()[-1] == "framework_efficiency_fraction: {value: 0.9, tag: derived, source: s}"
    new = set_line(CHIP, ("kernels", "summa_step_cycles"), "{value: 1, tag: derived, source: s}")
    assert new.splitlines()[-2:] == ["kernels:",
                                     "  summa_step_cycles: {value: 1, tag: derived, source: s}"]


def test_refuses_multi_line_quantities():
    with pytest.raises(ConfigError, match="not a one-line quantity"):
        set_line(CHIP, ("matmul_efficiency_fraction",), "{value: 1}")


def test_write_is_atomic_and_checked(tmp_path):
    path = tmp_path / "x1.yaml"
    path.write_text(CHIP)
    write_edits(path, [_edit(["hbm_efficiency_fraction"], 0.81, lo=0.8, hi=0.85)])
    assert "hbm_efficiency_fraction: {value: 0.81, range: [0.8, 0.85]" in path.read_text()
    before = path.read_text()
    with pytest.raises(ConfigError, match="outside its range"):
        write_edits(path, [_edit(["hbm_efficiency_fraction"], 0.9, lo=0.8, hi=0.85)])
    with pytest.raises(ConfigError, match="unknown field"):
        write_edits(path, [_edit(["no_such_fraction"])])
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["x1.yaml"]


def test_numbers_read_back_exactly():
    for v in (0.5, 1.0, 0.803, 0.1 + 0.2, 123456789.0):
        assert float(number(v)) == v


def test_part_files_finds_builtin_parts():
    files = part_files(BUILTIN_DIR)
    assert files["h100-sxm"].name == "h100-sxm.yaml" and "sources" not in files
