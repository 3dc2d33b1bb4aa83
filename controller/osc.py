"""OSC control for lighting desks and tablets (UDP, python-osc's Dispatcher).

Our own DatagramProtocol instead of AsyncIOOSCUDPServer because that one lets
decode errors escape into the event loop, has no source filter and (with strict
timing) sleeps on future bundle time tags, freezing the frame loop. Here every
message, bundled or not, is handled on arrival and nothing a sender does can
raise out of datagram_received.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import math
import time
from collections import Counter
from typing import Any

from pythonosc.dispatcher import Dispatcher
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.osc_packet import OscPacket

from controller.config import OscSettings
from controller.control import ShowControl

log = logging.getLogger(__name__)

LOG_INTERVAL = 10.0  # seconds between repeated log lines of one kind
Address = tuple[str, int]


class RateLimitedLog:
    """Logs the first event of a kind, then at most one line per interval with a count."""

    def __init__(self, interval: float = LOG_INTERVAL) -> None:
        self.interval = interval
        self._last: dict[str, float] = {}
        self._suppressed: Counter[str] = Counter()

    def warning(self, kind: str, message: str, *args: Any) -> None:
        now = time.monotonic()
        last = self._last.get(kind)
        if last is not None and now - last < self.interval:
            self._suppressed[kind] += 1
            return
        self._last[kind] = now
        suppressed = self._suppressed.pop(kind, 0)
        suffix = f" ({suppressed} similar suppressed)" if suppressed else ""
        log.warning(message + suffix, *args)


class OscServer:
    def __init__(
        self, settings: OscSettings, show: ShowControl, log_interval: float = LOG_INTERVAL
    ) -> None:
        self.settings = settings
        self.show = show
        self._allow = [ipaddress.ip_network(entry, strict=False) for entry in settings.allow]
        self._log = RateLimitedLog(log_interval)
        self._counts: Counter[str] = Counter()
        self._transport: asyncio.DatagramTransport | None = None
        self.dispatcher = Dispatcher(strict_timing=False)
        self._map_addresses()

    def stats(self) -> dict[str, int]:
        return {
            key: self._counts[key]
            for key in ("received", "handled", "malformed", "refused_source", "ignored")
        }

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
        log.info("OSC listening on %s:%d, accepting %s", host, port, ", ".join(self.settings.allow))

    async def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None

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
            messages = [timed.message for timed in OscPacket(data).messages]
        except Exception as exc:  # python-osc leaks UnicodeDecodeError, ValueError, ...
            self._counts["malformed"] += 1
            self._log.warning("malformed", "malformed OSC datagram from %s dropped: %s", host, exc)
            return
        # Future time tags are deliberately ignored: acting late is better than stalling.
        for message in messages:
            try:
                handlers = list(self.dispatcher.handlers_for_address(message.address))
                for handler in handlers:
                    handler.invoke(addr, message)
            except _Ignored as exc:
                self._counts["ignored"] += 1
                self._log.warning(
                    "ignored", "OSC %s from %s ignored: %s", message.address, host, exc
                )
            except Exception:
                self._counts["ignored"] += 1
                log.exception("OSC %s from %s failed", message.address, host)
            else:
                self._counts["handled"] += 1

    # --- the address space (DESIGN.md) -----------------------------------------------------

    def _map_addresses(self) -> None:
        d = self.dispatcher
        d.map("/gobo/master", self._master, needs_reply_address=True)
        d.map("/gobo/blackout", self._blackout, needs_reply_address=True)
        d.map("/gobo/play", self._play, needs_reply_address=True)
        d.map("/gobo/next", self._next, needs_reply_address=True)
        d.map("/gobo/resume", self._resume, needs_reply_address=True)
        d.map("/gobo/fixture/*/*", self._fixture, needs_reply_address=True)
        d.map("/gobo/status", self._status, needs_reply_address=True)
        d.set_default_handler(self._unknown)

    @staticmethod
    def _source(addr: Address) -> str:
        return f"OSC {addr[0]}"

    def _master(self, addr: Address, address: str, *args: Any) -> None:
        self.show.set_master(_level(args), self._source(addr))

    def _blackout(self, addr: Address, address: str, *args: Any) -> None:
        if len(args) != 1 or not isinstance(args[0], bool | int | float):
            raise _Ignored(f"expects one int 0 or 1, got {_describe(args)}")
        if args[0] not in (0, 1):
            raise _Ignored(f"expects 0 or 1, got {args[0]!r}")
        self.show.blackout(bool(args[0]), self._source(addr))

    def _play(self, addr: Address, address: str, *args: Any) -> None:
        if len(args) != 1 or not isinstance(args[0], str) or not args[0]:
            raise _Ignored(f"expects one string artwork id, got {_describe(args)}")
        try:
            self.show.play(args[0], None, self._source(addr))
        except KeyError as exc:
            raise _Ignored(str(exc.args[0]) if exc.args else "unknown artwork") from None

    def _next(self, addr: Address, address: str, *args: Any) -> None:
        self.show.next(self._source(addr))

    def _resume(self, addr: Address, address: str, *args: Any) -> None:
        self.show.resume(self._source(addr))

    def _fixture(self, addr: Address, address: str, *args: Any) -> None:
        parts = address.split("/")  # ['', 'gobo', 'fixture', name, attr]
        if len(parts) != 5 or not parts[3] or not parts[4]:
            raise _Ignored("address must be /gobo/fixture/<name>/<attr>")
        try:
            self.show.set_override(
                parts[3], {parts[4]: _level(args)}, None, self._source(addr)
            )
        except ValueError as exc:
            raise _Ignored(str(exc)) from None

    def _status(self, addr: Address, address: str, *args: Any) -> None:
        status = self.show.status()
        reply = OscMessageBuilder("/gobo/status")
        reply.add_arg(str(status.get("state", "")), "s")
        reply.add_arg(str(status.get("artwork") or ""), "s")
        reply.add_arg(float(status.get("master", 0.0)), "f")
        if self._transport is not None:
            self._transport.sendto(reply.build().dgram, addr)

    def _unknown(self, addr: Address, address: str, *args: Any) -> None:
        raise _Ignored("unknown address")


class _Ignored(Exception):
    """A well-formed message we will not act on (wrong arguments, unknown target)."""


def _level(args: tuple[Any, ...]) -> float:
    if len(args) != 1 or isinstance(args[0], bool) or not isinstance(args[0], int | float):
        raise _Ignored(f"expects one float 0..1, got {_describe(args)}")
    value = float(args[0])
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise _Ignored(f"expects a float within 0..1, got {value}")
    return value


def _describe(args: tuple[Any, ...]) -> str:
    return "no arguments" if not args else ", ".join(type(a).__name__ for a in args)


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, server: OscServer) -> None:
        self.server = server

    def datagram_received(self, data: bytes, addr: Address) -> None:
        self.server.datagram(data, addr)

    def error_received(self, exc: Exception) -> None:
        # e.g. ICMP port unreachable after a /gobo/status reply to a closed port
        log.debug("OSC socket error: %s", exc)
