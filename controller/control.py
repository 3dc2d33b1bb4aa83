"""The control socket: JSON lines over a Unix socket between `gobo` and the daemon.

One request line {"cmd": "...", ...args} gets one response line
{"ok": true, "result": ...} or {"ok": false, "error": "one clear line"}.
`monitor` with "stream": true keeps pushing result lines until the client leaves.
An optional "deadline" (CLOCK_MONOTONIC seconds) is the last moment the daemon may
start on the request; read later, it is refused, never carried out late.

This module is the contract and the client: synchronous and free of asyncio so
`gobo status` starts fast. The asyncio server lives in controller.control_server
and is loaded on first use of `controller.control.ControlServer`.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from controller.control_server import ControlServer

__all__ = [
    "MAX_LINE",
    "ControlClient",
    "ControlError",
    "ControlServer",
    "DaemonNotRunning",
    "ShowControl",
]

MAX_LINE = 64 * 1024
# How long past the request's deadline the client waits for the answer: the daemon may start
# right at the deadline, and a command answers only once it is saved.
ANSWER_GRACE_S = 5.0


class ShowControl(Protocol):
    """What the show engine offers to the control socket and OSC (implemented by Show)."""

    def status(self) -> dict[str, Any]: ...
    def why(self) -> str: ...
    def set_override(
        self,
        fixture: str,
        values: dict[str, float | str],
        duration_s: float | None,
        source: str = "gobo set",
    ) -> dict[str, Any]: ...
    def identify(self, fixture: str, seconds: float, source: str = "gobo identify") -> None: ...
    def blackout(self, on: bool, source: str) -> None: ...
    def resume(self, source: str) -> None: ...
    def play(self, artwork: str, duration_s: float | None, source: str) -> str: ...
    def next(self, source: str) -> str | None: ...
    def set_master(self, level: float, source: str) -> None: ...
    def monitor(self, universe: int | None) -> dict[str, list[int]]: ...
    def fixture_attributes(self) -> Mapping[str, Collection[str]]: ...
    def live(self) -> dict[str, Any]: ...
    async def settled(self) -> None:
        """Wait until every decision so far is on disk; raise StateNotSaved if it cannot be."""


class ControlError(Exception):
    """A request that could not be made or was refused; str() is the one line to show."""


class DaemonNotRunning(ControlError):
    pass


# --- client -------------------------------------------------------------------------------


class ControlClient:
    """Synchronous client: one connection per request, or a stream for `monitor`."""

    def __init__(self, path: Path, group: str = "gobo") -> None:
        self.path = Path(path)
        self.group = group

    def request(self, cmd: str, timeout: float = 2.0, **args: Any) -> Any:
        """The daemon must start on the request within `timeout` or not at all."""
        deadline = time.monotonic() + timeout
        with self._connect(timeout) as sock:
            sock.sendall(_encode(cmd, {**args, "deadline": deadline}))
            sock.settimeout(max(0.0, deadline - time.monotonic()) + ANSWER_GRACE_S)
            return _result(self._read_line(sock.makefile("rb")))

    def stream(self, cmd: str, timeout: float = 2.0, **args: Any) -> Iterator[Any]:
        """Yield each pushed result until the caller stops iterating."""
        deadline = time.monotonic() + timeout
        with self._connect(timeout) as sock:
            sock.sendall(_encode(cmd, {**args, "stream": True, "deadline": deadline}))
            lines = sock.makefile("rb")
            while True:
                yield _result(self._read_line(lines))

    def _connect(self, timeout: float) -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            _connect_within(sock, str(self.path), time.monotonic() + timeout)
        except FileNotFoundError:
            sock.close()
            raise DaemonNotRunning(
                f"gobo daemon is not running (no socket at {self.path})"
            ) from None
        except ConnectionRefusedError:
            sock.close()
            raise DaemonNotRunning(
                f"gobo daemon is not running (stale socket at {self.path})"
            ) from None
        except PermissionError:
            sock.close()
            raise ControlError(
                f"permission denied on {self.path}: add yourself to group {self.group} "
                f"(sudo usermod -aG {self.group} $USER, then log in again)"
            ) from None
        except TimeoutError:
            sock.close()
            raise ControlError(f"gobo daemon did not accept a connection on {self.path}") from None
        except OSError as exc:
            sock.close()
            raise ControlError(f"cannot connect to {self.path}: {exc.strerror}") from None
        return sock

    def _read_line(self, lines: Any) -> bytes:
        try:
            line = lines.readline(MAX_LINE * 64)
        except TimeoutError:
            raise ControlError("gobo daemon did not answer in time (busy or stuck?)") from None
        except OSError as exc:
            raise ControlError(f"lost the connection to the gobo daemon: {exc.strerror}") from None
        if not line.endswith(b"\n"):
            raise ControlError("the gobo daemon closed the connection without an answer")
        return line


def _connect_within(sock: socket.socket, path: str, deadline: float) -> None:
    """connect(), retried while the daemon's listen backlog is full: a Unix socket with a
    timeout then fails at once with EAGAIN, though the daemon is accepting (a burst of
    other clients) and will have room in a moment."""
    while True:
        try:
            sock.connect(path)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise TimeoutError from None
            time.sleep(0.01)


def _encode(cmd: str, args: dict[str, Any]) -> bytes:
    return json.dumps({"cmd": cmd, **args}).encode() + b"\n"


def _result(line: bytes) -> Any:
    try:
        response = json.loads(line)
    except ValueError:
        raise ControlError("the gobo daemon sent an unreadable answer") from None
    if not isinstance(response, dict) or "ok" not in response:
        raise ControlError("the gobo daemon sent an unexpected answer")
    if not response["ok"]:
        raise ControlError(str(response.get("error", "request failed")))
    return response.get("result")


def __getattr__(name: str) -> Any:
    # PEP 562 lazy attribute: only the daemon pays for asyncio.
    if name == "ControlServer":
        from controller.control_server import ControlServer

        return ControlServer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
