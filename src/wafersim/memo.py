"""Memoisation of pure functions whose arguments are frozen data, lists and dicts included.

`functools.lru_cache` serves functions of hashable arguments; `memoised` also keys list and dict
arguments by their contents (a plan given as {"tp": 8}, batches as [1, 8]), and arguments of the
`identity` types by which object they are: catalog parts and systems are frozen but deep, so
comparing two of them costs more than costing the call again, and the object is kept alive
while its result is remembered. A call with an argument that cannot be keyed (a numpy array, a
mutable object) runs uncached. Results are shared between calls, so they must be immutable
(frozen results); a list result is handed out as a new list each time. Exceptions are not cached.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

F = TypeVar("F", bound=Callable[..., Any])


_SAME = object()  # tags an identity key: (_SAME, id(obj)); the entry keeps obj alive


def memoised(maxsize: int = 1024, identity: tuple[type, ...] = ()) -> Callable[[F], F]:
    """Decorator: remember up to `maxsize` results (the oldest is dropped first); arguments of
    the `identity` types are keyed by identity."""
    plain = set(_PLAIN)  # classes keyed as they are; learnt as arguments arrive
    same: set[type] = set()  # classes keyed by identity; learnt likewise

    def frozen(x: Any) -> Any:
        if isinstance(x, identity):
            same.add(x.__class__)
            return (_SAME, id(x))
        if isinstance(x, bool | float):  # typed, as lru_cache(typed=True): 1, 1.0 and True differ
            return (type(x), x)
        if isinstance(x, list):
            return (list, *map(frozen, x))
        if isinstance(x, dict):
            return (dict, *sorted((k, frozen(v)) for k, v in x.items()))
        plain.add(x.__class__)
        return x

    def wrap(fn: F) -> F:
        cache: dict[Any, tuple[Any, tuple[Any, ...]]] = {}  # key: (result, the arguments kept)

        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                key: Any = (tuple([a if a.__class__ in plain else (_SAME, id(a)) if a.__class__ in same
                                   else frozen(a) for a in args]),)
                if kwargs:
                    key = (*key, *sorted((k, frozen(v)) for k, v in kwargs.items()))
                value = cache[key][0]
            except KeyError:
                value = fn(*args, **kwargs)
                if len(cache) >= maxsize:
                    del cache[next(iter(cache))]
                cache[key] = (value, (args, kwargs))
            except TypeError:  # an argument that cannot be keyed
                return fn(*args, **kwargs)
            return list(value) if value.__class__ is list else value

        call.cache_clear = cache.clear  # type: ignore[attr-defined]  # as lru_cache's, on the function
        return cast(F, call)  # functools.wraps keeps fn's signature
    return wrap


_PLAIN = (str, int, type(None))  # keyed as they are (bool and float are typed)
