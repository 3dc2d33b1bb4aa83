"""A small real ShowControl for the transport tests (control socket, OSC, live CLI).

It keeps real state and derives real DMX values from it, so a test can check
that a command travelled all the way through; the daemon end-to-end tests with
the real Show live elsewhere.
"""

from __future__ import annotations

import asyncio
import atexit
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from controller.control import ControlServer

# fixture -> (DMX start address, attributes in channel order); all on universe 1 of "main"
PATCH = {
    "gobo-1": (1, ("intensity", "red", "green", "blue", "white")),
    "wash": (20, ("intensity", "red", "green", "blue")),
}
ARTWORKS = ("cat", "sun", "boat")


class TinyShow:
    def __init__(self) -> None:
        self.master = 1.0
        self.blackout_source: str | None = None
        self.overrides: dict[str, dict[str, float | str]] = {}
        self.durations: dict[str, float | None] = {}
        self.identified: list[tuple[str, float]] = []
        self.position = 0
        self.pinned: str | None = None
        self.sources: list[str] = []
        self.fail_with: Exception | None = None  # make the next call raise, like a buggy engine

    def _check(self) -> None:
        if self.fail_with is not None:
            exc, self.fail_with = self.fail_with, None
            raise exc

    @property
    def artwork(self) -> str:
        return self.pinned or ARTWORKS[self.position % len(ARTWORKS)]

    def state(self) -> str:
        if self.blackout_source:
            return "blackout"
        return "override" if self.overrides else "showing"

    def status(self) -> dict[str, Any]:
        self._check()
        return {
            "state": self.state(),
            "artwork": None if self.blackout_source else self.artwork,
            "level": 0.8,
            "master": self.master,
            "next_transition": {"at": "2026-11-27T23:00:00+02:00", "what": "window ends"},
            "outputs": {
                "main": {"state": "ok", "detail": "", "since": "2026-11-27T16:02:00+02:00"}
            },
            "frame": {"fps": 40.0, "late": 0, "jitter_p99_ms": 0.4, "jitter_max_ms": 1.1},
            "why": self.why(),
        }

    def why(self) -> str:
        if self.blackout_source:
            return f"blackout by {self.blackout_source}"
        return f"showing {self.artwork} in the evening window until 23:00"

    def set_override(
        self,
        fixture: str,
        values: dict[str, float | str],
        duration_s: float | None,
        source: str = "gobo set",
    ) -> dict[str, Any]:
        self._check()
        self.sources.append(source)
        if fixture not in PATCH:
            raise ValueError(f"unknown fixture {fixture!r}")
        for attr in values:
            if attr != "color" and attr not in PATCH[fixture][1]:
                raise ValueError(f"fixture {fixture!r} has no attribute {attr!r}")
        self.overrides.setdefault(fixture, {}).update(values)
        self.durations[fixture] = duration_s
        return {"fixture": fixture, "values": self.overrides[fixture], "duration_s": duration_s}

    def identify(self, fixture: str, seconds: float, source: str = "gobo identify") -> None:
        if fixture not in PATCH:
            raise ValueError(f"unknown fixture {fixture!r}")
        self.identified.append((fixture, seconds))

    def blackout(self, on: bool, source: str) -> None:
        self.sources.append(source)
        self.blackout_source = source if on else None

    def resume(self, source: str) -> None:
        self.sources.append(source)
        self.blackout_source = None
        self.overrides.clear()
        self.pinned = None

    def play(self, artwork: str, duration_s: float | None, source: str) -> str:
        if artwork not in ARTWORKS:
            raise KeyError(f"unknown artwork {artwork!r}")
        self.sources.append(source)
        self.pinned = artwork
        return artwork

    def next(self, source: str) -> str | None:
        self.sources.append(source)
        self.pinned = None
        self.position += 1
        return self.artwork

    def set_master(self, level: float, source: str) -> None:
        self.sources.append(source)
        self.master = level

    def fixture_attributes(self) -> dict[str, tuple[str, ...]]:
        return {name: attrs for name, (_, attrs) in PATCH.items()}

    async def settled(self) -> None:
        """Nothing to save: this show keeps its state in memory only."""

    def monitor(self, universe: int | None) -> dict[str, list[int]]:
        frame = [0] * 512
        if not self.blackout_source:
            for fixture, (address, attrs) in PATCH.items():
                values = self.overrides.get(fixture, {})
                for offset, attr in enumerate(attrs):
                    level = values.get(attr, 1.0 if attr == "intensity" else 0.0)
                    assert isinstance(level, float)
                    if attr == "intensity":
                        level *= self.master
                    frame[address - 1 + offset] = round(level * 255)
        frames = {"main/1": frame, "main/2": [0] * 512}
        if universe is None:
            return frames
        return {k: v for k, v in frames.items() if k.endswith(f"/{universe}")}


def short_dir() -> Path:
    """AF_UNIX paths are limited to 107 bytes; pytest's tmp_path can be longer."""
    path = Path(tempfile.mkdtemp(prefix="gobo-ctl-", dir="/tmp"))
    atexit.register(shutil.rmtree, path, True)
    return path


@contextmanager
def server_in_thread(
    socket_path: Path, show: TinyShow, group: str | None = None, **kwargs: Any
) -> Iterator[ControlServer]:
    """A real ControlServer on its own event loop, for clients that are subprocesses."""
    loop = asyncio.new_event_loop()
    server = ControlServer(socket_path, group, show, **kwargs)
    started = threading.Event()
    errors: list[BaseException] = []

    async def run() -> None:
        try:
            await server.start()
        except BaseException as exc:
            errors.append(exc)
            raise
        finally:
            started.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    future = asyncio.run_coroutine_threadsafe(run(), loop)
    started.wait(10)
    if errors:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        raise errors[0]
    future.result(5)
    try:
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(server.close(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
