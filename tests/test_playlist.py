"""Playlist: fair rotation, new artworks next, play/next, persistence."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

from controller import playlist as pl

ROT = 600.0


def run(state: pl.Playlist, approved: list[str], start: float, slots: int) -> list[str]:
    shown = []
    now = start
    for _ in range(slots):
        state = pl.tick(state, approved, now, ROT)
        shown.append(state.current)
        now = state.until
    return shown


def test_fair_rotation_over_many_periods() -> None:
    approved = [f"art{i}" for i in range(7)]
    state = pl.sync(pl.Playlist(), approved, 0.0)
    shown = run(state, approved, 0.0, 7 * 30 + 3)
    counts = Counter(shown)
    assert set(counts) == set(approved)
    assert max(counts.values()) - min(counts.values()) <= 1
    # never the same one twice in a row
    assert all(a != b for a, b in pairwise(shown))


def test_slot_lasts_the_rotation_period_and_crossfades_from_the_last() -> None:
    approved = ["a", "b"]
    state = pl.tick(pl.sync(pl.Playlist(), approved, 0.0), approved, 0.0, ROT)
    assert (state.current, state.until) == ("a", ROT)
    assert pl.tick(state, approved, ROT - 1, ROT) == state
    state = pl.tick(state, approved, ROT, ROT)
    assert (state.current, state.previous, state.started_at) == ("b", "a", ROT)


def test_new_artwork_shown_in_the_next_slot_then_rotation_resumes() -> None:
    approved = ["a", "b", "c"]
    state = pl.tick(pl.sync(pl.Playlist(), approved, 0.0), approved, 0.0, ROT)
    state = pl.tick(state, approved, ROT, ROT)
    assert state.current == "b"
    approved = [*approved, "new"]
    state = pl.sync(state, approved, ROT + 5)
    assert state.current == "b"  # the current slot is not cut short
    assert state.queue == ("new",)
    shown = run(state, approved, 2 * ROT, 4)
    assert shown == ["new", "c", "new", "a"]  # next slot, then the rotation where it was


def test_first_sync_queues_nothing_and_retired_artwork_leaves_at_once() -> None:
    state = pl.sync(pl.Playlist(), ["a", "b"], 0.0)
    assert state.queue == ()
    state = pl.tick(state, ["a", "b"], 0.0, ROT)
    state = pl.sync(state, ["b"], 10.0)
    assert (state.current, state.previous) == ("b", "a")
    state = pl.sync(state, [], 20.0)
    assert state.current is None


def test_play_and_skip() -> None:
    approved = ["a", "b", "c"]
    state = pl.tick(pl.sync(pl.Playlist(), approved, 0.0), approved, 0.0, ROT)
    state = pl.play(state, "c", 100.0, 30.0)
    assert (state.current, state.previous, state.until) == ("c", "a", 130.0)
    state = pl.tick(state, approved, 130.0, ROT)
    assert state.current == "b"  # the rotation continues after its cursor, not after c
    state = pl.skip(state, approved, 140.0, ROT)
    assert (state.current, state.started_at) == ("c", 140.0)


def test_single_artwork_never_crossfades_to_itself() -> None:
    state = pl.tick(pl.sync(pl.Playlist(), ["a"], 0.0), ["a"], 0.0, ROT)
    state = pl.tick(state, ["a"], ROT, ROT)
    assert (state.current, state.previous, state.until) == ("a", None, 2 * ROT)
