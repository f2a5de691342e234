"""Memoisation of pure functions whose arguments are frozen data, lists and dicts included.

`functools.lru_cache` serves functions of hashable arguments; `memoised` also keys list and dict
arguments by their contents (a plan given as {"tp": 8}, batches as [1, 8]). A call with an
argument that cannot be keyed (a numpy array, a mutable object) runs uncached. Results are
shared between calls, so they must be immutable (frozen results); a list result is handed out as
a new list each time. Exceptions are not cached.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def _frozen(x: Any) -> Any:
    """`x` as a hashable key: lists and dicts by their contents (and kind), the rest as is."""
    if isinstance(x, list):
        return (list, *map(_frozen, x))
    if isinstance(x, dict):
        return (dict, *sorted((k, _frozen(v)) for k, v in x.items()))
    return x


def memoised(maxsize: int = 1024) -> Callable[[F], F]:
    """Decorator: remember up to `maxsize` results (the oldest is dropped first)."""
    def wrap(fn: F) -> F:
        cache: dict[Any, Any] = {}

        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                key = (tuple(map(_frozen, args)), *sorted((k, _frozen(v)) for k, v in kwargs.items()))
                value = cache[key]
            except KeyError:
                value = fn(*args, **kwargs)
                if len(cache) >= maxsize:
                    del cache[next(iter(cache))]
                cache[key] = value
            except TypeError:  # an argument that cannot be keyed
                return fn(*args, **kwargs)
            return list(value) if isinstance(value, list) else value

        call.cache_clear = cache.clear  # type: ignore[attr-defined]
        return call  # type: ignore[return-value]
    return wrap
