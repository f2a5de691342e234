"""Validation: every published row predicted or skipped with a reason; summaries; external files."""

import pytest

from wafersim.errors import ConfigError
from wafersim.validate.records import read
from wafersim.validate.run import stats, summary, validate


@pytest.fixture(scope="module")
def outcomes(catalog):
    return validate(read(), ("train", "micro"), catalog)


def test_every_row_is_reported(outcomes):
    rows = [r for r in read() if r.kind in ("train", "micro")]
    assert [o.id for o in outcomes] == [r.id for r in rows]
    for o in outcomes:
        assert (o.status == "ok") == (o.predicted is not None)
        assert o.status == "ok" or o.reason


def test_micro_rows_reproduce_calibrated_gemm_and_bandwidth(outcomes):
    gemm = [o for o in outcomes if o.kind == "micro" and o.metric in ("flops_per_s", "bytes_per_s")]
    assert stats(gemm)["median_abs_error_pct"] < 1.0


def test_summary_shape(outcomes):
    report = summary(outcomes)
    assert set(report["per_kind"]) == {"train", "micro"}
    s = report["per_kind"]["train"]
    assert s["n"] >= 30 and s["max_abs_error_pct"] >= s["median_abs_error_pct"]


def test_external_file_same_schema(tmp_path, catalog):
    rows = (tmp_path / "mine.csv")
    rows.write_text("id,kind,system,count,model,precision,seq_len,global_batch,tokens,tp,pp,dp,ep,"
                    "cp,micro_batch,recompute,batch,input_tokens,output_tokens,op,size,metric,"
                    "value,tolerance,source,notes,finetune,attention_kernel\n"
                    "X1,train,a100-sxm-80gb,128,megatron-7.5b,fp16,2048,512,,4,1,32,,,,full,,,,,,"
                    "hw_flops_per_device,1.42e14,,Narayanan 2021,,,eager\n"
                    "X2,train,no-such-chip,8,llama-2-7b,bf16,4096,64,,,,,,,,,,,,,,tokens_per_s,"
                    "1e5,,made up,,,\n")
    out = validate(read(rows), catalog=catalog)
    assert out[0].status == "ok" and abs(out[0].error_pct) < 15
    assert out[1].status == "skipped" and "no-such-chip" in out[1].reason


def test_bad_files_give_one_line(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        read(tmp_path / "missing.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(ConfigError, match="lacks the column"):
        read(bad)


def test_cli_validate_json(cli):
    r = cli("validate", "--kind", "micro", "--json")
    assert r.code == 0
    data = r.json()
    assert {"id", "kind", "metric", "measured", "predicted", "error_pct", "status", "reason"} <= set(
        data["rows"][0])
    assert {"n", "median_abs_error_pct", "mean_abs_error_pct", "max_abs_error_pct"} <= set(
        data["summary"]["per_kind"]["micro"])
    assert cli("validate", "--kind", "nope").code == 2
