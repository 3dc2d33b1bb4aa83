"""The running show as the control socket and OSC reach it, and the edge that acts on its events.

`LiveShow` implements `ShowControl` around the pure core: each command is applied with the
wall-clock time on the event loop, and the events it causes (like those of every frame) are
acted on here without waiting: a changed decision goes to the state saver (which writes in its
own thread), a note to the log, a change of state to the run log, a gobo image to a simulated
projector. A command that changed a decision answers only once it is on disk: the control
server awaits `settled()`, which raises `StateNotSaved` when the disk refused it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from controller.decisions import (
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
from controller.show import Show
from controller.showstatus import Surroundings, status, why
from controller.statesaver import StateSaver
from hardware.frames import Frames

log = logging.getLogger("gobo.show")


def put_in_gates(events: Iterable[Event], outputs: Mapping[str, Any]) -> None:
    """Tell simulated outputs which image sits in each gobo fixture's gate."""
    for event in events:
        if isinstance(event, GateChanged):
            output = outputs.get(event.output)
            if output is not None and hasattr(output, "set_gobo_image"):
                output.set_gobo_image(event.fixture, event.slot, event.image)


class LiveShow:
    def __init__(
        self,
        show: Show,
        saver: StateSaver,
        outputs: Mapping[str, Any],
        *,
        clock: Callable[[], float] = time.time,
        faults: Callable[[], Mapping[str, Any]] = dict,
        on_state: Callable[[float, str, str], None] | None = None,
    ) -> None:
        self.show = show
        self.saver = saver
        self.outputs = outputs  # replaced by the daemon on a reload that changes them
        self._clock = clock
        self._faults = faults  # the other services' word: frame stats, library and run-log faults
        self._on_state = on_state  # (time, state, why) for the run log
        # (fixture, wheel slot or None) -> the artwork image in that gate, as told to outputs
        self.gate_images: dict[tuple[str, int | None], Path | None] = {}

    # -- the frame and the core's other inputs --------------------------------------------------

    def step(self, now: float) -> Frames:
        """One frame for `now`; its events are acted on without waiting for anything."""
        step = self.show.step(now)
        self.react(step.events, now)
        return step.frames

    def send(self, frames: Frames) -> None:
        for name, output in self.outputs.items():
            universes = frames.get(name)
            if universes:
                output.send(universes)

    def react(self, events: Iterable[Event], now: float | None = None) -> None:
        events = list(events)
        for event in events:
            if isinstance(event, Changed):
                self.saver.submit(event.state, fader=event.fader)
                if event.note:
                    log.info("%s", event.note)
            elif isinstance(event, Noted):
                log.log(logging.WARNING if event.warning else logging.INFO, "%s", event.text)
            elif isinstance(event, StateChanged) and self._on_state is not None:
                at = self._clock() if now is None else now
                self._on_state(at, event.state, self.why())
            elif isinstance(event, GateChanged):
                self.gate_images[(event.fixture, event.slot)] = event.image
        put_in_gates(events, self.outputs)

    # -- ShowControl ------------------------------------------------------------------------

    def surroundings(self) -> Surroundings:
        return Surroundings(
            health={name: output.health() for name, output in self.outputs.items()},
            state_not_saved=self.saver.problem,
            **self._faults(),
        )

    def status(self) -> dict[str, Any]:
        return status(self.show, self._clock(), self.surroundings())

    def why(self) -> str:
        return why(self.show, self._clock(), self.surroundings())

    def set_override(
        self,
        fixture: str,
        values: dict[str, float | str],
        duration_s: float | None,
        source: str = "gobo set",
    ) -> Any:
        return self._apply(SetOverride(fixture, values, duration_s, source))

    def identify(self, fixture: str, seconds: float, source: str = "gobo identify") -> None:
        self._apply(Identify(fixture, seconds, source))

    def blackout(self, on: bool, source: str) -> None:
        self._apply(SetBlackout(on, source))

    def resume(self, source: str) -> None:
        self._apply(Resume(source))

    def play(self, artwork: str, duration_s: float | None, source: str) -> Any:
        return self._apply(Play(artwork, duration_s, source))

    def next(self, source: str) -> Any:
        return self._apply(Next(source))

    def set_master(self, level: float, source: str) -> None:
        self._apply(SetMaster(level, source))

    async def settled(self) -> None:
        """Every decision taken so far is on disk (StateNotSaved: it could not be written)."""
        await self.saver.durable()

    def fixture_attributes(self) -> dict[str, frozenset[str]]:
        return {name: fixture.attributes for name, fixture in self.show.fixtures.items()}

    def live(self) -> dict[str, Any]:
        """The frame being sent and the images in the gobo gates, for a picture of the site
        drawn elsewhere (the web console's /live.png) with the simulated output's renderer."""
        return {
            "frames": {
                output: {str(number): data.hex() for number, data in universes.items()}
                for output, universes in self.show.last_frames.items()
            },
            "gates": [[fixture, slot, str(path) if path else None]
                      for (fixture, slot), path in self.gate_images.items()],
        }

    def monitor(self, universe: int | None) -> dict[str, list[int]]:
        return {
            f"{output}/{number}": list(data)
            for output, universes in sorted(self.show.last_frames.items())
            for number, data in sorted(universes.items())
            if universe is None or number == universe
        }

    def _apply(self, command: Command) -> Any:
        now = self._clock()
        applied = self.show.apply(command, now)
        self.react(applied.events, now)
        return applied.result
