"""What must survive a restart, persisted atomically as JSON.

Only technician and desk decisions live here (blackout, overrides, master, a played artwork,
playlist position); everything else is recomputed from the configuration and the clock. Times
are wall-clock epoch seconds so a reboot keeps them meaningful. Writing off the event loop, and
telling a command whether it reached the disk, is controller.statesaver's job.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from hardware.durable import write_durably

log = logging.getLogger(__name__)

STATE_FILE = "show-state.json"
FORMAT_VERSION = 1
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")

OverrideValues = dict[str, float | str]


@dataclass(frozen=True)
class Blackout:
    since: float  # epoch seconds
    source: str


@dataclass(frozen=True)
class Override:
    values: OverrideValues  # attribute -> 0..1, or "#rrggbb" for color
    until: float | None  # epoch seconds; None = until `gobo resume`
    source: str


@dataclass(frozen=True)
class Played:
    """`gobo play`: one artwork shown until `until`, lit even outside a show window."""

    artwork: str
    until: float  # epoch seconds
    source: str


@dataclass(frozen=True)
class PersistedState:
    blackout: Blackout | None = None
    overrides: dict[str, Override] = field(default_factory=dict)  # by fixture name
    master: float = 1.0
    current_artwork: str | None = None
    playlist_position: int = 0
    pinned_until: float | None = None  # `gobo play --for`: back to the rotation then
    queue: tuple[str, ...] = ()  # newly approved artworks waiting for the next slots
    played: Played | None = None

    def without_expired(self, now: float) -> PersistedState:
        """The same state with overrides and a play past their end dropped."""
        live = {
            name: o for name, o in self.overrides.items() if o.until is None or o.until > now
        }
        pinned = self.pinned_until if self.pinned_until is None or self.pinned_until > now else None
        played = self.played if self.played is not None and self.played.until > now else None
        return replace(self, overrides=live, pinned_until=pinned, played=played)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": FORMAT_VERSION,
            "saved_at": time.time(),
            "blackout": (
                {"since": self.blackout.since, "source": self.blackout.source}
                if self.blackout
                else None
            ),
            "overrides": {
                name: {"values": o.values, "until": o.until, "source": o.source}
                for name, o in self.overrides.items()
            },
            "master": self.master,
            "current_artwork": self.current_artwork,
            "playlist_position": self.playlist_position,
            "pinned_until": self.pinned_until,
            "queue": list(self.queue),
            "played": (
                {"artwork": self.played.artwork, "until": self.played.until,
                 "source": self.played.source}
                if self.played
                else None
            ),
        }

    @classmethod
    def from_json(cls, data: Any) -> PersistedState:
        """Strict parse; raises ValueError naming the offending key."""
        if not isinstance(data, dict):
            raise ValueError("top level must be an object")
        if data.get("version") != FORMAT_VERSION:
            raise ValueError(f"unsupported version {data.get('version')!r}")
        blackout = None
        if data.get("blackout") is not None:
            raw = _obj(data["blackout"], "blackout")
            blackout = Blackout(_num(raw.get("since"), "blackout.since"), _str(raw, "blackout"))
        overrides = {}
        for name, raw_override in _obj(data.get("overrides", {}), "overrides").items():
            key = f"overrides.{name}"
            raw = _obj(raw_override, key)
            values = _obj(raw.get("values"), f"{key}.values")
            for attr, value in values.items():
                where = f"{key}.values.{attr}"
                if attr == "color" and isinstance(value, str):
                    if not _COLOR.fullmatch(value):
                        raise ValueError(f"{where}: {value!r} is not #rrggbb")
                elif not 0.0 <= _num(value, where) <= 1.0:
                    raise ValueError(f"{where}: {value} is outside 0..1")
            until = raw.get("until")
            overrides[name] = Override(
                values=dict(values),
                until=None if until is None else _num(until, f"{key}.until"),
                source=_str(raw, key),
            )
        master = _num(data.get("master", 1.0), "master")
        if not 0.0 <= master <= 1.0:
            raise ValueError(f"master: {master} is outside 0..1")
        artwork = data.get("current_artwork")
        if artwork is not None and not isinstance(artwork, str):
            raise ValueError("current_artwork: must be a string or null")
        position = data.get("playlist_position", 0)
        if isinstance(position, bool) or not isinstance(position, int) or position < 0:
            raise ValueError("playlist_position: must be a non-negative integer")
        pinned = data.get("pinned_until")
        queue = data.get("queue", [])
        if not isinstance(queue, list) or not all(isinstance(a, str) for a in queue):
            raise ValueError("queue: must be a list of artwork ids")
        played = None
        if data.get("played") is not None:
            raw = _obj(data["played"], "played")
            if not isinstance(raw.get("artwork"), str):
                raise ValueError("played.artwork: must be an artwork id")
            played = Played(raw["artwork"], _num(raw.get("until"), "played.until"),
                            _str(raw, "played"))
        return cls(
            blackout=blackout,
            overrides=overrides,
            master=master,
            current_artwork=artwork,
            playlist_position=position,
            pinned_until=None if pinned is None else _num(pinned, "pinned_until"),
            queue=tuple(queue),
            played=played,
        )


def _obj(value: Any, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{key}: must be an object")
    return value


def _num(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{key}: must be a finite number, not {value!r}")
    return float(value)


def _str(raw: dict[str, Any], key: str) -> str:
    value = raw.get("source", "")
    if not isinstance(value, str):
        raise ValueError(f"{key}.source: must be a string")
    return value


def load_state(path: Path) -> PersistedState:
    """The saved state, or a clean one; a corrupt file is moved aside, never fatal."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return PersistedState()
    except (OSError, UnicodeDecodeError) as exc:
        log.error("cannot read %s (%s); starting from a clean show state", path, exc)
        return PersistedState()
    try:
        return PersistedState.from_json(json.loads(text))
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError; deep nesting
        aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}")
        try:
            os.replace(path, aside)
            where = f"moved to {aside.name}"
        except OSError as move_exc:
            where = f"could not move it aside: {move_exc}"
        reason = str(exc) or type(exc).__name__
        log.error("%s is corrupt (%s), %s; starting from a clean show state", path, reason, where)
        return PersistedState()


def save_state(path: Path, state: PersistedState) -> None:
    """After a crash either the old or the new file (hardware.durable)."""
    write_durably(path, json.dumps(state.to_json(), indent=1, sort_keys=True).encode())
