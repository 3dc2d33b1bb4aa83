"""Test helpers for the DMX outputs: the olad receiver and loopback UDP listeners."""

from __future__ import annotations

import json
import socket
import struct
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

OLAD_SCRIPT = Path(__file__).with_name("olad.sh")
OLAD_HTTP = "http://127.0.0.1:9090"


def olad_answering() -> bool:
    try:
        with urllib.request.urlopen(f"{OLAD_HTTP}/json/server_stats", timeout=1):
            return True
    except OSError:
        return False


def ensure_olad() -> bool:
    """True when olad answers, starting it with tests/support/olad.sh if needed."""
    if olad_answering():
        return True
    subprocess.run(["bash", str(OLAD_SCRIPT), "start"], capture_output=True, timeout=60)
    return olad_answering()


def olad_dmx(universe: int) -> list[int]:
    with urllib.request.urlopen(f"{OLAD_HTTP}/get_dmx?u={universe}", timeout=2) as reply:
        return list(json.load(reply)["dmx"])


def wait_olad_dmx(universe: int, expected: list[int], attempts: int = 40) -> list[int]:
    """Poll olad until it shows `expected` at the start of the universe (or give up)."""
    seen: list[int] = []
    for _ in range(attempts):
        seen = olad_dmx(universe)
        if seen[: len(expected)] == expected:
            break
        time.sleep(0.05)
    return seen[: len(expected)]


def udp_listener() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(2.0)
    return sock


def decode_artdmx(packet: bytes) -> dict[str, Any]:
    opcode, = struct.unpack_from("<H", packet, 8)
    version, = struct.unpack_from(">H", packet, 10)
    length, = struct.unpack_from(">H", packet, 16)
    return {
        "id": packet[:8], "opcode": opcode, "version": version, "sequence": packet[12],
        "port_address": packet[14] | packet[15] << 8, "length": length,
        "data": packet[18:18 + length], "size": len(packet),
    }


def decode_sacn(packet: bytes) -> dict[str, Any]:
    count, = struct.unpack_from(">H", packet, 123)
    return {
        "preamble": struct.unpack_from(">H", packet, 0)[0],
        "id": packet[4:16],
        "root_vector": struct.unpack_from(">I", packet, 18)[0],
        "cid": packet[22:38],
        "framing_vector": struct.unpack_from(">I", packet, 40)[0],
        "source_name": packet[44:108].rstrip(b"\x00").decode(),
        "priority": packet[108],
        "sequence": packet[111],
        "options": packet[112],
        "universe": struct.unpack_from(">H", packet, 113)[0],
        "root_length": struct.unpack_from(">H", packet, 16)[0] & 0x0FFF,
        "count": count,
        "start_code": packet[125],
        "data": packet[126:125 + count],
        "size": len(packet),
    }


def receive(sock: socket.socket, count: int) -> list[bytes]:
    return [sock.recv(2048) for _ in range(count)]
