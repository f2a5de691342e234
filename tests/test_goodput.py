"""Whole production runs book their busy hours over the goodput fraction; MLPerf-style timed runs
and per-step figures do not."""

import pytest

from wafersim import train
from wafersim.cost.train.result import PRODUCTION_GOODPUT
from wafersim.validate.records import Record
from wafersim.validate.train import predict


def _row(metric):
    return Record(id="X", kind="train", system="dgx-h100", model="llama-2-7b", metric=metric, value=1,
                  source="test")


def test_goodput_is_the_llama3_figure():
    assert 0.85 <= PRODUCTION_GOODPUT <= 0.95


def test_device_hours_rows_include_goodput(catalog):
    r = train("llama-2-7b", "dgx-h100", 1e11, count=16, catalog=catalog)
    assert r.production_device_hours == pytest.approx(r.device_hours / PRODUCTION_GOODPUT)
    assert predict(_row("device_hours"), r) == pytest.approx(r.production_device_hours)
    assert predict(_row("time_to_train_s"), r) == pytest.approx(r.wall_time_s)
    assert r.to_json()["production_device_hours"] == pytest.approx(r.production_device_hours)
