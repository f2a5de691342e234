"""Memoisation: equal arguments (lists and dicts by contents) reuse a result; others run anew."""

from __future__ import annotations

import numpy as np

from wafersim.memo import memoised


def _counted(maxsize: int = 4):
    calls = []

    @memoised(maxsize)
    def f(x, *, options=None):
        calls.append((x, options))
        return [x, options]

    return f, calls


def test_equal_arguments_reuse_the_result():
    f, calls = _counted()
    assert f([1, 2], options={"tp": 8}) == [[1, 2], {"tp": 8}]
    assert f([1, 2], options={"tp": 8}) == [[1, 2], {"tp": 8}]
    assert len(calls) == 1
    f([1, 2], options={"tp": 4})
    f((1, 2), options={"tp": 8})  # a tuple is not the list it holds
    assert len(calls) == 3


def test_list_results_are_new_lists():
    f, _ = _counted()
    first = f(1)
    first.append("mutated")
    assert f(1) == [1, None]


def test_unkeyable_arguments_run_uncached():
    f, calls = _counted()
    f(np.arange(3))
    f(np.arange(3))
    assert len(calls) == 2


def test_oldest_result_is_dropped_past_maxsize():
    f, calls = _counted(maxsize=2)
    for x in (1, 2, 3, 1):
        f(x)
    assert [c[0] for c in calls] == [1, 2, 3, 1]
    f.cache_clear()
    f(3)
    assert len(calls) == 5


def test_exceptions_are_not_cached():
    attempts = []

    @memoised()
    def fail(x):
        attempts.append(x)
        raise ValueError(x)

    for _ in range(2):
        try:
            fail(1)
        except ValueError:
            pass
    assert attempts == [1, 1]


def test_identity_types_are_keyed_by_object():
    calls = []

    class Part:
        def __eq__(self, other):
            raise AssertionError("compared")  # identity keys never compare values

        __hash__ = None

    @memoised(identity=(Part,))
    def f(part, scale=1):
        calls.append(part)
        return scale

    a, b = Part(), Part()
    assert (f(a), f(a), f(b), f(a, 1.0)) == (1, 1, 1, 1.0)
    assert [id(c) for c in calls] == [id(a), id(b), id(a)]  # 1.0 is keyed apart from 1
