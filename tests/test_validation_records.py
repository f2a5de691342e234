"""Validation rows are typed records, checked once when the CSV is read: every bad cell or file is
one ConfigError naming the file, row, column, value and fix."""

from pathlib import Path

import pytest

from wafersim.errors import ConfigError
from wafersim.validate.records import Calibrates, Record, read, subsets

HEADER = ("id,kind,system,count,model,precision,tp,recompute,tokens,metric,value,source,stack,"
          "calibrates,framework,attention_kernel,assumed")
GOOD = "T1,train,h100-sxm,8,llama-2-7b,bf16,2,full,2e12,mfu,0.41,paper 2021; 2023 revision,,,,,"


def _write(tmp_path, text, name="rows.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _row(tmp_path, **cells):
    """One row: GOOD with `cells` replaced."""
    values = dict(zip(HEADER.split(","), GOOD.split(","), strict=True)) | cells
    return _write(tmp_path, HEADER + "\n" + ",".join(values.values()) + "\n")


def test_cells_become_typed_fields(tmp_path):
    (row,) = read(_row(tmp_path, count=" 8.0 ", model=" llama-2-7b "))
    assert (row.id, row.kind, row.system, row.model, row.metric) == (
        "T1", "train", "h100-sxm", "llama-2-7b", "mfu")
    assert row.count == 8 and isinstance(row.count, int) and row.tp == 2
    assert row.tokens == 2e12 and isinstance(row.tokens, float) and row.value == 0.41
    assert row.recompute == "full" and row.precision == "bf16"
    assert row.stack is None and row.calibrates is None and row.batch is None  # empty or absent
    with pytest.raises(ValueError):
        row.tp = 4  # frozen


def test_conditions_and_constraints_come_from_columns_not_the_source(tmp_path):
    (row,) = read(_row(tmp_path, tp="4", framework="megatron-lm:2021-04",
                       attention_kernel="eager", assumed="framework"))
    plan = row.constraints()
    assert (plan.tp, plan.pp, plan.dp, plan.micro_batch) == (4, None, None, None)
    assert (row.framework, row.attention_kernel, row.assumed) == (
        "megatron-lm:2021-04", "eager", ("framework",))
    (bare,) = read(_row(tmp_path, source="paper 2019"))  # a year in the source sets nothing
    assert (bare.framework, bare.attention_kernel, bare.assumed) == (None, None, ())


@pytest.mark.parametrize(("cells", "says"), [
    ({"attention_kernel": "fused"}, "attention_kernel 'fused' is not one of flash, eager"),
    ({"assumed": "batch"}, "assumed 'batch' is not a condition column"),
    ({"assumed": "framework"}, "assumed names framework but the row's framework is empty"),
])
def test_a_bad_condition_is_one_line(tmp_path, cells, says):
    with pytest.raises(ConfigError, match=says):
        read(_row(tmp_path, **cells))


def test_every_builtin_row_names_its_stack_or_framework():
    held_back = Path(__file__).parents[1] / "src/wafersim/validate/data/mlperf_server.csv"
    rows = read() + read(held_back)
    assert all(r.stack for r in rows if r.kind == "infer")
    assert all(r.framework and r.attention_kernel for r in rows if r.kind == "train")


def test_the_builtin_rows_are_typed_and_unique():
    rows = read()
    assert len({r.id for r in rows}) == len(rows) >= 150
    assert all(isinstance(r.value, float) and r.value > 0 for r in rows)
    t009 = next(r for r in rows if r.id == "T009")
    assert t009.calibrates == Calibrates("framework", "h100-sxm") and t009.count == 8192


@pytest.mark.parametrize(("column", "cell", "says"), [
    ("tp", "x", "tp 'x' is not a positive whole number up to 1e+09; write one (e.g. 8) or leave "
     "it empty"),
    ("count", "1e30", "count '1e30' is not a positive whole number up to 1e+09"),
    ("tp", "1.5", "tp '1.5' is not a positive whole number"),
    ("count", "-8", "count '-8' is not a positive whole number"),
    ("count", "0", "count '0' is not a positive whole number"),
    ("tokens", "-1", "tokens '-1' is not a number from 0 to 1e+16"),
    ("tokens", "1e300", "tokens '1e300' is not a number from 0 to 1e+16"),
    ("tokens", "inf", "tokens 'inf' is not a number from 0 to 1e+16"),
    ("value", "nan", "value 'nan' is not a positive number"),
    ("value", "0", "value '0' is not a positive number"),
    ("value", "", "value is empty; every row needs one"),
    ("system", "", "system is empty"),
    ("kind", "trian", "kind 'trian' is not one of train, infer, micro; write one of them"),
    ("metric", "mfu_pct", "metric 'mfu_pct' is not one of"),
    ("precision", "bf61", "precision 'bf61' is not one of"),
    ("recompute", "some", "recompute 'some' is not one of none, selective, full"),
    ("calibrates", "frame:h100-sxm", "calibrates 'frame:h100-sxm' names no fit; write framework:<chip>"),
    ("calibrates", "framework", "calibrates 'framework' is not of the form framework:<chip>"),
    ("calibrates", "wafer:cs-3", "calibrates 'wafer:cs-3' is not of the form wafer"),
])
def test_a_bad_cell_is_one_line_naming_file_row_column_and_value(tmp_path, column, cell, says):
    path = _row(tmp_path, **{column: cell})
    with pytest.raises(ConfigError) as info:
        read(path)
    message = str(info.value)
    assert message.startswith(f"{path}: row T1 (line 2): ") and says in message
    assert "\n" not in message


@pytest.mark.parametrize(("cells", "says"), [
    ({"calibrates": "serving:h100-sxm"}, "calibrates 'serving:h100-sxm' fits infer rows, not train"),
    ({"calibrates": "framework:h200-sxm"},
     "names h200-sxm but the row's system is h100-sxm; write framework:h100-sxm"),
    ({"kind": "infer", "metric": "tpot_s", "calibrates": "stack:vllm-0.6.1-rocm:speedup_ratio"},
     "the row's stack is empty; fill the stack column"),
    ({"kind": "infer", "metric": "tpot_s", "stack": "s1", "calibrates": "stack:s1:speed"},
     "a stack's parameter is one of gemm_speed_ratio, attention_mha_speed_ratio"),
])
def test_a_calibration_mark_must_fit_its_row(tmp_path, cells, says):
    with pytest.raises(ConfigError, match="row T1") as info:
        read(_row(tmp_path, **cells))
    assert says in str(info.value)


@pytest.mark.parametrize(("text", "says"), [
    ("", "is empty; write the header line"),
    (HEADER + "\n", "has a header but no rows"),
    ("id,kind,system,metric,value\nT1,train,h100-sxm,mfu,0.4\n", "lacks the column(s) source"),
    (HEADER + ",calibrate\n" + GOOD + ",\n", "unknown column(s) calibrate (did you mean calibrates?)"),
    (HEADER + ",tp\n" + GOOD + ",2\n", "names the column(s) tp twice"),
    (HEADER + "\nT1,train,h100-sxm,8\n", "row T1 (line 2) has fewer cells than the header"),
    (HEADER + "\n" + GOOD + ",extra\n", "row T1 (line 2) has more cells than the header"),
    (HEADER + "\n" + GOOD + "\n" + GOOD + "\n", "row T1 (line 3) repeats an id"),
])
def test_a_bad_file_is_one_line(tmp_path, text, says):
    with pytest.raises(ConfigError) as info:
        read(_write(tmp_path, text))
    assert says in str(info.value) and "\n" not in str(info.value)


def test_encodings(tmp_path):
    with pytest.raises(ConfigError, match="is not UTF-8 text .*; save it as UTF-8"):
        latin = HEADER + "\n" + GOOD.replace("paper", "pa\u00e9per") + "\n"
        read(_write(tmp_path, latin, encoding="latin-1"))
    (row,) = read(_write(tmp_path, "\ufeff" + HEADER + "\n" + GOOD + "\n"))  # spreadsheet BOM
    assert row.id == "T1"


def test_a_quoted_cell_may_hold_commas_and_newlines(tmp_path):
    quoted = GOOD.replace("paper 2021; 2023 revision", '"one, two\nthree"')
    (row,) = read(_write(tmp_path, HEADER + "\n" + quoted + "\n"))
    assert row.source == "one, two\nthree" and row.stack is None


def test_records_built_in_code_take_typed_values_or_text():
    row = Record(id="X", kind="infer", system="h100-sxm", metric="tpot_s", value="0.02", batch=16,
                 stack="s1", calibrates="stack:s1:per_request_step_s")
    assert row.value == 0.02 and row.batch == 16
    assert row.calibrates == Calibrates("stack", "s1", "per_request_step_s")
    assert str(row.calibrates) == "stack:s1:per_request_step_s"


def test_subsets_group_marked_rows_by_fit_and_target_in_file_order():
    def mark(i, system, calibrates, kind="infer"):
        return Record(id=i, kind=kind, system=system, metric="tpot_s", value=1.0, calibrates=calibrates)
    rows = [mark("A", "gb200", "serving:gb200"), mark("B", "h100-sxm", "serving:h100-sxm"),
            mark("C", "h100-sxm", None), mark("D", "gb200", "serving:gb200"),
            mark("E", "cs-3", "wafer"), mark("F", "h100-sxm", "framework:h100-sxm", kind="train")]
    serving = subsets(rows, "serving")
    assert [(c.key, [r.id for r in group]) for c, group in serving.items()] == [
        ("gb200", ["A", "D"]), ("h100-sxm", ["B"])]
    assert [r.id for g in subsets(rows, "framework").values() for r in g] == ["F"]
    assert [r.id for g in subsets(rows, "wafer").values() for r in g] == ["E"]
    assert subsets(rows, "stack") == {}
