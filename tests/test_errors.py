"""Structured errors: a ParameterError names its parameter, value and allowed range, and each
front end spells the parameters its own way."""

import pytest

from wafersim.errors import ConfigError, InfeasibleParameter, InfeasiblePlan, ParameterError, literal


def test_python_spelling_names_keyword_and_value():
    exc = ParameterError("ep", 4, "{ep} must divide {tp}: experts spread over a tensor group", tp=2)
    assert str(exc) == "ep=4 must divide tp=2: experts spread over a tensor group"
    assert (exc.parameter, exc.value) == ("ep", 4)
    assert isinstance(exc, ConfigError)


def test_flag_spelling_and_bare_names():
    exc = ParameterError("batch", 0, "{batch} must be at least 1; lower {count.flag}", allowed=">= 1")
    flags = {"batch": "--batch", "count": "--count"}
    assert exc.render(flags.__getitem__, " ") == "--batch 0 must be at least 1; lower --count"
    assert exc.allowed == ">= 1"


def test_value_format_spec_applies_to_the_value():
    exc = ParameterError("tpot_slo_s", 0.25, "{tpot_slo_s:g} s must be positive")
    assert str(exc) == "tpot_slo_s=0.25 s must be positive"


def test_a_name_without_a_value_renders_its_name():
    with pytest.raises(ParameterError, match=r"raise count$"):
        raise ParameterError("batch", 9, "{batch} does not fit; raise {count.flag}")


def test_repr_conversion_quotes_the_value():
    exc = ParameterError("schedule", "gpipe", "{schedule!r} is not one of 1f1b, interleaved")
    assert str(exc) == "schedule='gpipe' is not one of 1f1b, interleaved"
    assert exc.render({"schedule": "--schedule"}.__getitem__, " ").startswith("--schedule 'gpipe' ")


def test_literal_text_keeps_its_braces():
    exc = ParameterError("extra_dirs", "/d/{x}", f"catalog directory {literal('/d/{x}')} is missing")
    assert str(exc) == "catalog directory /d/{x} is missing"


def test_an_infeasible_parameter_is_an_infeasible_plan():
    exc = InfeasibleParameter("seq_len", 9, "{seq_len} does not fit")
    assert isinstance(exc, InfeasiblePlan) and isinstance(exc, ParameterError)
    assert str(exc) == "seq_len=9 does not fit"
