"""The words between the show core and its edges: the commands it takes, the events it gives.

A command is what a technician (the control socket) or a desk (OSC) decided; `Show.apply`
takes one with the time and answers with a result and events. Events are what the edges act
on, off the frame loop: a changed decision is persisted, a note is logged, a change of state is
recorded in the run log, a gobo image is put in a simulated projector's gate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from controller.statestore import PersistedState

MAX_IDENTIFY_S = 600.0  # a flashing fixture is found in seconds; ten minutes is plenty

# -- commands ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SetOverride:
    fixture: str
    values: Mapping[str, float | str]  # attribute -> 0..1 (or "NN%"), color -> "#rrggbb"
    duration_s: float | None
    source: str = "gobo set"


@dataclass(frozen=True)
class Identify:
    fixture: str
    seconds: float
    source: str = "gobo identify"


@dataclass(frozen=True)
class SetBlackout:
    on: bool
    source: str


@dataclass(frozen=True)
class Resume:
    source: str


@dataclass(frozen=True)
class Play:
    artwork: str  # an id or a unique prefix
    duration_s: float | None
    source: str


@dataclass(frozen=True)
class Next:
    source: str


@dataclass(frozen=True)
class SetMaster:
    level: float
    source: str


Command = SetOverride | Identify | SetBlackout | Resume | Play | Next | SetMaster

# -- events --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Changed:
    """A decision changed: persist `state`. `note` is its log line (None: nothing to log, e.g. a
    fader's tenth value this second); `fader` marks a master value a desk sends in bursts."""

    state: PersistedState
    note: str | None = None
    fader: bool = False


@dataclass(frozen=True)
class Noted:
    """Worth one log line (warning=True: something a technician should look at)."""

    text: str
    warning: bool = False


@dataclass(frozen=True)
class StateChanged:
    """The show's state word changed (dark, showing, blackout...): one run-log row."""

    state: str


@dataclass(frozen=True)
class GateChanged:
    """The image in a gobo fixture's gate (slot None: a digital fixture's only gate)."""

    fixture: str
    output: str
    slot: int | None
    image: Path | None


Event = Changed | Noted | StateChanged | GateChanged


@dataclass(frozen=True)
class Applied:
    """What a command did: its answer for the caller, and the events for the edges."""

    result: object
    events: tuple[Event, ...] = ()
