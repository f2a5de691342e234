"""Whole production runs book their wall time with failures, checkpoints and restarts; MLPerf-style
timed runs and per-step figures do not."""

import pytest

from wafersim import train
from wafersim.validate.records import Record
from wafersim.validate.train import predict


def _row(metric):
    return Record(id="X", kind="train", system="dgx-h100", model="llama-2-7b", metric=metric, value=1,
                  source="test")


def test_device_hours_rows_include_interruptions(catalog):
    r = train("llama-2-7b", "dgx-h100", 1e11, count=16, catalog=catalog)
    assert 0.9 < r.goodput < 1
    assert r.production_device_hours == pytest.approx(r.device_hours / r.goodput)
    assert predict(_row("device_hours"), r) == pytest.approx(r.production_device_hours)
    assert predict(_row("time_to_train_s"), r) == pytest.approx(r.compute_time_s)
    assert r.to_json()["production_device_hours"] == pytest.approx(r.production_device_hours)


def test_llama3_scale_keeps_the_published_effective_training_time(catalog):
    """Llama 3 405B kept >90% effective training time on 16,384 H100 (Dubey et al. 2024)."""
    r = train("llama-3.1-405b", "dgx-h100", 15.6e12, count=16384, catalog=catalog)
    assert 0.9 < r.goodput < 0.97
    assert r.interruptions is not None
    per_day = r.interruptions.expected / (r.wall_time_s / 86400)
    assert per_day == pytest.approx(419 / 54, rel=0.05)  # 419 unexpected in 54 days
