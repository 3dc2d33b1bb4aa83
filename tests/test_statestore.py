"""Persisted show state: atomic JSON, tolerant load; the saver off the event loop."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest

from controller import statesaver
from controller.statesaver import StateNotSaved, StateSaver
from controller.statestore import (
    STATE_FILE,
    Blackout,
    Override,
    PersistedState,
    Played,
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
        played=Played("cat-42", 1_795_000_800.0, "gobo play (anna)"),
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
    assert state.played == sample().played
    later = sample().without_expired(now=1_795_001_000.0)
    assert later.pinned_until is None and later.blackout == sample().blackout
    assert later.played is None


def run_saver(path: Path, scenario, **options) -> None:
    """The saver's writer task running while `scenario(saver)` submits and waits."""

    async def main() -> None:
        saver = StateSaver(path, **options)
        task = asyncio.create_task(saver.run())
        try:
            await scenario(saver)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    asyncio.run(main())


def test_durable_returns_once_the_state_is_on_disk(tmp_path: Path) -> None:
    path = tmp_path / STATE_FILE

    async def scenario(saver: StateSaver) -> None:
        saver.submit(PersistedState(master=0.4))
        await saver.durable()
        assert load_state(path).master == 0.4
        saver.submit(sample())
        await saver.durable()
        assert load_state(path) == sample()
        assert saver.problem is None

    run_saver(path, scenario)


def test_a_fader_burst_is_written_a_few_times_and_its_last_value_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """50 master values from a desk: not 50 fsyncs, and the last one reaches the disk alone."""
    path = tmp_path / STATE_FILE
    writes: list[float] = []

    def counted(where: Path, state: PersistedState) -> None:
        writes.append(state.master)
        save_state(where, state)

    monkeypatch.setattr(statesaver, "save_state", counted)

    async def scenario(saver: StateSaver) -> None:
        for step in range(50):
            saver.submit(PersistedState(master=step / 49), fader=True)
            await asyncio.sleep(0.005)
        while load_state(path).master != 1.0:  # no durable(): the writer gets there itself
            await asyncio.sleep(0.05)

    run_saver(path, scenario, fader_interval=0.5)
    assert writes[-1] == 1.0 and len(writes) <= 4


def test_a_failed_save_is_reported_retried_and_cleared(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "state"
    blocked.write_text("a file where the state directory should be")
    path = blocked / STATE_FILE

    async def scenario(saver: StateSaver) -> None:
        saver.submit(PersistedState(master=0.2))
        with pytest.raises(StateNotSaved, match=r"File exists|Not a directory"):
            await saver.durable()
        assert saver.problem in ("File exists", "Not a directory")
        saver.submit(PersistedState(master=0.3))  # still failing: said again, logged once
        with pytest.raises(StateNotSaved):
            await saver.durable()
        blocked.unlink()  # the technician frees the path; the retry saves the newest state
        while saver.problem is not None:
            await asyncio.sleep(0.05)
        assert load_state(path).master == 0.3

    with caplog.at_level(logging.INFO, logger="gobo.state"):
        run_saver(path, scenario, retry_interval=0.1)
    lines = [r.getMessage() for r in caplog.records]
    assert sum("cannot save the show state" in line for line in lines) == 1
    assert any("saved again" in line for line in lines)
