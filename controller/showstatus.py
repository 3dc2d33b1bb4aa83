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


def reasons(show: Show, now: float, around: Surroundings) -> list[dict[str, Any]]:
    """`why` as data (`code` and what it names, times as site HH:MM), so the web console can
    word it in its own language: the main reason first."""
    identifying = [
        {"code": "identifying", "fixture": name, "until": show.hhmm(until), "by": by}
        for name, (until, by) in show.identifying.items()
        if until > now
    ]
    return [_main_reason(show, now, around), *identifying, *_problems(around)]


def why(show: Show, now: float, around: Surroundings) -> str:
    return "; ".join(english(reason) for reason in reasons(show, now, around))


def english(r: Mapping[str, Any]) -> str:
    """One reason of `reasons` in words."""
    match r["code"]:
        case "blackout":
            return f"blackout since {r['since']} by {r['by']}"
        case "waiting-for-clock":
            return "waiting for a trusted clock"
        case "output":
            return f"output {r['output']} {r['state']} since {r['since']}"
        case "override":
            return "manual override: " + "; ".join(
                f"{o['fixture']} by {o['by']}" + (f" until {o['until']}" if o["until"] else "")
                for o in r["overrides"]
            )
        case "playing":
            where = (f"in window '{r['window']}'" if r["window"] is not None
                     else "outside the show window")
            return (f"playing {r['artwork']}{_credit(r)} at {r['level']:.0%} {where} until "
                    f"{r['until']} (by {r['by']})")
        case "outside-window":
            return "outside the show window" + _until(r)
        case "no-artwork":
            return "no artwork to show"
        case "no-approved-artwork":
            return "no approved artwork"
        case "showing":
            return (f"showing {r['artwork']}{_credit(r)} at {r['level']:.0%} "
                    f"in window '{r['window']}'{_until(r)}")
        case "identifying":
            return f"identifying {r['fixture']} until {r['until']} (by {r['by']})"
        case "state-not-saved":
            return f"state not saved: {r['detail']}"
        case "library-not-readable":
            return f"library not readable: {r['detail']}"
        case "runlog-not-written":
            return f"run log not written: {r['detail']}"
    raise ValueError(f"no words for reason {r['code']!r}")


def _credit(reason: Mapping[str, Any]) -> str:
    return f" ({reason['credit']})" if reason.get("credit") else ""


def _until(reason: Mapping[str, Any]) -> str:
    return f" until {reason['until']}" if reason.get("until") else ""


def _main_reason(show: Show, now: float, around: Surroundings) -> dict[str, Any]:
    if show.blackout_state is not None:
        b = show.blackout_state
        return {"code": "blackout", "since": show.hhmm(b.since), "by": b.source}
    played = show.played if show.played is not None and now < show.played.until else None
    if played is None and not show.clock_trusted and show.config.show.safe_state == "dark":
        return {"code": "waiting-for-clock"}
    for name, health in around.health.items():
        if health.state != "ok":
            return {"code": "output", "output": name, "state": health.state,
                    "since": show.hhmm(health.since)}
    if show.overrides:
        return {"code": "override", "overrides": [
            {"fixture": name, "by": o.source, "until": show.hhmm(o.until) if o.until else None}
            for name, o in show.overrides.items()
        ]}
    segment = show.segment(now)
    level = round(show.level(now) * show.master, 4)
    if played is not None:
        return {"code": "playing", "artwork": played.artwork,
                "credit": _credit_of(show, played.artwork), "level": level,
                "window": segment.window, "until": show.hhmm(played.until), "by": played.source}
    until = show.hhmm(segment.end) if segment.end else None
    if segment.window is None:
        return {"code": "outside-window", "until": until}
    if not show.approved:  # with a library fault, the fault (below) is the reason
        return {"code": "no-artwork" if around.library is not None else "no-approved-artwork"}
    current = show.playlist.current or ""
    return {"code": "showing", "artwork": current, "credit": _credit_of(show, current),
            "level": level, "window": segment.window, "until": until}


def _problems(around: Surroundings) -> list[dict[str, Any]]:
    """Faults of the site a technician must know about whatever the show does."""
    faults = [
        ("state-not-saved", around.state_not_saved),
        ("library-not-readable", around.library),
        ("runlog-not-written", around.runlog),
    ]
    return [{"code": code, "detail": detail} for code, detail in faults if detail is not None]


def _credit_of(show: Show, artwork: str) -> str | None:
    look = show.looks.get(artwork)
    return look.credit if look and look.credit else None


def status(show: Show, now: float, around: Surroundings) -> dict[str, Any]:
    segment = show.segment(now)
    current = show.playlist.current
    look = show.looks.get(current or "")
    found = reasons(show, now, around)
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
        "why": "; ".join(english(reason) for reason in found),
        "reasons": found,
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
        "problems": [english(problem) for problem in _problems(around)],
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
