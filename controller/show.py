"""The show: technician and desk decisions, the playlist and the schedule, turned into frames.

`Show` implements the control plane's `ShowControl`. It keeps no clock of its
own: every step takes an explicit `now` (epoch seconds), so the daemon drives it
at 40 Hz and a demo can run a whole night in seconds.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import schedules
from controller import playlist as pl
from controller.config import SiteConfig
from controller.engine import (
    EngineState,
    Frame,
    Scene,
    Segment,
    gate_artwork,
    render_frame,
    window_level,
)
from controller.looks import Look, wheel_slot
from controller.runlog import RunRecorder
from controller.statestore import Blackout, Override, PersistedState
from hardware.frames import FrameAssembler, parse_value

log = logging.getLogger("gobo.show")

Frames = dict[str, dict[int, bytes]]
SHUTDOWN_FADE_S = 0.6  # SIGTERM: dark well within the promised second


class Show:
    def __init__(
        self,
        config: SiteConfig,
        outputs: Mapping[str, Any] | None = None,
        *,
        persisted: PersistedState | None = None,
        save: Callable[[PersistedState], None] | None = None,
        clock: Callable[[], float] = time.time,
        frame_stats: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        self.outputs: Mapping[str, Any] = outputs or {}
        self._save = save
        self._clock = clock
        self._frame_stats = frame_stats
        self.clock_trusted = True
        self.looks: dict[str, Look] = {}
        self.approved: list[str] = []
        self.playlist = pl.Playlist()
        self.blackout_state: Blackout | None = None
        self.overrides: dict[str, Override] = {}
        self.identifying: dict[str, float] = {}
        self.master = 1.0
        self._master_logged = -math.inf
        self._shutdown_at: float | None = None
        self._segment: Segment | None = None
        self._segment_valid: tuple[float, float] = (0.0, -1.0)
        self._gates: dict[str, str | None] = {}
        # (fixture, wheel slot or None) -> artwork image in that gate, as told to the outputs
        self.gate_images: dict[tuple[str, int | None], Any] = {}
        self.last_frames: Frames = {}
        self.last_values: Frame = {}
        self.last_level = 0.0
        self.configure(config)
        if persisted is not None:
            self._restore(persisted)

    # -- configuration and library ----------------------------------------------------------

    def configure(self, config: SiteConfig) -> None:
        """Take a (re)loaded configuration; the show continues where it was."""
        self.config = config
        self.fixtures = {f.name: f for f in config.patch.fixtures}
        self.assembler = FrameAssembler(config.patch)
        self.site = config.site
        self.tz = config.site.tz
        self.overrides = self._valid_overrides(self.overrides)
        self.identifying = {k: v for k, v in self.identifying.items() if k in self.fixtures}
        self._segment = None
        self._gates = {}

    def set_library(self, looks: Sequence[Look], now: float | None = None) -> None:
        """The approved artworks in approval order (loaded by the daemon outside the loop)."""
        now = self._now(now)
        self.looks = {look.artwork_id: look for look in looks}
        self.approved = [look.artwork_id for look in looks]
        before, queued = self.playlist.current, self.playlist.queue
        self.playlist = pl.sync(self.playlist, self.approved, now)
        if self.playlist.queue != queued:
            self._persist()  # a drawing approved just before a restart keeps its early slot
        if self.playlist.queue:
            log.info("new artwork queued for the next slot: %s", ", ".join(self.playlist.queue))
        self._playlist_changed(before)

    # -- stepping ---------------------------------------------------------------------------

    def engine_state(self, now: float) -> EngineState:
        self._expire(now)
        before = self.playlist.current
        self.playlist = pl.tick(
            self.playlist, self.approved, now, self.config.show.rotation_minutes * 60.0
        )
        self._playlist_changed(before)
        level = self.schedule_level(now)
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
            identify=self.identifying,
            fade=fade,
        )

    def render(self, now: float | None = None) -> Frame:
        now = self._now(now)
        state = self.engine_state(now)
        self._update_gates(now, state)
        frame = render_frame(now, state, Scene(tuple(self.fixtures.values()), self.looks))
        self.last_values = frame
        return frame

    def step(self, now: float | None = None) -> Frames:
        """One frame: attribute values, assembled into DMX universes per output."""
        frames = self.assembler.assemble(self.render(now))
        self.last_frames = frames
        return frames

    def send(self, frames: Frames) -> None:
        for name, output in self.outputs.items():
            universes = frames.get(name)
            if universes:
                output.send(universes)

    def begin_shutdown(self, now: float | None = None) -> None:
        self._shutdown_at = self._now(now)

    def shutdown_done(self, now: float | None = None) -> bool:
        return self._shutdown_at is not None and self._now(now) >= (
            self._shutdown_at + SHUTDOWN_FADE_S
        )

    # -- schedule ---------------------------------------------------------------------------

    def schedule_level(self, now: float) -> float:
        if not self.clock_trusted and self.config.show.safe_state == "dark":
            return 0.0
        return window_level(now, self.segment(now), self.config.show.window_fade_seconds)

    def segment(self, now: float) -> Segment:
        low, high = self._segment_valid
        if self._segment is None or not low <= now < high:
            self._segment = schedule_segment(self.site, self.config.schedule, now)
            end = self._segment.end
            self._segment_valid = (now, end if end is not None else now + 3600.0)
            log.info("schedule: %s", self._describe_segment(self._segment))
        return self._segment

    def invalidate_schedule(self) -> None:
        """After a clock jump or a reload: recompute what should be on now."""
        self._segment = None

    def _describe_segment(self, segment: Segment) -> str:
        if segment.window is None:
            until = f" until {self._hhmm(segment.end)}" if segment.end else ""
            return f"outside the show window{until}"
        until = f" until {self._hhmm(segment.end)}" if segment.end else ""
        return f"window '{segment.window}' at {segment.level:.0%}{until}"

    # -- ShowControl ------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        now = self._clock()
        segment = self.segment(now)
        look = self.looks.get(self.playlist.current or "")
        return {
            "state": self.state(),
            "artwork": self.playlist.current,
            "credit": look.credit if look else None,
            "level": round(self.last_level, 4),
            "master": self.master,
            "window": segment.window,
            "next_transition": self._iso(segment.end),
            "outputs": {
                name: {"state": h.state, "detail": h.detail, "since": self._iso(h.since)}
                for name, h in self.health().items()
            },
            "frame": self._frame_stats() if self._frame_stats else {},
            "why": self.why(),
            "blackout": (
                {"since": self._iso(self.blackout_state.since), "by": self.blackout_state.source}
                if self.blackout_state
                else None
            ),
            "overrides": {
                name: {"values": o.values, "until": self._iso(o.until), "by": o.source}
                for name, o in self.overrides.items()
            },
            "playlist": {
                "approved": len(self.approved),
                "slot_until": self._iso(self.playlist.until),
                "queued": list(self.playlist.queue),
            },
        }

    def state(self) -> str:
        if self.blackout_state is not None:
            return "blackout"
        if self.overrides:
            return "override"
        if not self.clock_trusted and self.config.show.safe_state == "dark":
            return "waiting-for-clock"
        if self.last_level > 0 and self.playlist.current:
            return "showing"
        return "dark"

    def why(self) -> str:
        if self.blackout_state is not None:
            b = self.blackout_state
            return f"blackout since {self._hhmm(b.since)} by {b.source}"
        if not self.clock_trusted and self.config.show.safe_state == "dark":
            return "waiting for a trusted clock"
        for name, health in self.health().items():
            if health.state != "ok":
                return f"output {name} {health.state} since {self._hhmm(health.since)}"
        if self.overrides:
            parts = []
            for name, o in self.overrides.items():
                until = f" until {self._hhmm(o.until)}" if o.until else ""
                parts.append(f"{name} by {o.source}{until}")
            return "manual override: " + "; ".join(parts)
        segment = self.segment(self._clock())
        if segment.window is None:
            until = f" until {self._hhmm(segment.end)}" if segment.end else ""
            return f"outside the show window{until}"
        if not self.approved:
            return "no approved artwork"
        look = self.looks.get(self.playlist.current or "")
        credit = f" ({look.credit})" if look and look.credit else ""
        until = f" until {self._hhmm(segment.end)}" if segment.end else ""
        return (
            f"showing {self.playlist.current}{credit} at {self.last_level * self.master:.0%}"
            f" in window '{segment.window}'{until}"
        )

    def set_override(
        self,
        fixture: str,
        values: Mapping[str, float | str],
        duration_s: float | None,
        source: str = "gobo set",
    ) -> dict[str, Any]:
        target = self._fixture(fixture)
        parsed: dict[str, float | str] = {}
        for attr, value in values.items():
            if attr == "color":
                if not {"red", "green", "blue"} <= set(target.attributes):
                    raise ValueError(f"fixture '{fixture}' has no attribute 'color'")
            elif attr not in target.attributes:
                raise ValueError(f"fixture '{fixture}' has no attribute '{attr}'")
            if attr == "color":
                parse_value(attr, str(value))  # refuse anything but #rrggbb, keep the text
                parsed[attr] = "#" + str(value).strip().lstrip("#").lower()
            elif isinstance(value, str):
                parsed[attr] = float(parse_value(attr, value))  # type: ignore[arg-type]
            else:
                parsed[attr] = float(value)
        now = self._clock()
        merged = dict(self.overrides[fixture].values) if fixture in self.overrides else {}
        merged.update(parsed)
        self.assembler.assemble({fixture: merged})  # refuse what the fixture cannot take
        until = now + duration_s if duration_s else None
        self.overrides[fixture] = Override(merged, until, source)
        shown = " ".join(f"{k}={v}" for k, v in parsed.items())
        timed = f" for {duration_s:g}s" if until else ""
        log.info("override %s %s%s by %s", fixture, shown, timed, source)
        self._persist()
        return {"fixture": fixture, "values": merged, "until": self._iso(until)}

    def identify(self, fixture: str, seconds: float) -> None:
        self._fixture(fixture)
        self.identifying[fixture] = self._clock() + seconds
        log.info("identify %s for %gs", fixture, seconds)

    def blackout(self, on: bool, source: str) -> None:
        if on and self.blackout_state is None:
            self.blackout_state = Blackout(self._clock(), source)
            log.info("blackout by %s", source)
        elif not on and self.blackout_state is not None:
            self.blackout_state = None
            log.info("blackout off by %s", source)
        self._persist()

    def resume(self, source: str) -> None:
        self.blackout_state = None
        self.overrides.clear()
        self.identifying.clear()
        log.info("resume schedule by %s", source)
        self._persist()

    def play(self, artwork: str, duration_s: float | None, source: str) -> str:
        matches = [a for a in self.approved if a.startswith(artwork)] if artwork else []
        if len(matches) != 1:
            problem = "ambiguous" if matches else "unknown or not approved"
            raise KeyError(f"{problem} artwork '{artwork}'")
        now = self._clock()
        before = self.playlist.current
        duration = duration_s or self.config.show.rotation_minutes * 60.0
        self.playlist = pl.play(self.playlist, matches[0], now, duration)
        log.info("play %s for %gs by %s", matches[0], duration, source)
        self._playlist_changed(before)
        return matches[0]

    def next(self, source: str) -> str | None:
        before = self.playlist.current
        self.playlist = pl.skip(
            self.playlist, self.approved, self._clock(), self.config.show.rotation_minutes * 60
        )
        log.info("next by %s", source)
        self._playlist_changed(before)
        return self.playlist.current

    def set_master(self, level: float, source: str) -> None:
        if not 0.0 <= level <= 1.0:
            raise ValueError(f"master must be 0..1, not {level}")
        now = self._clock()
        # A desk fader sends tens of values a second: one log line a second is enough.
        if level != self.master and now - self._master_logged >= 1.0:
            log.info("master %.0f%% by %s", level * 100, source)
            self._master_logged = now
        self.master = level
        self._persist()

    def monitor(self, universe: int | None) -> dict[str, list[int]]:
        return {
            f"{output}/{number}": list(data)
            for output, universes in sorted(self.last_frames.items())
            for number, data in sorted(universes.items())
            if universe is None or number == universe
        }

    def fixture_attributes(self) -> dict[str, frozenset[str]]:
        return {name: fixture.attributes for name, fixture in self.fixtures.items()}

    def live(self) -> dict[str, Any]:
        """The frame being sent and the images in the gobo gates, for a picture of the site
        drawn elsewhere (the web console's /live.png) with the simulated output's renderer."""
        return {
            "frames": {
                output: {str(number): data.hex() for number, data in universes.items()}
                for output, universes in self.last_frames.items()
            },
            "gates": [
                [fixture, slot, str(path) if path else None]
                for (fixture, slot), path in self.gate_images.items()
            ],
        }

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
        )

    def _restore(self, state: PersistedState) -> None:
        state = state.without_expired(self._clock())
        self.blackout_state = state.blackout
        self.overrides = self._valid_overrides(state.overrides)
        self.master = state.master
        # position 0 is also the default: only a saved artwork makes it a real position
        self._restored_position = state.playlist_position if state.current_artwork else None
        self.playlist = pl.Playlist(
            current=state.current_artwork,
            started_at=0.0,
            until=state.pinned_until,
            queue=state.queue,
        )

    def restore_cursor(self) -> None:
        """Once the library is known: resume the rotation after the persisted position."""
        position = getattr(self, "_restored_position", None)
        if position is not None and 0 <= position < len(self.approved):
            self.playlist = replace(self.playlist, cursor=self.approved[position])
        self._restored_position = None

    def _valid_overrides(self, overrides: Mapping[str, Override]) -> dict[str, Override]:
        """Overrides the current patch can still take (a reload may remove a fixture)."""
        valid = {}
        for name, override in overrides.items():
            try:
                if name not in self.fixtures:
                    raise ValueError(f"unknown fixture '{name}'")
                self.assembler.assemble({name: override.values})
            except ValueError as exc:
                log.warning("override of %s dropped: %s", name, exc)
                continue
            valid[name] = override
        return valid

    def _persist(self) -> None:
        if self._save is not None:
            try:
                self._save(self.persisted())
            except OSError as exc:
                log.error("cannot save the show state: %s", exc)

    # -- helpers ----------------------------------------------------------------------------

    def _playlist_changed(self, before: str | None) -> None:
        current = self.playlist.current
        if current != before:
            look = self.looks.get(current or "")
            credit = f" ({look.credit})" if look and look.credit else ""
            log.info("artwork %s%s", current or "none", credit)
            self._persist()

    def _expire(self, now: float) -> None:
        ended = [n for n, o in self.overrides.items() if o.until is not None and o.until <= now]
        for name in ended:
            del self.overrides[name]
            log.info("override of %s ended", name)
        if ended:
            self._persist()
        for name in [n for n, until in self.identifying.items() if until <= now]:
            del self.identifying[name]

    def _update_gates(self, now: float, state: EngineState) -> None:
        """Tell simulated outputs which image sits in each gobo fixture's gate."""
        artwork = gate_artwork(now, state)
        for fixture in self.fixtures.values():
            if not fixture.gobo_kind or self._gates.get(fixture.name, "?") == artwork:
                continue
            self._gates[fixture.name] = artwork
            look = self.looks.get(artwork or "")
            path = gobo_image_for(fixture, look) if look else None
            slot = wheel_slot(fixture, artwork) if artwork else None
            if fixture.wheel_slots and slot is None:
                continue  # not in this wheel: the fixture shows the wheel's own slot
            self.gate_images[(fixture.name, slot)] = path
            output = self.outputs.get(fixture.output)
            if output is not None and hasattr(output, "set_gobo_image"):
                output.set_gobo_image(fixture.name, slot, path)

    def _fixture(self, name: str) -> Any:
        fixture = self.fixtures.get(name)
        if fixture is None:
            raise ValueError(f"unknown fixture '{name}' (known: {', '.join(self.fixtures)})")
        return fixture

    def health(self) -> dict[str, Any]:
        return {name: output.health() for name, output in self.outputs.items()}

    def record(self, recorder: RunRecorder, now: float) -> None:
        """One run-log sample of what the show drives now (the daemon's and the demo's)."""
        intensities = {
            name: float(values.get("intensity", 0.0))
            for name, values in self.last_values.items()
            if isinstance(values.get("intensity", 0.0), int | float)
        }
        outputs = {name: (h.state, h.detail) for name, h in self.health().items()}
        showing = self.playlist.current if self.state() == "showing" else None
        recorder.sample(now, intensities, showing, self.last_level, outputs)

    def _now(self, now: float | None) -> float:
        return self._clock() if now is None else now

    def _hhmm(self, ts: float | None) -> str:
        if ts is None:
            return "?"
        return datetime.fromtimestamp(ts, self.tz).strftime("%H:%M")

    def _iso(self, ts: float | None) -> str | None:
        if ts is None:
            return None
        return datetime.fromtimestamp(ts, self.tz).isoformat(timespec="seconds")


def gobo_image_for(fixture: Any, look: Look) -> Any:
    """The artwork's gobo file made for exactly this fixture (kind, size, flip, keystone);
    failing that one of its kind and size, then any gobo image."""
    from artwork.targets import gobo_target

    try:
        exact = "gobo-" + gobo_target(
            fixture.gobo_kind, size=fixture.gobo_size, image_mm=fixture.gobo_image_mm,
            flip=fixture.flip, keystone=fixture.keystone,
        ).key
    except ValueError:
        exact = ""
    if exact in look.gobo_images:
        return look.gobo_images[exact]
    prefix = f"gobo-{fixture.gobo_kind}-{fixture.gobo_size}"
    keys = sorted(look.gobo_images)
    for key in keys:
        if key.startswith(prefix):
            return look.gobo_images[key]
    return look.gobo_images[keys[0]] if keys else None


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
