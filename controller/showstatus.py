"""`gobo status` and `gobo why`: what the show does now and the real reason, as pure functions.

They read the show core and what only the edges know (`Surroundings`: outputs' health, frame
timing, whether the decisions reached the disk, whether the library can be read). `why` is one
line: the main reason, then what a technician must also know (a fixture flashing for identify,
state not saved, a library that cannot be read), joined with "; ".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from controller.runlog import Sample
from controller.show import Show


@dataclass(frozen=True)
class Surroundings:
    """What the daemon's edges know and the core does not."""

    health: Mapping[str, Any] = field(default_factory=dict)  # output -> Health
    frame: Mapping[str, Any] = field(default_factory=dict)  # frame loop statistics
    state_not_saved: str | None = None  # why the decisions are not on disk ("disk full")
    library: str | None = None  # why the library cannot be read
    runlog: str | None = None  # why the run log cannot be written


def why(show: Show, now: float, around: Surroundings) -> str:
    notes = [
        f"identifying {name} until {show.hhmm(until)} (by {by})"
        for name, (until, by) in show.identifying.items()
        if until > now
    ]
    return "; ".join([_main_reason(show, now, around), *notes, *_problems(show, around)])


def _main_reason(show: Show, now: float, around: Surroundings) -> str:
    if show.blackout_state is not None:
        b = show.blackout_state
        return f"blackout since {show.hhmm(b.since)} by {b.source}"
    played = show.played if show.played is not None and now < show.played.until else None
    if played is None and not show.clock_trusted and show.config.show.safe_state == "dark":
        return "waiting for a trusted clock"
    for name, health in around.health.items():
        if health.state != "ok":
            return f"output {name} {health.state} since {show.hhmm(health.since)}"
    if show.overrides:
        parts = []
        for name, o in show.overrides.items():
            until = f" until {show.hhmm(o.until)}" if o.until else ""
            parts.append(f"{name} by {o.source}{until}")
        return "manual override: " + "; ".join(parts)
    segment = show.segment(now)
    if played is not None:
        where = (f"in window '{segment.window}'" if segment.window is not None
                 else "outside the show window")
        return (f"playing {played.artwork}{_credit(show, played.artwork)} at "
                f"{show.level(now) * show.master:.0%} {where} until {show.hhmm(played.until)}"
                f" (by {played.source})")
    if segment.window is None:
        until = f" until {show.hhmm(segment.end)}" if segment.end else ""
        return f"outside the show window{until}"
    if not show.approved:  # with a library fault, the fault (below) is the reason
        return "no artwork to show" if around.library is not None else "no approved artwork"
    current = show.playlist.current or ""
    until = f" until {show.hhmm(segment.end)}" if segment.end else ""
    return (
        f"showing {current}{_credit(show, current)} at {show.level(now) * show.master:.0%}"
        f" in window '{segment.window}'{until}"
    )


def _problems(show: Show, around: Surroundings) -> list[str]:
    """Faults of the site a technician must know about whatever the show does."""
    notes = []
    if around.state_not_saved is not None:
        notes.append(f"state not saved: {around.state_not_saved}")
    if around.library is not None:
        notes.append(f"library not readable: {around.library}")
    if around.runlog is not None:
        notes.append(f"run log not written: {around.runlog}")
    return notes


def _credit(show: Show, artwork: str) -> str:
    look = show.looks.get(artwork)
    return f" ({look.credit})" if look and look.credit else ""


def status(show: Show, now: float, around: Surroundings) -> dict[str, Any]:
    segment = show.segment(now)
    current = show.playlist.current
    look = show.looks.get(current or "")
    played = show.played if show.played is not None and now < show.played.until else None
    return {
        "state": show.state(now),
        "artwork": current,
        "credit": look.credit if look else None,
        "level": round(show.last_level, 4),
        "master": show.master,
        "window": segment.window,
        "next_transition": show.iso(segment.end),
        "outputs": {
            name: {"state": h.state, "detail": h.detail, "since": show.iso(h.since)}
            for name, h in around.health.items()
        },
        "frame": dict(around.frame),
        "why": why(show, now, around),
        "blackout": (
            {"since": show.iso(show.blackout_state.since), "by": show.blackout_state.source}
            if show.blackout_state
            else None
        ),
        "overrides": {
            name: {"values": o.values, "until": show.iso(o.until), "by": o.source}
            for name, o in show.overrides.items()
        },
        "identify": {
            name: {"until": show.iso(until), "by": by}
            for name, (until, by) in show.identifying.items()
            if until > now
        },
        "played": (
            {"artwork": played.artwork, "until": show.iso(played.until), "by": played.source,
             "outside_window": segment.window is None}
            if played
            else None
        ),
        "playlist": {
            "approved": len(show.approved),
            "slot_until": show.iso(show.playlist.until),
            "queued": list(show.playlist.queue),
        },
        "state_saved": around.state_not_saved is None,
        "problems": _problems(show, around),
    }


def run_sample(show: Show, now: float, health: Mapping[str, Any]) -> Sample:
    """One run-log sample of what the show drives now (the daemon's and the demo's)."""
    intensities = {
        name: float(values.get("intensity", 0.0))
        for name, values in show.last_values.items()
        if isinstance(values.get("intensity", 0.0), int | float)
    }
    outputs = {name: (h.state, h.detail) for name, h in health.items()}
    showing = show.playlist.current if show.state(now) == "showing" else None
    return Sample(now, intensities, showing, show.last_level, outputs)
