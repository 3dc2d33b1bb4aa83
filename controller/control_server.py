"""The control socket server (asyncio); the protocol and the client are in controller.control.

The CLI must always get through, whatever else holds connections: at most
MAX_CONNECTIONS are open at once (a new one closes the one idle longest, and is
accepted only once that one is closed), a connection idle for IDLE_TIMEOUT_S is
closed, a client that stops reading is dropped, and a request read after its
`deadline` (the client had given up and said so) is refused instead of being
carried out late. Our own accept loop instead of asyncio.start_unix_server,
which accepts without bound and, out of files, logs every retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import grp
import json
import logging
import math
import os
import pwd
import socket
import stat
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from controller.control import MAX_LINE, ControlError, ShowControl
from controller.logthrottle import LogThrottle
from controller.statesaver import StateNotSaved
from hardware.outputs.wire import add_to_status, add_to_why, wire_report

log = logging.getLogger(__name__)

SOCKET_MODE = 0o660
MONITOR_INTERVAL = 0.2
# Far below the unit's LimitNOFILE=1024, far above what technicians and the web console use.
MAX_CONNECTIONS = 64
MAX_MONITORS = 8  # streaming `gobo monitor`s among those
IDLE_TIMEOUT_S = 30.0  # no request on a connection for this long: closed
WRITE_TIMEOUT_S = 10.0  # a client that does not read its answers for this long: dropped
LISTEN_BACKLOG = 128  # waiting connections are the kernel's, not our files
ACCEPT_RETRY_S = 0.5  # after accept() failed for want of files elsewhere in the daemon
# Commands that change a decision: answered only once the show state is on disk, or with an
# error saying it is not (within the client's ANSWER_GRACE_S, however slow the disk).
DURABLE = frozenset({"set", "blackout", "resume", "play", "next", "master"})
SAVE_WAIT_S = 3.0


class RequestError(ValueError):
    """A malformed or invalid request, answered with {"ok": false}."""


class _TooLate(RequestError):
    """Read after its deadline: the client has already reported it failed."""


class ControlServer:
    def __init__(
        self,
        path: Path,
        group: str | None,
        show: ShowControl,
        osc_stats: Callable[[], dict[str, int]] | None = None,
        monitor_interval: float = MONITOR_INTERVAL,
        max_connections: int = MAX_CONNECTIONS,
        idle_timeout: float = IDLE_TIMEOUT_S,
    ) -> None:
        self.path = Path(path)
        self.group = group
        self.show = show
        self.osc_stats = osc_stats
        self.monitor_interval = monitor_interval
        self.max_connections = max_connections
        self.idle_timeout = idle_timeout
        self._listener: socket.socket | None = None
        self._acceptor: asyncio.Task[None] | None = None
        self._clients: dict[asyncio.Task[None], _Client] = {}
        self._log = LogThrottle(log)

    async def start(self) -> None:
        """Bind, restrict, then listen: nobody can connect before mode and group are set."""
        await self._clear_stale_socket()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(str(self.path))
            os.chmod(self.path, SOCKET_MODE)
            self._apply_group()
            sock.listen(LISTEN_BACKLOG)
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        self._listener = sock
        self._acceptor = asyncio.create_task(self._accept_forever(sock))
        log.info("control socket listening on %s", self.path)

    async def close(self) -> None:
        if self._listener is None or self._acceptor is None:
            return
        self._acceptor.cancel()
        await asyncio.gather(self._acceptor, return_exceptions=True)
        self._listener.close()
        self._listener = self._acceptor = None
        for task in list(self._clients):
            task.cancel()
        await asyncio.gather(*self._clients, return_exceptions=True)
        self._log.flush()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    async def __aenter__(self) -> ControlServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _clear_stale_socket(self) -> None:
        if not self.path.exists() and not self.path.is_symlink():
            return
        if not stat.S_ISSOCK(self.path.lstat().st_mode):
            # Never delete what is not ours, e.g. a mistyped [control] socket = site.toml.
            raise ControlError(f"{self.path} exists and is not a socket; refusing to replace it")
        try:
            _, writer = await asyncio.wait_for(asyncio.open_unix_connection(str(self.path)), 1.0)
        except (OSError, TimeoutError):
            log.info("removing stale control socket %s", self.path)
            self.path.unlink()
            return
        writer.close()
        raise ControlError(f"another gobo daemon is already answering on {self.path}")

    def _apply_group(self) -> None:
        if not self.group:
            return
        try:
            gid = grp.getgrnam(self.group).gr_gid
        except KeyError:
            log.warning(
                "group %r does not exist; control socket %s stays mode 0660 for its owner's group",
                self.group,
                self.path,
            )
            return
        try:
            os.chown(self.path, -1, gid)
        except PermissionError:
            log.warning("cannot give %s to group %r (not a member?)", self.path, self.group)

    async def _accept_forever(self, listener: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                conn, _ = await loop.sock_accept(listener)
            except OSError as exc:  # EMFILE and kin: files held elsewhere in the daemon
                self._log.warning("accept", "control socket: cannot accept: %s", exc.strerror)
                await asyncio.sleep(ACCEPT_RETRY_S)
                continue
            if len(self._clients) >= self.max_connections and not await self._close_idlest():
                _turn_away(conn)
                continue
            try:
                reader, writer = await asyncio.open_unix_connection(sock=conn, limit=MAX_LINE)
            except OSError:
                conn.close()
                continue
            task = asyncio.create_task(self._serve_client(reader, writer))
            self._clients[task] = _Client(writer, idle_since=time.monotonic())

    async def _close_idlest(self) -> bool:
        """Make room by closing the connection idle longest, and wait until it is closed;
        False when every connection is busy answering or streaming."""
        idle = [(c.idle_since, t) for t, c in self._clients.items() if c.idle_since is not None]
        if not idle:
            self._log.warning(
                "full", "control socket: %d connections all busy; turned one away",
                len(self._clients),
            )
            return False
        since, task = min(idle, key=lambda entry: entry[0])
        writer = self._clients.pop(task).writer
        task.cancel()
        writer.close()  # also when the task never started, so never reaches its own close
        await asyncio.wait({task})
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        self._log.warning(
            "evicted",
            "control socket: %d connections open; closed the one idle for %.0f s",
            self.max_connections, time.monotonic() - since,
        )
        return True

    async def _serve_client(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        try:
            await self._converse(reader, writer, self._clients[task], _peer_name(writer))
        except (ConnectionError, TimeoutError):
            pass  # gone, idle too long, or not reading its answers
        finally:
            self._clients.pop(task, None)
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()  # the file is free before anyone counts again

    async def _converse(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        client: _Client,
        peer: str,
    ) -> None:
        while True:
            client.idle_since = time.monotonic()
            try:
                async with asyncio.timeout(self.idle_timeout):
                    line = await reader.readuntil(b"\n")
            except asyncio.IncompleteReadError:
                return  # client went away (a partial last line is ignored)
            except asyncio.LimitOverrunError:
                # The stream can't be resynchronised reliably: answer and hang up.
                await _send(writer, _error(f"request too long (limit {MAX_LINE} bytes)"))
                return
            client.idle_since = None
            if not line.strip():
                continue
            try:
                request = _parse_request(line)
                _check_deadline(request)
            except RequestError as exc:
                if isinstance(exc, _TooLate):
                    self._log.warning("late", "control socket: %s", exc)
                await _send(writer, _error(str(exc)))
                continue
            if request["cmd"] == "monitor" and request.get("stream"):
                if sum(c.streaming for c in self._clients.values()) >= MAX_MONITORS:
                    await _send(writer, _error(f"too many monitors open (limit {MAX_MONITORS})"))
                    continue
                client.streaming = True
                await self._stream_monitor(request, writer)
                return
            await _send(writer, await self.handle_request(request, peer))

    async def handle_request(self, request: dict[str, Any], peer: str = "") -> dict[str, Any]:
        """One request -> one response dict; never raises for anything a client can send."""
        try:
            result = self._dispatch(request, peer)
            if request["cmd"] in DURABLE:
                try:
                    async with asyncio.timeout(SAVE_WAIT_S):
                        await self.show.settled()
                except TimeoutError:
                    raise StateNotSaved(f"not on disk after {SAVE_WAIT_S:g} s") from None
            return {"ok": True, "result": result}
        except StateNotSaved as exc:
            return _error(
                f"{request['cmd']}: done, but the show state could not be saved ({exc}): "
                "a restart would lose it; see gobo why"
            )
        except RequestError as exc:
            return _error(str(exc))
        except (ValueError, KeyError) as exc:  # the show refused: unknown fixture, artwork...
            return _error(str(exc.args[0]) if exc.args else type(exc).__name__)
        except Exception as exc:
            log.exception("control request %r failed", request.get("cmd"))
            return _error(f"internal error in the daemon: {exc} (see its log)")

    def _dispatch(self, request: dict[str, Any], peer: str) -> Any:
        cmd = request["cmd"]
        args = _Args(cmd, request)
        source = args.source(peer)
        show = self.show
        if cmd == "ping":
            return "pong"
        if cmd == "status":
            status = dict(show.status())
            if self.osc_stats is not None:
                status["osc"] = self.osc_stats()
            return add_to_status(status, getattr(show, "outputs", None))
        if cmd == "why":
            return add_to_why(show.why(), getattr(show, "outputs", None))
        if cmd == "nodes":
            return wire_report(getattr(show, "outputs", None))
        if cmd == "set":
            values = args.get("values", dict)
            if not values:
                raise RequestError("set: give at least one ATTR=VALUE")
            for attr, value in values.items():
                if isinstance(value, str):
                    if attr != "color":
                        raise RequestError(f"set: {attr} needs a number 0..1, not {value!r}")
                else:
                    _check_level(value, f"set: {attr}")
            return show.set_override(
                args.get("fixture", str), values, args.duration("duration_s"), source
            )
        if cmd == "identify":
            seconds = args.duration("seconds") or 10.0
            show.identify(args.get("fixture", str), seconds, source)
            return None
        if cmd == "blackout":
            on = args.get("on", bool, default=True)
            show.blackout(on, source)
            return None
        if cmd == "resume":
            show.resume(source)
            return None
        if cmd == "play":
            return show.play(args.get("artwork", str), args.duration("duration_s"), source)
        if cmd == "next":
            return show.next(source)
        if cmd == "master":
            level = args.get("level", float)
            _check_level(level, "master")
            show.set_master(float(level), source)
            return None
        if cmd == "monitor":
            return show.monitor(args.universe())
        if cmd == "live":
            return show.live()
        raise RequestError(f"unknown command {cmd!r}")

    async def _stream_monitor(self, request: dict[str, Any], writer: asyncio.StreamWriter) -> None:
        # the deadline was for the start; every later push is wanted
        request = {k: v for k, v in request.items() if k != "deadline"}
        while True:
            await _send(writer, await self.handle_request(request))
            await asyncio.sleep(self.monitor_interval)


@dataclass
class _Client:
    writer: asyncio.StreamWriter
    idle_since: float | None  # monotonic; None while a request is being answered
    streaming: bool = False


def _check_deadline(request: dict[str, Any]) -> None:
    """Refuse a request read after the time its client stopped waiting (CLOCK_MONOTONIC,
    shared by every process on the machine): the CLI has reported it failed, so it must
    not happen now."""
    deadline = request.get("deadline")
    if deadline is None:
        return
    if isinstance(deadline, bool) or not isinstance(deadline, int | float):
        raise RequestError(f"'deadline' must be a number, not {deadline!r}")
    if time.monotonic() > deadline:
        raise _TooLate(
            f"{request['cmd']}: not carried out: the daemon read it after its deadline"
            " (the client had given up)"
        )


class _Args:
    """Typed access to request arguments with errors that name the argument."""

    def __init__(self, cmd: str, request: dict[str, Any]) -> None:
        self.cmd = cmd
        self.request = request

    def get(self, name: str, kind: type, default: Any = ...) -> Any:
        if name not in self.request or self.request[name] is None:
            if default is ...:
                raise RequestError(f"{self.cmd}: missing {name!r}")
            return default
        value = self.request[name]
        ok = (
            isinstance(value, int | float) and not isinstance(value, bool)
            if kind is float
            else isinstance(value, kind)
        )
        if not ok:
            raise RequestError(f"{self.cmd}: {name!r} must be {kind.__name__}, not {value!r}")
        return value

    def duration(self, name: str) -> float | None:
        value = self.get(name, float, default=None)
        if value is not None and not (math.isfinite(value) and value > 0):
            raise RequestError(f"{self.cmd}: {name!r} must be a positive number of seconds")
        return None if value is None else float(value)

    def universe(self) -> int | None:
        value = self.get("universe", int, default=None)
        if value is not None and (isinstance(value, bool) or value < 0):
            raise RequestError(f"{self.cmd}: 'universe' must be a non-negative integer")
        return value

    def source(self, peer: str) -> str:
        source = self.get("source", str, default="") or f"control socket {self.cmd}"
        return f"{source[:80]} ({peer})" if peer else source[:80]


def _check_level(value: Any, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RequestError(f"{what} must be a number 0..1, not {value!r}")
    if not 0.0 <= value <= 1.0:  # also rejects NaN
        raise RequestError(f"{what} must be within 0..1, not {value}")


def _parse_request(line: bytes) -> dict[str, Any]:
    try:
        request = json.loads(line)
    except (ValueError, RecursionError):
        raise RequestError("request is not valid JSON") from None
    if not isinstance(request, dict) or not isinstance(request.get("cmd"), str):
        raise RequestError('request must be a JSON object with a "cmd" string')
    return request


def _error(message: str) -> dict[str, Any]:
    return {"ok": False, "error": " ".join(message.split())}


async def _send(writer: asyncio.StreamWriter, response: dict[str, Any]) -> None:
    writer.write(json.dumps(response, default=str, allow_nan=False).encode() + b"\n")
    async with asyncio.timeout(WRITE_TIMEOUT_S):
        await writer.drain()


def _turn_away(conn: socket.socket) -> None:
    conn.setblocking(False)
    with contextlib.suppress(OSError):
        conn.send(json.dumps(_error("the gobo daemon is busy: too many connections")).encode()
                  + b"\n")
    conn.close()


def _peer_name(writer: asyncio.StreamWriter) -> str:
    """The connecting user's name, for "blackout since 21:03 by gobo blackout (alice)"."""
    sock = writer.get_extra_info("socket")
    try:
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    except (OSError, AttributeError):
        return ""
    _pid, uid, _gid = struct.unpack("3i", creds)
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


