"""The event core: time order, first-scheduled-first on ties, no events in the past."""

import math

import pytest

from wafersim.serve.events import EventLoop


def test_events_run_in_time_order_and_ties_in_schedule_order():
    loop, seen = EventLoop(), []
    for t, name in ((2.0, "c"), (1.0, "a"), (1.0, "b"), (0.5, "first")):
        loop.at(t, lambda n=name: seen.append((loop.now, n)))
    assert loop.next_time() == 0.5
    assert loop.run() == 2.0
    assert seen == [(0.5, "first"), (1.0, "a"), (1.0, "b"), (2.0, "c")]
    assert loop.next_time() == math.inf


def test_an_event_may_schedule_more_and_after_is_relative_to_now():
    loop, seen = EventLoop(), []

    def tick():
        seen.append(loop.now)
        if len(seen) < 3:
            loop.after(0.25, tick)

    loop.at(1.0, tick)
    loop.run()
    assert seen == [1.0, 1.25, 1.5]


def test_an_event_before_now_is_refused():
    loop = EventLoop()
    loop.at(1.0, lambda: None)
    loop.run()
    with pytest.raises(ValueError, match="before now"):
        loop.at(0.5, lambda: None)
