"""The playlist: which approved artwork is shown when. Pure state transitions.

Fair rotation: approved artworks in approval order, round robin, each for the
rotation period. A newly approved artwork jumps the queue and is shown in the
next slot; the rotation then resumes where it left off. `gobo play` shows one
artwork now for a while. Times are wall-clock seconds so the position survives
a restart (the show persists current, slot end and cursor).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Playlist:
    current: str | None = None
    previous: str | None = None  # what `current` is crossfading from
    started_at: float = 0.0  # when current started (its crossfade begins here)
    until: float | None = None  # when the next slot begins
    cursor: str | None = None  # last artwork taken from the rotation
    known: tuple[str, ...] = ()  # approved ids already seen, to spot new ones
    queue: tuple[str, ...] = ()  # newly approved, shown before the rotation continues
    synced: bool = False  # False until the first library sync (no "new" ones at start)


def sync(state: Playlist, approved: Sequence[str], now: float) -> Playlist:
    """Take in the library's approved list (approval order). New ids are queued for the
    next slot; an artwork no longer approved (retired) is left at once."""
    approved_set = set(approved)
    known = set(state.known)
    new = [a for a in approved if a not in known] if state.synced else []
    queue = tuple(a for a in state.queue if a in approved_set) + tuple(
        a for a in new if a not in state.queue
    )
    state = replace(state, known=tuple(approved), queue=queue, synced=True)
    if state.previous is not None and state.previous not in approved_set:
        state = replace(state, previous=None)
    if state.current is not None and state.current not in approved_set:
        return advance(state, approved, now, rotation_s=None)
    return state


def tick(state: Playlist, approved: Sequence[str], now: float, rotation_s: float) -> Playlist:
    """Start the first artwork, or move on when the slot is over."""
    if not approved:
        if state.current is None:
            return state
        return replace(state, previous=state.current, current=None, started_at=now, until=None)
    if state.current is None or state.until is None or now >= state.until:
        return advance(state, approved, now, rotation_s)
    return state


def advance(
    state: Playlist, approved: Sequence[str], now: float, rotation_s: float | None
) -> Playlist:
    """Next slot: a queued new artwork first, else the next one in the rotation."""
    if not approved:
        return replace(state, previous=state.current, current=None, started_at=now, until=None)
    queue = state.queue
    cursor = state.cursor
    if queue:
        chosen, queue = queue[0], queue[1:]
    else:
        chosen = next_in_rotation(approved, cursor)
        if chosen == state.current and len(approved) > 1:  # e.g. after `gobo play` of it
            chosen = next_in_rotation(approved, chosen)
        cursor = chosen
    until = now + rotation_s if rotation_s is not None else state.until
    if until is None or until <= now:
        until = now  # the caller's next tick starts a fresh slot
    if chosen == state.current:  # a single artwork: keep it up, no crossfade to itself
        return replace(state, until=until, queue=queue, cursor=cursor)
    return Playlist(
        current=chosen,
        previous=state.current,
        started_at=now,
        until=until,
        cursor=cursor,
        known=state.known,
        queue=queue,
        synced=state.synced,
    )


def next_in_rotation(approved: Sequence[str], cursor: str | None) -> str:
    if cursor in approved:
        return approved[(list(approved).index(cursor) + 1) % len(approved)]
    return approved[0]


def play(state: Playlist, artwork: str, now: float, duration_s: float) -> Playlist:
    """Show one artwork now; the rotation resumes after it where it was."""
    if artwork == state.current:
        return replace(state, until=now + duration_s)
    return replace(
        state, previous=state.current, current=artwork, started_at=now, until=now + duration_s
    )


def skip(state: Playlist, approved: Sequence[str], now: float, rotation_s: float) -> Playlist:
    """`gobo next`: end the current slot now."""
    return advance(state, approved, now, rotation_s)
