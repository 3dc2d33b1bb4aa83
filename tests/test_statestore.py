"""Persisted show state: atomic JSON, tolerant load."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from controller.statestore import (
    STATE_FILE,
    Blackout,
    CoalescingSaver,
    Override,
    PersistedState,
    load_state,
    save_state,
)


def sample() -> PersistedState:
    return PersistedState(
        blackout=Blackout(since=1_795_000_000.5, source="gobo blackout (anna)"),
        overrides={
            "gobo-1": Override({"intensity": 0.5, "color": "#ff8800"}, 1_795_000_600.0, "gobo set"),
            "wash": Override({"red": 1.0}, None, "OSC 127.0.0.1"),
        },
        master=0.8,
        current_artwork="cat-42",
        playlist_position=7,
        pinned_until=1_795_000_900.0,
    )


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "state" / STATE_FILE  # parent created on demand
    save_state(path, sample())
    assert load_state(path) == sample()
    assert [p.name for p in path.parent.iterdir()] == [STATE_FILE]  # no temp file left


def test_overwrite_is_whole(tmp_path: Path) -> None:
    path = tmp_path / STATE_FILE
    save_state(path, sample())
    save_state(path, PersistedState(master=0.3))
    assert load_state(path) == PersistedState(master=0.3)
    assert json.loads(path.read_text())["version"] == 1


def test_missing_file_is_a_clean_start(tmp_path: Path) -> None:
    assert load_state(tmp_path / STATE_FILE) == PersistedState()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"version": 1, "master": 0.5', "Expecting"),  # torn write from some other tool
        (b"\xff\xfe garbage", "cannot read"),
        (b"[]", "top level must be an object"),
        (b'{"version": 99}', "unsupported version 99"),
        (b'{"version": 1, "master": 3}', "master: 3.0 is outside 0..1"),
        (b'{"version": 1, "overrides": {"w": {"values": {"red": "x"}}}}', "overrides.w.values.red"),
        (b'{"version": 1, "blackout": {"since": "noon"}}', "blackout.since"),
        (b'{"version": 1, "playlist_position": -1}', "playlist_position"),
        (b"[" * 100_000, "recursion"),  # nesting deeper than the JSON parser's stack
    ],
)
def test_corrupt_file_is_moved_aside(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, content: bytes, reason: str
) -> None:
    path = tmp_path / STATE_FILE
    path.write_bytes(content)
    with caplog.at_level(logging.ERROR):
        assert load_state(path) == PersistedState()
    assert reason in caplog.text and "clean show state" in caplog.text
    if reason != "cannot read":
        [aside] = tmp_path.glob(f"{STATE_FILE}.corrupt-*")
        assert aside.read_bytes() == content  # nothing lost: kept for a post-mortem
        assert not path.exists()


def test_expired_overrides_and_pin_are_dropped() -> None:
    state = sample().without_expired(now=1_795_000_700.0)
    assert set(state.overrides) == {"wash"}  # gobo-1 ended at ...600, wash has no end
    assert state.pinned_until == 1_795_000_900.0
    later = sample().without_expired(now=1_795_001_000.0)
    assert later.pinned_until is None and later.blackout == sample().blackout


def test_coalescing_saver_writes_a_burst_once_and_the_last_value_on_flush(tmp_path: Path) -> None:
    """A fader's 50 master values in one second: the first saved at once, the last at flush."""
    path = tmp_path / "show-state.json"
    clock = {"now": 100.0}
    saver = CoalescingSaver(path, interval=1.0, clock=lambda: clock["now"])
    for step in range(50):
        clock["now"] = 100.0 + step * 0.02
        saver(PersistedState(master=step / 49))
    assert load_state(path).master == 0.0  # the other 49 wait: no fsync per fader step
    saver.flush()
    assert load_state(path).master == 1.0
    clock["now"] = 105.0
    saver(PersistedState(master=0.3))  # a lone change after a quiet spell is saved at once
    assert load_state(path).master == 0.3
