"""OSC control for lighting desks and tablets (UDP; python-osc decodes, builds and matches).

Our own DatagramProtocol instead of AsyncIOOSCUDPServer because that one lets
decode errors escape into the event loop, has no source filter and (with strict
timing) sleeps on future bundle time tags, freezing the frame loop. Here every
datagram is checked strictly first (controller.osc_wire) and dropped whole when
anything in it is wrong; every message, bundled or not, is handled on arrival;
nothing a sender does can raise out of datagram_received or flood the log.

Control addresses are matched literally: a stray `/gobo/*` must not black out,
skip and set the master at once. Only the fixture name in
`/gobo/fixture/<name>/<attr>` may be an OSC pattern, matched over the patch.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import math
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from typing import Any

from pythonosc.dispatcher import Dispatcher
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.osc_packet import OscPacket

from controller.config import OscSettings
from controller.control import ShowControl
from controller.logthrottle import INTERVAL_S, LogThrottle
from controller.osc_wire import Malformed, check_packet

log = logging.getLogger(__name__)

Address = tuple[Any, ...]  # (host, port) or IPv6 (host, port, flowinfo, scope_id)
Args = tuple[Any, ...]
FIXTURE_PREFIX = "/gobo/fixture/"
COUNTS = ("received", "handled", "malformed", "refused_source", "unknown", "ignored")


class OscServer:
    def __init__(
        self, settings: OscSettings, show: ShowControl, log_interval: float = INTERVAL_S
    ) -> None:
        self.settings = settings
        self.show = show
        self._allow = [ipaddress.ip_network(entry, strict=False) for entry in settings.allow]
        self._log = LogThrottle(log, log_interval)
        self._counts: Counter[str] = Counter()
        self._transport: asyncio.DatagramTransport | None = None
        self._controls: dict[str, Callable[[Address, Args], None]] = {
            "/gobo/master": self._master,
            "/gobo/blackout": self._blackout,
            "/gobo/play": self._play,
            "/gobo/next": self._next,
            "/gobo/resume": self._resume,
            "/gobo/status": self._status,
        }
        self._patch = _PatchNames()

    def stats(self) -> dict[str, int]:
        return {key: self._counts[key] for key in COUNTS}

    @property
    def address(self) -> Address | None:
        """Where we listen (the real port when the settings asked for 0)."""
        if self._transport is None:
            return None
        return self._transport.get_extra_info("sockname")[:2]

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._transport, _ = await loop.create_datagram_endpoint(
            lambda: _Protocol(self), local_addr=(self.settings.host, self.settings.port)
        )
        host, port = self._transport.get_extra_info("sockname")[:2]
        reply = f", status replies to port {self.settings.reply_port}" if (
            self.settings.reply_port
        ) else ""
        log.info(
            "OSC listening on %s:%d, accepting %s%s",
            host, port, ", ".join(self.settings.allow), reply,
        )

    async def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None
        self._log.flush()

    async def __aenter__(self) -> OscServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def allowed(self, host: str) -> bool:
        try:
            ip = ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip in network for network in self._allow)

    def datagram(self, data: bytes, addr: Address) -> None:
        """Handle one datagram; never raises."""
        self._counts["received"] += 1
        host = str(addr[0])
        if not self.allowed(host):
            self._counts["refused_source"] += 1
            self._log.warning("refused", "OSC from %s refused: not in osc.allow", host)
            return
        try:
            check_packet(data)
            messages = [timed.message for timed in OscPacket(data).messages]
        except Exception as exc:  # Malformed; python-osc's own errors only if we missed a case
            self._counts["malformed"] += 1
            reason = exc if isinstance(exc, Malformed) else f"{type(exc).__name__}: {exc}"
            self._log.warning(
                "malformed", "malformed OSC datagram from %s dropped: %s", host, reason
            )
            return
        # Future time tags are deliberately ignored: acting late is better than stalling.
        for message in messages:
            self._handle(message.address, tuple(message), addr)

    def _handle(self, address: str, args: Args, addr: Address) -> None:
        host = str(addr[0])
        try:
            control = self._controls.get(address)
            if control is not None:
                control(addr, args)
            elif address.startswith(FIXTURE_PREFIX):
                self._fixture(addr, address, args)
            else:
                raise _Unknown
        except _Unknown:
            self._counts["unknown"] += 1
            self._log.warning("unknown", "OSC %s from %s: unknown address", address, host)
        except _Ignored as exc:
            self._counts["ignored"] += 1
            self._log.warning("ignored", "OSC %s from %s ignored: %s", address, host, exc)
        except Exception as exc:  # a fault in the show: say so, without a traceback per datagram
            self._counts["ignored"] += 1
            self._log.warning(
                "failed", "OSC %s from %s failed: %s: %s", address, host, type(exc).__name__, exc
            )
        else:
            self._counts["handled"] += 1

    # --- the address space (DESIGN.md) -----------------------------------------------------

    @staticmethod
    def _source(addr: Address) -> str:
        return f"OSC {addr[0]}"

    def _master(self, addr: Address, args: Args) -> None:
        self.show.set_master(_level(args), self._source(addr))

    def _blackout(self, addr: Address, args: Args) -> None:
        if len(args) != 1 or not _is_number(args[0]):
            raise _Ignored(f"expects one int or float (non-zero on, 0 off), got {_describe(args)}")
        self.show.blackout(args[0] != 0, self._source(addr))

    def _play(self, addr: Address, args: Args) -> None:
        if len(args) != 1 or not isinstance(args[0], str) or not args[0]:
            raise _Ignored(f"expects one string artwork id, got {_describe(args)}")
        try:
            self.show.play(args[0], None, self._source(addr))
        except KeyError as exc:
            raise _Ignored(str(exc.args[0]) if exc.args else "unknown artwork") from None

    def _next(self, addr: Address, args: Args) -> None:
        if _pressed(args):
            self.show.next(self._source(addr))

    def _resume(self, addr: Address, args: Args) -> None:
        if _pressed(args):
            self.show.resume(self._source(addr))

    def _fixture(self, addr: Address, address: str, args: Args) -> None:
        parts = address.split("/")  # ['', 'gobo', 'fixture', name, attr]
        if len(parts) != 5 or not parts[3] or not parts[4]:
            raise _Unknown
        pattern, attr = parts[3], parts[4]
        level = _level(args)
        fixtures = self.show.fixture_attributes()
        names = self._patch.matching(pattern, fixtures)
        if not names:
            raise _Ignored(f"no fixture matches {pattern!r}")
        targets = [name for name in names if attr in fixtures[name]]
        if not targets:
            raise _Ignored(f"no fixture matching {pattern!r} has attribute {attr!r}")
        refused = []
        for name in targets:
            try:
                self.show.set_override(name, {attr: level}, None, self._source(addr))
            except ValueError as exc:  # e.g. a channel the fixture's profile cannot take
                refused.append(str(exc))
        if refused:
            raise _Ignored("; ".join(refused))

    def _status(self, addr: Address, args: Args) -> None:
        if not _pressed(args):
            return
        status = self.show.status()
        reply = OscMessageBuilder("/gobo/status")
        reply.add_arg(str(status.get("state", "")), "s")
        reply.add_arg(str(status.get("artwork") or ""), "s")
        reply.add_arg(float(status.get("master", 0.0)), "f")
        port = self.settings.reply_port
        to = (addr[0], port, *addr[2:]) if port else addr
        if self._transport is not None:
            self._transport.sendto(reply.build().dgram, to)


class _PatchNames:
    """OSC address-pattern matching over fixture names, by python-osc's own matcher: each
    name is mapped as `/<name>` in a Dispatcher that is rebuilt when the patch changes."""

    def __init__(self) -> None:
        self._names: tuple[str, ...] = ()
        self._dispatcher = Dispatcher()

    def matching(self, pattern: str, fixtures: Mapping[str, Collection[str]]) -> list[str]:
        names = tuple(fixtures)
        if names != self._names:
            self._dispatcher = Dispatcher()
            for name in names:
                self._dispatcher.map("/" + name, _never_called, name)
            self._names = names
        if pattern in fixtures:  # the common case, and a name with pattern characters in it
            return [pattern]
        return [h.args[0] for h in self._dispatcher.handlers_for_address("/" + pattern)]


def _never_called(*_args: Any) -> None:
    raise AssertionError("fixture names are matched, never dispatched")


class _Unknown(Exception):
    """An address outside DESIGN.md's address space."""


class _Ignored(Exception):
    """A well-formed message we will not act on (wrong arguments, unknown target)."""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def _pressed(args: Args) -> bool:
    """A button: no argument or non-zero is the press (act), 0 the release (do nothing),
    so one TouchOSC tap (1.0 then 0.0) acts once."""
    if not args:
        return True
    if len(args) == 1 and _is_number(args[0]):
        return args[0] != 0
    raise _Ignored(f"expects nothing or one button value, got {_describe(args)}")


def _level(args: Args) -> float:
    if len(args) != 1 or isinstance(args[0], bool) or not isinstance(args[0], int | float):
        raise _Ignored(f"expects one float 0..1, got {_describe(args)}")
    value = float(args[0])
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise _Ignored(f"expects a float within 0..1, got {value}")
    return value


def _describe(args: Args) -> str:
    return "no arguments" if not args else ", ".join(type(a).__name__ for a in args)


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, server: OscServer) -> None:
        self.server = server

    def datagram_received(self, data: bytes, addr: Address) -> None:
        self.server.datagram(data, addr)

    def error_received(self, exc: Exception) -> None:
        # e.g. ICMP port unreachable after a /gobo/status reply to a closed port
        log.debug("OSC socket error: %s", exc)
