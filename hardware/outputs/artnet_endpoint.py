"""This controller's place on an Art-Net network: UDP 6454 on one local address.

ArtDmx of every Art-Net output bound to that address leaves from this socket; it answers
ArtPoll with ArtPollReply (the site's name, this machine's address and the Port-Addresses
it sends), polls at start and every 2.75 s (the networks' directed broadcast and each
output's node), and keeps the table of nodes that answered.

Sharing 6454 (olad on the same machine): sockets are bound with SO_REUSEADDR, but Linux
hands a unicast datagram to only one of several sockets bound to the same address, the
last one bound. So gobo never binds an address:port another socket already holds (that
would take its packets away): with `bind = "0.0.0.0"` beside an olad on 0.0.0.0, ArtDmx
still goes out (from a spare port) but ArtPoll is off until `bind` names an address of
this machine. Bound to one address, gobo also listens on that network's broadcast
address, so broadcast ArtPolls still reach it; broadcasts reach olad too.

One endpoint per bind address for the whole process, shared by reference count, so a
reload that re-creates the outputs keeps the socket and the node table.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from dataclasses import dataclass

from pyartnet.base.network import UnicastNetworkTarget

from hardware.outputs import interfaces
from hardware.outputs.artnet_packets import (
    ARTNET_PORT,
    Controller,
    decode_artpollreply,
    encode_artpoll,
    encode_artpollreply,
    is_artpoll,
    poll_reply_pages,
)
from hardware.outputs.nodes import POLL_INTERVAL_S, REPLY_WAIT_S, Node, NodeTable

log = logging.getLogger("gobo.artnet")
WILDCARD = "0.0.0.0"


@dataclass(frozen=True)
class Attached:
    """What an output tells the endpoint: where it sends which Port-Addresses."""

    name: str
    host: str
    port_addresses: tuple[int, ...]


class ArtNetEndpoint:
    def __init__(self, bind: str, site_name: str) -> None:
        self.bind = bind
        self.site_name = site_name
        self.nodes = NodeTable()
        self.polling: str = "not open"  # "on", or why not
        self.first_poll: float | None = None  # time.time() of the first poll
        self._attached: dict[str, Attached] = {}
        self._socket: socket.socket | None = None
        self._listeners: list[socket.socket] = []
        self._own_ips: set[str] = set()
        self._replies = 0
        self._users = 0
        self._task: asyncio.Task[None] | None = None
        self._send_error: str | None = None

    # -- outputs -------------------------------------------------------------------------

    def attach(self, output: Attached) -> None:
        self._attached[output.name] = output

    def detach(self, name: str) -> None:
        self._attached.pop(name, None)

    def attached(self) -> list[Attached]:
        return list(self._attached.values())

    def sendto(self, packet: bytes, destination: tuple[str, int]) -> None:
        """Non-blocking send from 6454 (or the spare port); raises OSError for the caller's
        health, never blocks."""
        if self._socket is None:
            raise OSError(9, "Art-Net socket is not open")
        self._socket.sendto(packet, destination)

    # -- lifecycle -----------------------------------------------------------------------

    def open(self) -> None:
        holders = interfaces.udp_holders(interfaces.read_proc_udp(), self.bind, ARTNET_PORT)
        if holders:
            self.polling = (f"off: UDP {self.bind}:{ARTNET_PORT} is held by another program "
                            "(olad?); set bind to an address of this machine")
        else:
            try:
                self._socket = self._bound(self.bind)
                if self.bind != WILDCARD:
                    self._listen_broadcast()
                self.polling = "on"
            except OSError as exc:
                self.polling = f"off: cannot bind {self.bind}:{ARTNET_PORT}: {exc.strerror or exc}"
        if self._socket is None:  # ArtDmx still goes out, from a port the kernel picks
            self._socket = UnicastNetworkTarget.create("127.0.0.1", ARTNET_PORT).create_socket()
            log.warning("ArtPoll %s", self.polling)
            return
        loop = asyncio.get_running_loop()
        for sock in (self._socket, *self._listeners):
            loop.add_reader(sock.fileno(), self._readable, sock)
        self._task = asyncio.create_task(self._poll_loop(), name=f"ArtPoll {self.bind}")
        log.info("Art-Net on %s:%d: answering and sending ArtPoll", self.bind, ARTNET_PORT)

    def _bound(self, address: str) -> socket.socket:
        # pyartnet's source-bound socket: non-blocking, SO_REUSEADDR, bound to the source.
        target = UnicastNetworkTarget.create("127.0.0.1", ARTNET_PORT, source_ip=address,
                                             source_port=ARTNET_PORT)
        sock = target.create_socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        return sock

    def _listen_broadcast(self) -> None:
        interface = interfaces.interface_for(self.bind)
        if interface is None or interface.network.network.prefixlen >= 31:
            return
        try:
            self._listeners.append(self._bound(interface.broadcast))
        except OSError as exc:
            log.warning("broadcast ArtPolls on %s not received: %s", interface.broadcast, exc)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        loop = asyncio.get_running_loop()
        for sock in (self._socket, *self._listeners):
            if sock is not None:
                loop.remove_reader(sock.fileno())
                sock.close()
        self._socket, self._listeners = None, []
        self.polling = "closed"

    # -- ArtPoll -------------------------------------------------------------------------

    def poll_destinations(self) -> list[str]:
        if self.bind == WILDCARD:
            broadcasts = interfaces.lan_broadcasts()
        else:
            interface = interfaces.interface_for(self.bind)
            broadcasts = [interface.broadcast] if interface else []
        hosts = [a.host for a in self._attached.values()]
        return list(dict.fromkeys(broadcasts + hosts))

    async def _poll_loop(self) -> None:
        poll = encode_artpoll()
        while True:
            if self.first_poll is None:
                self.first_poll = time.time()
            for destination in self.poll_destinations():
                try:
                    self.sendto(poll, (destination, ARTNET_PORT))
                    self._send_error = None
                except OSError as exc:  # network down: logged once, tried again next poll
                    if str(exc) != self._send_error:
                        log.warning("ArtPoll to %s: %s", destination, exc.strerror or exc)
                        self._send_error = str(exc)
            await asyncio.sleep(POLL_INTERVAL_S)

    def _readable(self, sock: socket.socket) -> None:
        for _ in range(64):  # a bounded batch per wake-up: a flood cannot starve the show
            try:
                packet, (source, _port) = sock.recvfrom(1024)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            self.received(packet, source, time.time())

    def received(self, packet: bytes, source: str, now: float) -> None:
        """One datagram on 6454: answer a poll, note a reply; anything else is ignored."""
        if is_artpoll(packet):
            self._reply(source)
            return
        reply = decode_artpollreply(packet)
        if reply is not None and reply.ip not in self._own_ips:
            self.nodes.record(reply, now)

    def controller(self, poller: str) -> Controller:
        ip = self.bind if self.bind != WILDCARD else interfaces.local_ip_towards(poller)
        interface = interfaces.interface_for(ip)
        sends = sorted({a for o in self._attached.values() for a in o.port_addresses})
        return Controller(
            ip=ip, mac=interface.mac if interface else bytes(6),
            short_name=f"gobo {self.site_name}",
            long_name=f"gobo lighting controller, {self.site_name}",
            report=f"gobo sending {len(sends)} universes",
        )

    def reply_packets(self, poller: str) -> list[bytes]:
        me = self.controller(poller)
        self._own_ips.add(me.ip)
        sends = [a for o in self._attached.values() for a in o.port_addresses]
        self._replies += 1
        return [encode_artpollreply(me, page, index, self._replies)
                for index, page in enumerate(poll_reply_pages(sends), start=1)]

    def _reply(self, poller: str) -> None:
        for packet in self.reply_packets(poller):
            try:
                self.sendto(packet, (poller, ARTNET_PORT))
            except OSError:
                return

    # -- what `gobo nodes`, status and check show -----------------------------------------

    def live_nodes(self, now: float) -> list[Node]:
        return self.nodes.live(now)

    def answers_known(self, now: float) -> bool:
        """Polling, and the first poll's replies have had their time to come in."""
        return (self.polling == "on" and self.first_poll is not None
                and now - self.first_poll >= REPLY_WAIT_S)


_ENDPOINTS: dict[str, ArtNetEndpoint] = {}


def acquire(bind: str, site_name: str) -> ArtNetEndpoint:
    """The process's endpoint for `bind`, opened on first use (call inside the event loop)."""
    endpoint = _ENDPOINTS.get(bind)
    if endpoint is None:
        endpoint = _ENDPOINTS[bind] = ArtNetEndpoint(bind, site_name)
        endpoint.open()
    endpoint.site_name = site_name
    endpoint._users += 1
    return endpoint


async def release(endpoint: ArtNetEndpoint) -> None:
    endpoint._users -= 1
    if endpoint._users <= 0 and _ENDPOINTS.get(endpoint.bind) is endpoint:
        del _ENDPOINTS[endpoint.bind]
        await endpoint.close()
