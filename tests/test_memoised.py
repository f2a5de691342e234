"""Memoised answers: the same inputs give the same object or an equal result; any change in the
inputs (a catalog corner, a token count) gives its own answer."""

from __future__ import annotations

from dataclasses import replace

import wafersim
from wafersim.catalog import Catalog
from wafersim.catalog.system import resolve
from wafersim.catalog.variants import corner
from wafersim.models import load_model
from wafersim.ops.graph import lower
from wafersim.plan import Constraints

PLAN = Constraints(tp=8, pp=1, dp=16, cp=1, zero=1, micro_batch=1, v=1)


def test_resolved_systems_and_graphs_are_reused(catalog):
    system = resolve(catalog, "dgx-h100")
    assert resolve(catalog, "dgx-h100") is system
    assert system.with_devices(64) is system.with_devices(64)
    model = load_model("llama-2-70b")
    assert lower(model, "decode", 1, 0) is lower(model, "decode", 1, 0)


def test_an_equal_but_distinct_catalog_is_costed_again(catalog):
    copy = Catalog(catalog.parts, catalog.sources)
    system, twin = resolve(catalog, "dgx-h100"), resolve(copy, "dgx-h100")
    assert twin == system and twin is not system
    kw = dict(count=128, global_batch=128, seq_len=4096, plan=PLAN, recompute="selective")
    first = wafersim.train("llama-2-70b", "dgx-h100", 1e12, catalog=catalog, **kw)
    assert wafersim.train("llama-2-70b", "dgx-h100", 1e12, catalog=copy, **kw) == first


def test_model_hash_follows_equality():
    model = load_model("llama-2-70b")
    assert hash(replace(model, notes="copy")) == hash(model) != hash(load_model("llama-2-7b"))


def test_a_catalog_corner_is_its_own_answer(catalog):
    kw = dict(count=128, global_batch=128, seq_len=4096, plan=PLAN, recompute="selective")
    nominal = wafersim.train("llama-2-70b", "dgx-h100", 1e12, catalog=catalog, **kw)
    low = wafersim.train("llama-2-70b", "dgx-h100", 1e12, catalog=corner(catalog, "dgx-h100", "lo"), **kw)
    assert low.step_time_s > nominal.step_time_s
    again = wafersim.train("llama-2-70b", "dgx-h100", 1e12, catalog=catalog, **kw)
    assert again == nominal


def test_repeated_calls_agree_and_changed_ones_differ(catalog):
    first = wafersim.infer("llama-2-70b", "dgx-h100", tp=8, catalog=catalog)
    assert wafersim.infer("llama-2-70b", "dgx-h100", tp=8, catalog=catalog) == first
    longer = wafersim.infer("llama-2-70b", "dgx-h100", tp=8, output_tokens=2048, catalog=catalog)
    assert longer.tpot_s > first.tpot_s
    kw = dict(count=128, global_batch=128, seq_len=4096, plan=PLAN, recompute="selective", catalog=catalog)
    short = wafersim.train("llama-2-70b", "dgx-h100", 1e12, **kw)
    assert wafersim.train("llama-2-70b", "dgx-h100", 2e12, **kw).wall_time_s == 2 * short.wall_time_s
