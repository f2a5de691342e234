"""CatalogCalibration subsets are a column of the data: each fit reads the rows whose `calibrates` cell
names it, in the built-in file and in a file given with --data alike, and validation marks those
rows as calibration rows."""

import csv
from importlib import resources
from typing import get_args

import pytest

from wafersim.validate import calibrate, calibrate_serving, calibrate_stacks
from wafersim.validate.records import StackParameter, read
from wafersim.validate.run import validate

ROCM = "vllm-0.6.1-rocm"


def _csv(tmp_path, marks, column=True):
    """The built-in rows named in `marks`, their calibrates cells set to `marks` (without the
    column when `column` is false)."""
    text = resources.files("wafersim.validate").joinpath("data/public.csv").read_text(encoding="utf-8")
    reader = csv.DictReader(text.splitlines())
    rows = [r | {"calibrates": marks[r["id"]]} for r in reader if r["id"] in marks]
    names = [n for n in reader.fieldnames if column or n != "calibrates"]
    path = tmp_path / "mine.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, names, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_the_framework_fit_reads_the_rows_the_column_marks(tmp_path, catalog):
    marks = {"TRN-1": "framework:trainium1", "TRN-3": "", "TRN-5": "framework:trainium1"}
    fits, skipped = calibrate.fit_framework(read(_csv(tmp_path, marks)), catalog)
    assert not skipped and [(f.part, list(f.per_row)) for f in fits] == [("trainium1", ["TRN-1", "TRN-5"])]


def test_the_serving_fit_reads_the_rows_the_column_marks(tmp_path, catalog):
    marks = {"I078": "serving:gh200", "I079": "serving:gh200", "I010": ""}
    fits, skipped = calibrate_serving.fit_serving(read(_csv(tmp_path, marks)), catalog)
    assert not skipped and [(f.part, list(f.per_row)) for f in fits] == [("gh200", ["I078", "I079"])]


def test_the_stack_fit_reads_the_rows_the_column_marks(tmp_path, catalog):
    marks = {"I074": "", "I059": f"stack:{ROCM}:per_request_step_s"}
    fits, skipped = calibrate_stacks.fit_stacks(read(_csv(tmp_path, marks)), catalog)
    assert not skipped and [(f.part, f.parameter, list(f.per_row)) for f in fits] == [
        (ROCM, "per_request_step_s", ["I059"])]


def test_a_row_the_fit_cannot_use_is_left_out_with_the_reason(tmp_path, catalog):
    marks = {"TRN-1": "framework:trainium1", "TRN-3": ""}
    fits, skipped = calibrate.fit_framework(read(_csv(tmp_path, marks)), catalog)
    assert not fits and [s.reason for s in skipped] == [
        "trainium1: 1 of its calibration rows (TRN-1) usable in the data; a fit needs two"]


@pytest.mark.parametrize("column", [True, False])
def test_unmarked_rows_fit_nothing(tmp_path, catalog, column):
    rows = read(_csv(tmp_path, {"TRN-1": "", "TRN-3": "", "I010": "", "I011": "", "I074": ""}, column))
    assert calibrate.fit_framework(rows, catalog) == ([], [])
    assert calibrate_serving.fit_serving(rows, catalog) == ([], [])
    assert calibrate_stacks.fit_stacks(rows, catalog) == ([], [])


def test_validation_marks_the_rows_the_column_marks(tmp_path, catalog):
    rows = read(_csv(tmp_path, {"CB04": "wafer", "CB07": "", "M005": ""}))
    assert [(o.id, o.calibration) for o in validate(rows, catalog=catalog)] == [
        ("M005", True), ("CB04", True), ("CB07", False)]  # micro rows always calibrate
    unmarked = read(_csv(tmp_path, {"CB04": "", "CB07": ""}, column=False))
    assert not any(o.calibration for o in validate(unmarked, catalog=catalog))


def test_the_marks_name_the_parameters_the_stack_fit_knows():
    assert set(get_args(StackParameter)) == set(calibrate_stacks.BOUNDS) == set(calibrate_stacks.WHAT)
