"""The console's only way to the show: requests on the daemon's control socket.

Each request runs in a worker thread with a short timeout; answers that pages poll
(status, the live frame) are shared for a moment, so any number of open consoles costs
the daemon at most a few small requests a second.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from controller.control import ControlClient, ControlError

SHARED_FOR_S = 0.5
TIMEOUT_S = 2.0


class DaemonLink:
    def __init__(self, socket: Path, group: str | None) -> None:
        self.client = ControlClient(socket, group or "gobo")
        self._shared: dict[str, tuple[float, Any]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def request(self, cmd: str, **args: Any) -> Any:
        """One request; ControlError (with the one line to show) when it fails."""
        return await asyncio.to_thread(self.client.request, cmd, TIMEOUT_S, **args)

    async def shared(self, cmd: str) -> Any:
        """A recent answer to `cmd` (at most SHARED_FOR_S old), asked once for all callers."""
        lock = self._locks.setdefault(cmd, asyncio.Lock())
        async with lock:
            at, answer = self._shared.get(cmd, (0.0, None))
            if time.monotonic() - at < SHARED_FOR_S:
                return answer
            answer = await self.request(cmd)
            self._shared[cmd] = (time.monotonic(), answer)
            return answer

    def forget(self) -> None:
        """After a change: the next page sees its effect, not the shared answer from before."""
        self._shared.clear()

    async def status(self) -> dict[str, Any]:
        return dict(await self.shared("status"))


__all__ = ["ControlError", "DaemonLink"]
