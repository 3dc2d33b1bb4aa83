"""LogThrottle: one line per kind per interval, the rest counted, nothing lost."""

from __future__ import annotations

import logging

import pytest

from controller.logthrottle import LogThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_first_at_once_then_one_summary_per_interval(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    throttle = LogThrottle(logging.getLogger("t"), 10.0, clock)
    with caplog.at_level(logging.WARNING, logger="t"):
        for index in range(500):
            throttle.warning("junk", "junk %d from %s", index, "10.0.0.1")
            throttle.warning("other", "other %d", index)
            clock.now += 0.01  # 5 s in all
        assert caplog.messages == ["junk 0 from 10.0.0.1", "other 0"]
        clock.now += 6  # past the interval: the next event brings the summary (no loop here)
        throttle.warning("junk", "junk %d from %s", 500, "10.0.0.2")
        assert caplog.messages[2] == "500 more in the last 10 s like: junk 500 from 10.0.0.2"
        throttle.flush()  # shutdown: what is pending is written, once
        throttle.flush()
    assert caplog.messages[3:] == ["499 more in the last 10 s like: other 499"]


def test_a_quiet_kind_logs_its_next_event_at_once(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    throttle = LogThrottle(logging.getLogger("t"), 10.0, clock)
    with caplog.at_level(logging.WARNING, logger="t"):
        throttle.warning("k", "one")
        clock.now += 60
        throttle.warning("k", "two")
    assert caplog.messages == ["one", "two"]
