"""The show core: decisions, the playlist and the schedule turned into frames. Pure.

No clock, disk, socket or logger: every input carries its time (epoch seconds) and every input
answers with the events it caused (`controller.decisions`), which the daemon's edges persist,
log and record off the frame loop. So the daemon drives it at 40 Hz and a demo runs a whole
night in seconds on the same code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import schedules
from controller import playlist as pl
from controller.config import SiteConfig
from controller.decisions import (
    MAX_IDENTIFY_S,
    Applied,
    Changed,
    Command,
    Event,
    GateChanged,
    Identify,
    Next,
    Noted,
    Play,
    Resume,
    SetBlackout,
    SetMaster,
    SetOverride,
    StateChanged,
)
from controller.engine import (
    EngineState,
    Frame,
    Scene,
    Segment,
    gate_artwork,
    render_frame,
    window_level,
)
from controller.looks import Look, gobo_image_for, wheel_slot
from controller.statestore import Blackout, Override, PersistedState, Played
from hardware.frames import FrameAssembler, Frames, parse_value

SHUTDOWN_FADE_S = 0.6  # SIGTERM: dark well within the promised second
PLAY_LEVEL = 1.0  # a played artwork outside any show window (a technician testing in daylight)


@dataclass(frozen=True)
class Step:
    """One frame: DMX universes per output, the attribute values behind them, and events."""

    frames: Frames
    values: Frame
    events: tuple[Event, ...]


class Show:
    def __init__(self, config: SiteConfig) -> None:
        self.clock_trusted = True
        self.looks: dict[str, Look] = {}
        self.approved: list[str] = []
        self.playlist = pl.Playlist()
        self.blackout_state: Blackout | None = None
        self.overrides: dict[str, Override] = {}
        self.identifying: dict[str, tuple[float, str]] = {}  # fixture -> (until, by)
        self.played: Played | None = None
        self.master = 1.0
        self._master_noted = -float("inf")
        self._shutdown_at: float | None = None
        self._segment: Segment | None = None
        self._segment_valid: tuple[float, float] = (0.0, -1.0)
        self._gates: dict[str, str | None] = {}
        self._restored_position: int | None = None
        self._last_state: str | None = None
        self.last_frames: Frames = {}
        self.last_values: Frame = {}
        self.last_level = 0.0
        self.configure(config)

    # -- configuration, library, restart -----------------------------------------------------

    def configure(self, config: SiteConfig) -> list[Event]:
        """Take a (re)loaded configuration; the show continues where it was."""
        self.config = config
        self.fixtures = {f.name: f for f in config.patch.fixtures}
        self.assembler = FrameAssembler(config.patch)
        self.tz = config.site.tz
        events: list[Event] = []
        self.overrides = self._valid_overrides(self.overrides, events)
        self.identifying = {k: v for k, v in self.identifying.items() if k in self.fixtures}
        self._segment = None
        self._gates = {}
        return events

    def restore(self, state: PersistedState, now: float) -> list[Event]:
        """The decisions saved before a restart (ended ones dropped)."""
        state = state.without_expired(now)
        events: list[Event] = []
        self.blackout_state = state.blackout
        self.overrides = self._valid_overrides(state.overrides, events)
        self.master = state.master
        self.played = state.played
        # position 0 is also the default: only a saved artwork makes it a real position
        self._restored_position = state.playlist_position if state.current_artwork else None
        self.playlist = pl.Playlist(
            current=state.current_artwork, started_at=0.0, until=state.pinned_until,
            queue=state.queue,
        )
        return events

    def set_library(self, looks: Sequence[Look], now: float) -> list[Event]:
        """The approved artworks in approval order (loaded by the daemon outside the loop)."""
        self.looks = {look.artwork_id: look for look in looks}
        self.approved = [look.artwork_id for look in looks]
        before, queued = self.playlist.current, self.playlist.queue
        self.playlist = pl.sync(self.playlist, self.approved, now)
        if self._restored_position is not None:  # resume the rotation where it was
            if 0 <= self._restored_position < len(self.approved):
                cursor = self.approved[self._restored_position]
                self.playlist = replace(self.playlist, cursor=cursor)
            self._restored_position = None
        events: list[Event] = []
        if self.playlist.queue != queued:
            # a drawing approved just before a restart keeps its early slot
            events.append(Changed(self.persisted(), "new artwork queued for the next slot: "
                                  + ", ".join(self.playlist.queue)))
        if self.played is not None and self.played.artwork not in self.looks:
            self.played = None
        self._playlist_changed(before, events)
        return events

    def invalidate_schedule(self) -> None:
        """After a clock jump, a transition or a reload: recompute what should be on now."""
        self._segment = None

    # -- stepping ---------------------------------------------------------------------------

    def step(self, now: float) -> Step:
        """The frame for `now` and what happened on the way there."""
        events: list[Event] = []
        state = self._engine_state(now, events)
        self._gate_events(now, state, events)
        values = render_frame(now, state, Scene(tuple(self.fixtures.values()), self.looks))
        frames = self.assembler.assemble(values)
        self.last_values, self.last_frames = values, frames
        word = self.state(now)
        if word != self._last_state:
            self._last_state = word
            events.append(StateChanged(word))
        return Step(frames, values, tuple(events))

    def off_frame(self) -> Frames:
        """Every channel closed or off: the last frame sent before the daemon exits."""
        return self.assembler.assemble_off()

    def begin_shutdown(self, now: float) -> None:
        self._shutdown_at = now

    def shutdown_done(self, now: float) -> bool:
        return self._shutdown_at is not None and now >= self._shutdown_at + SHUTDOWN_FADE_S

    def _engine_state(self, now: float, events: list[Event]) -> EngineState:
        self._expire(now, events)
        before = self.playlist.current
        self.playlist = pl.tick(self.playlist, self.approved, now, self._rotation_s())
        self._playlist_changed(before, events)
        previous = self._segment
        level = self.level(now)
        if self._segment is not previous and self._segment is not None:
            events.append(Noted("schedule: " + self.describe_segment(self._segment)))
        self.last_level = level
        fade = 1.0
        if self._shutdown_at is not None:
            fade = max(0.0, 1.0 - (now - self._shutdown_at) / SHUTDOWN_FADE_S)
        return EngineState(
            current=self.playlist.current,
            previous=self.playlist.previous,
            fade_start=self.playlist.started_at,
            crossfade_s=self.config.show.crossfade_seconds,
            level=level,
            master=self.master,
            blackout=self.blackout_state is not None,
            overrides={name: o.values for name, o in self.overrides.items()},
            identify={name: until for name, (until, _) in self.identifying.items()},
            fade=fade,
        )

    def _gate_events(self, now: float, state: EngineState, events: list[Event]) -> None:
        """Which image sits in each gobo fixture's gate (simulated outputs draw it)."""
        artwork = gate_artwork(now, state)
        for fixture in self.fixtures.values():
            if not fixture.gobo_kind or self._gates.get(fixture.name, "?") == artwork:
                continue
            self._gates[fixture.name] = artwork
            look = self.looks.get(artwork or "")
            slot = wheel_slot(fixture, artwork) if artwork else None
            if fixture.wheel_slots and slot is None:
                continue  # not in this wheel: the fixture shows the wheel's own slot
            image = gobo_image_for(fixture, look) if look else None
            events.append(GateChanged(fixture.name, fixture.output, slot, image))

    # -- schedule ---------------------------------------------------------------------------

    def level(self, now: float) -> float:
        """The schedule's level now; a played artwork lights a dark site at PLAY_LEVEL."""
        segment = self.segment(now)
        playing = self.played is not None and now < self.played.until
        if not self.clock_trusted and self.config.show.safe_state == "dark":
            return PLAY_LEVEL if playing else 0.0
        if playing and segment.window is None:
            return PLAY_LEVEL
        return window_level(now, segment, self.config.show.window_fade_seconds)

    def segment(self, now: float) -> Segment:
        low, high = self._segment_valid
        if self._segment is None or not low <= now < high:
            self._segment = schedule_segment(self.config.site, self.config.schedule, now)
            end = self._segment.end
            self._segment_valid = (now, end if end is not None else now + 3600.0)
        return self._segment

    def describe_segment(self, segment: Segment) -> str:
        until = f" until {self.hhmm(segment.end)}" if segment.end else ""
        if segment.window is None:
            return f"outside the show window{until}"
        return f"window '{segment.window}' at {segment.level:.0%}{until}"

    def state(self, now: float) -> str:
        if self.blackout_state is not None:
            return "blackout"
        if self.overrides:
            return "override"
        if self.level(now) > 0 and self.playlist.current:
            return "showing"
        if not self.clock_trusted and self.config.show.safe_state == "dark":
            return "waiting-for-clock"
        return "dark"

    # -- commands ---------------------------------------------------------------------------

    def apply(self, command: Command, now: float) -> Applied:
        """Carry out one decision; ValueError or KeyError (naming the problem) changes nothing."""
        events: list[Event] = []
        result: object = None
        match command:
            case SetOverride():
                result = self._set_override(command, now, events)
            case Identify(fixture, seconds, source):
                self._fixture(fixture)
                if not 0 < seconds <= MAX_IDENTIFY_S:
                    raise ValueError(f"identify: for up to {MAX_IDENTIFY_S / 60:g} minutes, "
                                     f"not {seconds:g} s")
                self.identifying[fixture] = (now + seconds, source)
                events.append(Noted(f"identify {fixture} for {seconds:g}s by {source}"))
            case SetBlackout(on, source):
                if on and self.blackout_state is None:
                    self.blackout_state = Blackout(now, source)
                    events.append(Changed(self.persisted(), f"blackout by {source}"))
                elif not on and self.blackout_state is not None:
                    self.blackout_state = None
                    events.append(Changed(self.persisted(), f"blackout off by {source}"))
            case Resume(source):
                self.blackout_state = None
                self.overrides.clear()
                self.identifying.clear()
                self.played = None
                events.append(Changed(self.persisted(), f"resume schedule by {source}"))
            case Play():
                result = self._play(command, now, events)
            case Next(source):
                before = self.playlist.current
                self.played = None
                self.playlist = pl.skip(self.playlist, self.approved, now, self._rotation_s())
                events.append(Noted(f"next by {source}"))
                self._playlist_changed(before, events, force=True)
                result = self.playlist.current
            case SetMaster(level, source):
                if not 0.0 <= level <= 1.0:
                    raise ValueError(f"master must be 0..1, not {level}")
                # A desk fader sends tens of values a second: one log line a second is enough.
                note = None
                if level != self.master and now - self._master_noted >= 1.0:
                    note = f"master {level:.0%} by {source}"
                    self._master_noted = now
                self.master = level
                events.append(Changed(self.persisted(), note, fader=True))
        return Applied(result, tuple(events))

    def _set_override(self, command: SetOverride, now: float, events: list[Event]) -> Any:
        fixture, source = command.fixture, command.source
        target = self._fixture(fixture)
        parsed: dict[str, float | str] = {}
        for attr, value in command.values.items():
            if attr == "color":
                if not {"red", "green", "blue"} <= set(target.attributes):
                    raise ValueError(f"fixture '{fixture}' has no attribute 'color'")
                parse_value(attr, str(value))  # refuse anything but #rrggbb, keep the text
                parsed[attr] = "#" + str(value).strip().lstrip("#").lower()
            elif attr not in target.attributes:
                raise ValueError(f"fixture '{fixture}' has no attribute '{attr}'")
            elif isinstance(value, str):
                parsed[attr] = float(parse_value(attr, value))  # type: ignore[arg-type]
            else:
                parsed[attr] = float(value)
        merged = dict(self.overrides[fixture].values) if fixture in self.overrides else {}
        merged.update(parsed)
        self.assembler.assemble({fixture: merged})  # refuse what the fixture cannot take
        duration = command.duration_s
        until = now + duration if duration else None
        self.overrides[fixture] = Override(merged, until, source)
        shown = " ".join(f"{k}={v}" for k, v in parsed.items())
        timed = f" for {duration:g}s" if duration else ""
        events.append(Changed(self.persisted(), f"override {fixture} {shown}{timed} by {source}"))
        return {"fixture": fixture, "values": merged, "until": self.iso(until)}

    def _play(self, command: Play, now: float, events: list[Event]) -> str:
        wanted = command.artwork
        matches = [a for a in self.approved if a.startswith(wanted)] if wanted else []
        if len(matches) != 1:
            problem = "ambiguous" if matches else "unknown or not approved"
            raise KeyError(f"{problem} artwork '{wanted}'")
        before = self.playlist.current
        duration = command.duration_s or self._rotation_s()
        self.playlist = pl.play(self.playlist, matches[0], now, duration)
        self.played = Played(matches[0], now + duration, command.source)
        events.append(Changed(self.persisted(), f"play {matches[0]} for {duration:g}s by "
                              f"{command.source}"))
        self._playlist_changed(before, events)
        return matches[0]

    # -- persistence ------------------------------------------------------------------------

    def persisted(self) -> PersistedState:
        position = (
            self.approved.index(self.playlist.cursor)
            if self.playlist.cursor in self.approved
            else 0
        )
        return PersistedState(
            blackout=self.blackout_state,
            overrides=dict(self.overrides),
            master=self.master,
            current_artwork=self.playlist.current,
            playlist_position=position,
            pinned_until=self.playlist.until,
            queue=self.playlist.queue,
            played=self.played,
        )

    def _valid_overrides(
        self, overrides: Mapping[str, Override], events: list[Event]
    ) -> dict[str, Override]:
        """Overrides the current patch can still take (a reload may remove a fixture)."""
        valid = {}
        for name, override in overrides.items():
            try:
                if name not in self.fixtures:
                    raise ValueError(f"unknown fixture '{name}'")
                self.assembler.assemble({name: override.values})
            except ValueError as exc:
                events.append(Noted(f"override of {name} dropped: {exc}", warning=True))
                continue
            valid[name] = override
        return valid

    # -- helpers ----------------------------------------------------------------------------

    def _rotation_s(self) -> float:
        return self.config.show.rotation_minutes * 60.0

    def _playlist_changed(
        self, before: str | None, events: list[Event], force: bool = False
    ) -> None:
        current = self.playlist.current
        if current != before or force:
            look = self.looks.get(current or "")
            credit = f" ({look.credit})" if look and look.credit else ""
            events.append(Changed(self.persisted(), f"artwork {current or 'none'}{credit}"))

    def _expire(self, now: float, events: list[Event]) -> None:
        ended = [n for n, o in self.overrides.items() if o.until is not None and o.until <= now]
        for name in ended:
            del self.overrides[name]
            events.append(Changed(self.persisted(), f"override of {name} ended"))
        if self.played is not None and self.played.until <= now:
            events.append(Noted(f"play of {self.played.artwork} ended"))
            self.played = None
        for name in [n for n, (until, _) in self.identifying.items() if until <= now]:
            del self.identifying[name]

    def _fixture(self, name: str) -> Any:
        fixture = self.fixtures.get(name)
        if fixture is None:
            raise ValueError(f"unknown fixture '{name}' (known: {', '.join(self.fixtures)})")
        return fixture

    def hhmm(self, ts: float | None) -> str:
        if ts is None:
            return "?"
        return datetime.fromtimestamp(ts, self.tz).strftime("%H:%M")

    def iso(self, ts: float | None) -> str | None:
        if ts is None:
            return None
        return datetime.fromtimestamp(ts, self.tz).isoformat(timespec="seconds")


def schedule_segment(site: Any, rules: Any, now: float) -> Segment:
    """Ask the schedule about `now`: the level, the step into it and the next step."""
    instant = datetime.fromtimestamp(now, UTC)
    level, window = schedules.level_at(site, rules, instant)
    upcoming = schedules.next_transition(site, rules, instant)
    next_level = schedules.level_at(site, rules, upcoming)[0] if upcoming else level
    start = prev_level = None
    if window is not None:
        start = window.start.timestamp()
        prev_level = schedules.level_at(site, rules, window.start - timedelta(microseconds=1))[0]
    return Segment(
        level=float(level),
        window=getattr(window, "rule", None) if window is not None else None,
        start=start,
        prev_level=float(prev_level or 0.0),
        end=upcoming.timestamp() if upcoming else None,
        next_level=float(next_level),
    )
