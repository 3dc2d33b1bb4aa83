"""A small Art-Net node for the tests, written from the Art-Net 4 tables (not from gobo's
encoder): it answers ArtPoll with an ArtPollReply that lists the Port-Addresses it takes,
and remembers who polled it."""

from __future__ import annotations

import select
import socket
import struct
import threading

PORT = 6454


def _bound(address: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((address, PORT))
    return sock


class TestNode:
    """Listens on ip:6454 (and, with `broadcast`, on that broadcast address too)."""

    __test__ = False  # not a pytest class

    def __init__(self, ip: str, name: str, takes: list[int], broadcast: str | None = None,
                 unicast: bool = True) -> None:
        self.ip, self.name, self.takes = ip, name, takes
        self.reply_socket = _bound(ip)
        self.sockets = ([self.reply_socket] if unicast else []) + (
            [_bound(broadcast)] if broadcast else [])
        self.polled_by: list[tuple[str, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> TestNode:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for sock in {*self.sockets, self.reply_socket}:
            sock.close()

    def reply(self) -> bytes:
        """ArtPollReply, 239 bytes: one page, ports that output DMX from Art-Net."""
        net, subnet = self.takes[0] >> 8, self.takes[0] >> 4 & 15
        body = bytearray(239)
        body[0:8] = b"Art-Net\x00"
        body[8:10] = struct.pack("<H", 0x2100)
        body[10:14] = socket.inet_aton(self.ip)
        body[14:16] = struct.pack("<H", PORT)
        body[18], body[19] = net, subnet
        body[26:26 + len(self.name)] = self.name.encode()
        long_name = f"test node {self.name}".encode()
        body[44:44 + len(long_name)] = long_name
        body[172:174] = struct.pack(">H", len(self.takes))
        for i, address in enumerate(self.takes):
            body[174 + i] = 0x80  # PortTypes: output from Art-Net, DMX512
            body[190 + i] = address & 15  # SwOut
        body[200] = 0x00  # StNode
        body[207:211] = socket.inet_aton(self.ip)
        body[211] = 1
        return bytes(body)

    def _serve(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select(self.sockets, [], [], 0.1)
            for sock in ready:
                packet, source = sock.recvfrom(2048)
                if packet[:8] == b"Art-Net\x00" and packet[8:10] == b"\x00\x20":
                    self.polled_by.append(source)
                    self.reply_socket.sendto(self.reply(), (source[0], PORT))
